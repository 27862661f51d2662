"""A visitor's steps against the simulator, for the demo, the tests and the bench: wait until
the client page shows a state, link a browser by its QR token, read which screen it shows."""

from __future__ import annotations

import asyncio
import time

from agent.browser.driver import BrowserDriver
from agent.errors import KioskguardError
from agent.outcome import PageState
from agent.session.pagestate import PageLike, inspect
from agent.simulator.testing import SimulatorHandle

__all__ = ["QR_TOKEN", "link_browser", "page_state_of", "wait_for_state"]


async def wait_for_state(tab: PageLike, wanted: set[PageState], timeout_s: float) -> PageState:
    """Poll the page until it shows one of the wanted states. Raise KioskguardError on timeout."""
    deadline = time.monotonic() + timeout_s
    state = PageState.UNKNOWN
    while time.monotonic() < deadline:
        try:
            state = (await inspect(tab)).state
        except KioskguardError:
            state = PageState.UNKNOWN
        if state in wanted:
            return state
        await asyncio.sleep(0.1)
    raise KioskguardError(f"page stayed {state.value}; expected {sorted(s.value for s in wanted)}")


# The QR token once it is drawn: the QR screen may show a spinner first (the client's socket
# already says UNPAIRED_IDLE, which the reader counts as the QR screen).
QR_TOKEN = """async () => {
  for (let i = 0; i < 300; i += 1) {
    const holder = document.querySelector('div[data-ref]');
    if (holder && holder.getAttribute('data-ref')) return holder.getAttribute('data-ref');
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error('no QR token (div[data-ref]) within 15 s');
}"""


async def link_browser(driver: BrowserDriver, endpoint: str, sim: SimulatorHandle) -> None:
    """Link the browser at endpoint as a visitor would: its QR token goes to the phone."""
    session = await driver.attach(endpoint, sim.url, 15.0)
    try:
        await wait_for_state(session.tab, {PageState.QR, PageState.LOGGED_OUT}, 15.0)
        sim.link(await session.tab.evaluate(QR_TOKEN))
        await wait_for_state(session.tab, {PageState.CHATS}, 10.0)
    finally:
        await session.close()


async def page_state_of(driver: BrowserDriver, endpoint: str, url: str) -> PageState:
    session = await driver.attach(endpoint, url, 15.0)
    try:
        wanted = {PageState.CHATS, PageState.QR, PageState.LOGGED_OUT}
        return await wait_for_state(session.tab, wanted, 15.0)
    finally:
        await session.close()
