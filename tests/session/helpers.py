"""Helpers for session-layer tests: a linked client tab on the simulator."""

from __future__ import annotations

import time

from playwright.async_api import Page

from agent.browser.driver import Tab
from agent.demo import wait_for_state
from agent.outcome import PageState
from agent.probe.origin import origin_of
from agent.simulator.testing import SimulatorHandle

READ_REF = "() => document.querySelector('div[data-ref]').getAttribute('data-ref')"


async def link(tab: Tab, sim: SimulatorHandle) -> None:
    """Link the tab's page through the phone API and wait for the chats."""
    await wait_for_state(tab, {PageState.QR, PageState.LOGGED_OUT}, 15.0)
    sim.link(await tab.evaluate(READ_REF))
    await wait_for_state(tab, {PageState.CHATS, PageState.OFFLINE}, 10.0)


async def linked_tab(page: Page, sim: SimulatorHandle, **config: object) -> Tab:
    """Return a tab linked to the simulator, reloaded under the given simulator config."""
    tab = Tab(page, origin_of(sim.url))
    await tab.goto(sim.url, 15.0)
    await link(tab, sim)
    sim.configure(**config)
    await tab.goto(sim.url, 15.0)  # the next visit shows the configured screens
    return tab


def deadline(seconds: float = 30.0) -> float:
    return time.monotonic() + seconds
