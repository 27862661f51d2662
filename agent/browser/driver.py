"""The driver: how the session layer gets into one profile's client tab.

Two ways in:
- warm: attach over CDP to the running managed browser (loopback only unless allowed), find the
  client's tab by origin (open one if none), act, then detach: the visitor's browser and their
  other tabs are never closed. This goes through agent.browser.cdp, a plain CDP session that
  leaves nothing registered behind (see that module for why not Playwright).
- cold: launch the profile headless as a persistent context with Playwright, act, close after
  verification. Playwright lives in agent.browser.relaunch, imported by the first cold
  relaunch only (Driver.start): the idle daemon does not carry it.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from agent.browser.bounded import CLEANUP_TIMEOUT_S, RawTab, cleanup
from agent.browser.cdp import CdpConnection, attach_tab
from agent.browser.discovery import Browser
from agent.errors import DriverError
from agent.outcome import LogoutPath
from agent.urls import is_loopback_endpoint

if TYPE_CHECKING:
    from playwright.async_api import Playwright


class Session:
    """A way into one profile's client tab, and how to let go of it.

    cold: a Playwright persistent context we launched (closing it closes that browser);
    warm: a CDP session on the visitor's running browser (closing it detaches, and closes
    only a tab we opened).
    """

    def __init__(
        self, path: LogoutPath, tab: RawTab, release: Callable[[float], Awaitable[None]]
    ) -> None:
        self.path = path
        self.tab = tab
        self._release = release

    async def close(self, timeout_s: float = CLEANUP_TIMEOUT_S) -> None:
        """Let go of the tab (warm: detach; cold: close the browser) within timeout_s."""
        await self._release(timeout_s)


async def _detach(connection: CdpConnection, opened_target: str | None) -> None:
    """Close the tab we opened (never the visitor's), then drop the connection."""
    try:
        if opened_target is not None:
            await connection.send("Target.closeTarget", {"targetId": opened_target}, timeout_s=2.0)
    finally:
        await connection.close()


class BrowserDriver(Protocol):
    """The seam below the session service: how it gets into a profile's client tab.

    Driver (below) is the real one; agent.session.fakes.FakeDriver hands out scripted tabs.
    """

    clock: Callable[[], float]

    async def start(self) -> BrowserDriver: ...

    async def stop(self) -> None: ...

    async def attach(
        self,
        endpoint: str,
        client_url: str,
        timeout_s: float,
        allow_remote: bool = False,
        open_if_missing: bool = True,
        unblock: Callable[[str], None] | None = None,
    ) -> Session: ...

    async def launch(
        self,
        user_data_dir: Path,
        client_url: str,
        executable: Browser,
        timeout_s: float,
        headless: bool = True,
    ) -> Session: ...


class Driver:
    """Owns the Playwright instance; opens warm and cold sessions whose tabs stamp their
    network logs with clock (the caller's deadline clock)."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self.clock = clock
        self._playwright: Playwright | None = None
        self._manager: Any = None

    async def start(self) -> Driver:
        """Start Playwright (importing it: about 19 MB) unless started; only cold relaunches
        need it."""
        if self._playwright is None:
            from agent.browser.relaunch import playwright_manager

            manager = playwright_manager()
            self._playwright = await manager.start()
            self._manager = manager  # only once started: a cancelled start leaves nothing half-set
        return self

    async def stop(self) -> None:
        if self._manager is not None:
            from agent.browser.relaunch import PlaywrightError

            stopping = self._manager.__aexit__(None, None, None)
            await cleanup("playwright.stop", stopping, errors=(PlaywrightError,))
            self._manager = self._playwright = None

    async def __aenter__(self) -> Driver:
        return await self.start()

    async def __aexit__(self, *exc_info: object) -> None:
        await self.stop()

    @property
    def playwright(self) -> Playwright:
        if self._playwright is None:
            raise DriverError("the driver is not started")
        return self._playwright

    async def attach(
        self,
        endpoint: str,
        client_url: str,
        timeout_s: float,
        allow_remote: bool = False,
        open_if_missing: bool = True,
        unblock: Callable[[str], None] | None = None,
    ) -> Session:
        """Attach to a running browser over CDP and return a warm session on the client's tab.

        Uses agent.browser.cdp, not Playwright, so nothing stays registered in the visitor's
        browser after detaching. With unblock (logouts only: a callback taking a note), a
        client tab blocked by a JavaScript dialog is reloaded. Raise DriverError if the endpoint
        is not loopback (unless allowed) or does not answer.
        """
        if not allow_remote and not is_loopback_endpoint(endpoint):
            raise DriverError(
                f"refusing CDP endpoint {endpoint}: not loopback (set browser.allow_remote_cdp)"
            )
        connection, tab, opened = await attach_tab(
            endpoint, client_url, timeout_s, open_if_missing, unblock, self.clock
        )

        async def release(timeout_s: float) -> None:
            await cleanup("detach", _detach(connection, opened), timeout_s)

        return Session(LogoutPath.WARM, tab, release)

    async def launch(
        self,
        user_data_dir: Path,
        client_url: str,
        executable: Browser,
        timeout_s: float,
        headless: bool = True,
    ) -> Session:
        """Launch the profile as a persistent context and return a cold session on the client.

        timeout_s bounds the launch and the first navigation together. Raise DriverError (a one
        line message naming the executable) if the browser does not start or cannot open it.
        """
        from agent.browser.relaunch import launch_persistent

        tab, release = await launch_persistent(
            self.playwright, user_data_dir, client_url, executable, timeout_s, headless, self.clock
        )
        return Session(LogoutPath.COLD, tab, release)
