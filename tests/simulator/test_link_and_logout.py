"""Linking through the phone, keeping the session across restarts, logging out by clicks."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.async_api import Page, expect

from agent.simulator.config import LAYOUTS, LOCALES
from agent.simulator.locales import STRINGS
from agent.simulator.testing import SimulatorHandle
from tests.conftest import PersistentLauncher
from tests.simulator.flows import (
    DATABASES,
    QR_CANVAS,
    SESSION_KEYS,
    click_logout,
    database_names,
    open_linked,
    stored_keys,
)

pytestmark = pytest.mark.browser


async def test_link_through_phone_shows_chats_and_stores_session(
    sim: SimulatorHandle, page: Page
) -> None:
    device = await open_linked(sim, page)
    assert await stored_keys(page) == sorted(SESSION_KEYS)
    assert await database_names(page) == sorted(DATABASES)
    wid = await page.evaluate("JSON.parse(localStorage.getItem('last-wid-md'))")
    assert wid == f"4915112345678:{device['id']}@c.us"


async def test_linked_device_is_listed_with_browser_and_loopback_location(
    sim: SimulatorHandle, page: Page
) -> None:
    device = await open_linked(sim, page)
    assert [listed["id"] for listed in sim.devices()] == [device["id"]]
    assert device["browser"] in {"Chrome", "Chromium"}
    assert device["location"] == "Near 127.0.0.1 (loopback)"


async def test_relaunched_persistent_profile_goes_straight_to_chats(
    sim: SimulatorHandle, launch_persistent: PersistentLauncher, tmp_path: Path
) -> None:
    first = await launch_persistent(tmp_path / "profile")
    await open_linked(sim, await first.new_page())
    await first.close()
    second = await launch_persistent(tmp_path / "profile")
    page = await second.new_page()
    await page.goto(sim.url)
    await expect(page.locator("#pane-side")).to_be_visible()


@pytest.mark.parametrize("locale", LOCALES)
@pytest.mark.parametrize("layout", LAYOUTS)
async def test_click_through_logout_returns_to_qr_and_unlinks(
    sim: SimulatorHandle, page: Page, layout: str, locale: str
) -> None:
    await open_linked(sim, page, f"?layout={layout}&locale={locale}")
    await click_logout(page, layout, locale)
    await page.wait_for_url("**/?post_logout=1")
    await expect(page.locator(QR_CANVAS)).to_be_visible()
    assert await stored_keys(page) == []
    assert await database_names(page) == []
    assert sim.devices() == []


async def test_logout_removes_service_worker_and_caches(sim: SimulatorHandle, page: Page) -> None:
    await open_linked(sim, page)
    await page.wait_for_function("caches.keys().then(names => names.length > 0)")
    await click_logout(page, "rail", "en")
    await page.wait_for_url("**/?post_logout=1")
    assert await page.evaluate("navigator.serviceWorker.getRegistrations()") == []
    assert await page.evaluate("caches.keys()") == []


async def test_overrides_survive_the_post_logout_reload(sim: SimulatorHandle, page: Page) -> None:
    await open_linked(sim, page, "?locale=de")
    await click_logout(page, "rail", "de")
    await page.wait_for_url("**/?post_logout=1")
    label = STRINGS["de"]["qr_label"]
    await expect(page.locator(QR_CANVAS)).to_have_attribute("aria-label", label)
