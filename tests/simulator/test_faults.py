"""Fault injection and interference: dropped unpair, surviving keys, variants, screens."""

from __future__ import annotations

import pytest
from playwright.async_api import BrowserContext, Page, expect

from agent.simulator.locales import EN
from agent.simulator.testing import SimulatorHandle
from tests.simulator.flows import (
    QR_CANVAS,
    SESSION_KEYS,
    click_logout,
    open_linked,
    stored_keys,
)

pytestmark = pytest.mark.browser


async def open_menu_logout(page: Page) -> None:
    """Rail layout: Settings -> Log out, leaving the confirmation dialog open."""
    await page.get_by_role("button", name=EN["settings"], exact=True).click()
    await page.locator("#logout").click()


async def test_dropped_unpair_logs_out_locally_and_device_stays_listed(
    sim: SimulatorHandle, page: Page
) -> None:
    sim.configure(drop_unpair=True)
    device = await open_linked(sim, page)
    await click_logout(page, "rail", "en")
    await page.wait_for_url("**/?post_logout=1")
    assert await stored_keys(page) == []
    assert [listed["id"] for listed in sim.devices()] == [device["id"]]


async def test_keys_survive_logout_fault_leaves_keys_on_qr_screen(
    sim: SimulatorHandle, page: Page
) -> None:
    sim.configure(keys_survive_logout=True)
    await open_linked(sim, page)
    await click_logout(page, "rail", "en")
    await page.wait_for_url("**/?post_logout=1")
    await expect(page.locator(QR_CANVAS)).to_be_visible()
    assert await stored_keys(page) == sorted(SESSION_KEYS)


@pytest.mark.parametrize(
    ("variant", "body"),
    [
        ("plain", "confirm_body"),
        ("still_sending", "confirm_still_sending"),
        ("app_lock", "confirm_app_lock"),
    ],
)
async def test_confirm_variant_shows_its_body(
    sim: SimulatorHandle, page: Page, variant: str, body: str
) -> None:
    sim.configure(confirm_variant=variant)
    await open_linked(sim, page)
    await open_menu_logout(page)
    dialog = page.get_by_role("dialog")
    await expect(dialog).to_contain_text(EN["confirm_title"])
    await expect(dialog).to_contain_text(EN[body])
    await expect(dialog.get_by_role("button").last).to_have_text(EN["log_out"])


async def test_app_lock_extra_button_does_not_log_out(sim: SimulatorHandle, page: Page) -> None:
    sim.configure(confirm_variant="app_lock")
    device = await open_linked(sim, page)
    await open_menu_logout(page)
    await page.get_by_role("button", name=EN["lock_app"]).click()
    await expect(page.get_by_role("dialog")).to_have_count(0)
    assert [listed["id"] for listed in sim.devices()] == [device["id"]]
    assert await stored_keys(page) == sorted(SESSION_KEYS)


async def test_cancel_keeps_the_session(sim: SimulatorHandle, page: Page) -> None:
    device = await open_linked(sim, page)
    await open_menu_logout(page)
    await page.get_by_role("button", name=EN["cancel"]).click()
    await expect(page.get_by_role("dialog")).to_have_count(0)
    assert [listed["id"] for listed in sim.devices()] == [device["id"]]


@pytest.mark.parametrize("screen", ["another_session", "conflict"])
async def test_forced_screen_shows_after_resume_and_use_here_opens_chats(
    sim: SimulatorHandle, page: Page, screen: str
) -> None:
    await open_linked(sim, page)
    sim.configure(force_screen=screen)
    await page.reload()
    await expect(page.get_by_text(EN[screen])).to_be_visible()
    await page.get_by_role("button", name=EN["use_here"]).click()
    await expect(page.locator("#pane-side")).to_be_visible()


async def test_conflict_log_out_performs_the_logout(sim: SimulatorHandle, page: Page) -> None:
    await open_linked(sim, page)
    sim.configure(force_screen="conflict")
    await page.reload()
    await page.get_by_role("button", name=EN["log_out"]).click()
    await page.wait_for_url("**/?post_logout=1")
    assert sim.devices() == []


async def test_testids_appear_only_when_enabled(sim: SimulatorHandle, page: Page) -> None:
    await open_linked(sim, page, "?layout=classic")
    await page.locator('#side [aria-label="Menu"]').click()
    assert await page.locator("[data-testid]").count() == 0
    sim.configure(testids=True)
    # The new config re-renders the chats (closing the open menu) when it arrives over the live
    # channel; click only once the re-render is there, or the click races the re-render.
    await expect(page.locator('[data-testid="menu-bar-menu"]')).to_have_count(1)
    await page.locator('#side [aria-label="Menu"]').click()
    await expect(page.locator('[data-testid="mi-logout menu-item"]')).to_be_visible()


async def test_notification_banner_is_dismissed_by_its_close_button(
    sim: SimulatorHandle, page: Page
) -> None:
    sim.configure(notification_banner=True)
    await open_linked(sim, page)
    banner = page.locator("#pane-side").get_by_text(EN["notify_action"])
    await expect(banner).to_be_visible()
    await page.locator('#pane-side [aria-label="Close"]').click()
    await expect(banner).to_have_count(0)


MENU_HIT = (
    "() => { const menu = document.querySelector('#side [aria-label=\"Menu\"]');"
    " const b = menu.getBoundingClientRect();"
    " const hit = document.elementFromPoint(b.x + b.width / 2, b.y + b.height / 2);"
    " return hit.closest('[aria-label=\"Menu\"]') !== null; }"
)


async def test_covering_banner_takes_the_menu_buttons_clicks_until_closed(
    sim: SimulatorHandle, page: Page
) -> None:
    sim.configure(generation="classic-2023", covering_banner=True)
    await open_linked(sim, page)
    banner = page.locator("#side > .banner.covering")
    await expect(banner).to_be_visible()
    assert await page.locator("#pane-side .banner").count() == 0  # above the list, in #side
    assert not await page.evaluate(MENU_HIT)
    await banner.locator('[aria-label="Close"]').click()
    await expect(banner).to_have_count(0)
    assert await page.evaluate(MENU_HIT)


async def test_covering_toast_takes_the_menu_buttons_clicks_then_goes_by_itself(
    sim: SimulatorHandle, page: Page
) -> None:
    sim.configure(generation="classic-2023", covering_toast_ms=3000)
    await open_linked(sim, page)
    toast = page.locator(".toast.covering")
    await expect(toast).to_be_visible()
    assert await toast.get_attribute("role") == "status"
    assert not await page.evaluate(MENU_HIT)
    await expect(toast).to_have_count(0, timeout=15_000)
    assert await page.evaluate(MENU_HIT)


async def test_whats_new_modal_intercepts_clicks_until_closed(
    sim: SimulatorHandle, page: Page
) -> None:
    sim.configure(whats_new_modal=True)
    await open_linked(sim, page)
    settings = page.get_by_role("button", name=EN["settings"], exact=True)
    box = await settings.bounding_box()
    assert box is not None
    hit = "([x, y]) => document.elementFromPoint(x, y).closest('.overlay') !== null"
    centre = [box["x"] + box["width"] / 2, box["y"] + box["height"] / 2]
    assert await page.evaluate(hit, centre)
    await page.get_by_role("dialog").get_by_role("button", name=EN["ok"]).click()
    assert not await page.evaluate(hit, centre)


async def test_offline_banner_shows_while_server_stays_reachable(
    sim: SimulatorHandle, page: Page
) -> None:
    sim.configure(offline_banner=True)
    await open_linked(sim, page)
    await expect(page.locator("#pane-side").get_by_text(EN["offline_title"])).to_be_visible()
    assert sim.config()["offline_banner"] is True


async def test_menu_delay_holds_the_settings_list_back(sim: SimulatorHandle, page: Page) -> None:
    sim.configure(menu_delay_ms=500)
    await open_linked(sim, page)
    await page.get_by_role("button", name=EN["settings"], exact=True).click()
    assert await page.locator("#logout").count() == 0
    await expect(page.locator("#logout")).to_be_visible()


async def test_rail_meta_ai_button_has_only_an_svg_title(sim: SimulatorHandle, page: Page) -> None:
    await open_linked(sim, page)
    meta = page.get_by_role("button", name=EN["meta_ai"])
    assert await meta.locator("[data-icon]").count() == 0
    await expect(meta.locator("svg title")).to_have_text("Meta AI")


async def test_second_tab_sends_the_first_to_another_session(
    sim: SimulatorHandle, context: BrowserContext
) -> None:
    first = await context.new_page()
    await open_linked(sim, first)
    second = await context.new_page()
    await second.goto(sim.url)
    await expect(second.locator("#pane-side")).to_be_visible()
    await expect(first.get_by_text(EN["another_session"])).to_be_visible()


async def test_startup_delay_holds_a_stored_session_not_the_qr(
    sim: SimulatorHandle, page: Page
) -> None:
    await open_linked(sim, page)
    sim.configure(startup_delay_ms=60_000)  # the restore never finishes within this test
    await page.reload()
    await expect(page.locator("#app > .startup progress")).to_be_visible()
    await page.evaluate("localStorage.clear()")  # nothing stored: the QR comes without the delay
    await page.goto(sim.url)
    await expect(page.locator(QR_CANVAS)).to_be_visible()
    assert await page.locator("#pane-side").count() == 0


async def test_qr_delay_holds_the_qr_back(sim: SimulatorHandle, page: Page) -> None:
    sim.configure(qr_delay_ms=60_000)
    await page.goto(sim.url)
    await expect(page.locator("#app > .startup progress")).to_be_visible()
    assert await page.locator(QR_CANVAS).count() == 0
