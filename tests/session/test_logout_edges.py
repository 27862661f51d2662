"""Logout edge cases: nothing to do, keys left behind, dropped unpair, deadline."""

from __future__ import annotations

import pytest
from playwright.async_api import Page

from agent.browser.relaunch import Tab
from agent.outcome import PageState
from agent.session.logout import log_out_in_page, stored_keys
from agent.simulator.testing import SimulatorHandle
from agent.urls import origin_of
from tests.session.helpers import deadline, linked_tab

pytestmark = pytest.mark.browser


async def test_unlinked_page_reports_nothing_to_do(page: Page, sim: SimulatorHandle) -> None:
    tab = Tab(page, origin_of(sim.url))
    await tab.goto(sim.url, 15.0)
    report = await log_out_in_page(tab, sim.url, deadline())
    assert report.nothing_to_do and not report.confirmed
    assert report.state_before in (PageState.QR, PageState.LOGGED_OUT)


async def test_qr_with_keys_left_is_not_verified(page: Page, sim: SimulatorHandle) -> None:
    tab = await linked_tab(page, sim, keys_survive_logout=True)
    report = await log_out_in_page(tab, sim.url, deadline())
    assert report.confirmed and report.reached_qr
    assert not report.verified
    assert "last-wid-md" in report.keys_left


async def test_dropped_unpair_is_seen_as_not_unlinked(page: Page, sim: SimulatorHandle) -> None:
    tab = await linked_tab(page, sim, drop_unpair=True)
    report = await log_out_in_page(tab, sim.url, deadline())
    assert report.verified  # locally logged out: QR back, keys gone
    assert report.device_unlinked is False
    assert len(sim.devices()) == 1


async def test_deadline_too_short_reports_an_error(page: Page, sim: SimulatorHandle) -> None:
    tab = await linked_tab(page, sim, menu_delay_ms=5000)
    report = await log_out_in_page(tab, sim.url, deadline(1.0), paths=("ui",))
    assert not report.verified
    assert report.error and "deadline" in report.error
    assert await stored_keys(tab) != []
