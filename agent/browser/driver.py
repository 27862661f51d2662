"""The driver: how the session layer gets into one profile's client tab.

Two ways in:
- warm: attach over CDP to the running managed browser (loopback only unless allowed), find the
  client's tab by origin (open one if none), act, then detach: the visitor's browser and their
  other tabs are never closed. This goes through agent.browser.cdp, a plain CDP session that
  leaves nothing registered behind (see that module for why not Playwright).
- cold: start the profile's browser headless ourselves and drive it over CDP on its pipe
  (agent.browser.coldlaunch), act, close after verification. No driver process: the first cold
  logout of the daemon's life (at shutdown, say) starts as fast as the tenth, and the daemon's
  process tree carries no Node.js (Playwright, which did that until then, remains for tests and
  the demo's visitor).
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Protocol

from agent.browser.bounded import CLEANUP_TIMEOUT_S, RawTab, cleanup
from agent.browser.cdp import CdpConnection, attach_tab
from agent.browser.discovery import Browser
from agent.errors import DriverError
from agent.outcome import LogoutPath
from agent.urls import is_loopback_endpoint


class Session:
    """A way into one profile's client tab, and how to let go of it.

    cold: a browser we launched (closing it closes that browser; pid is its process);
    warm: a CDP session on the visitor's running browser (closing it detaches, and closes
    only a tab we opened).
    """

    def __init__(
        self,
        path: LogoutPath,
        tab: RawTab,
        release: Callable[[float], Awaitable[None]],
        pid: int | None = None,
    ) -> None:
        self.path = path
        self.tab = tab
        self._release = release
        self.pid = pid

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
    """Opens warm and cold sessions whose tabs stamp their network logs with clock (the
    caller's deadline clock). Nothing to start: no driver process, no connection kept."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self.clock = clock

    async def start(self) -> Driver:
        """Return the driver, ready (kept for the BrowserDriver seam: nothing to start)."""
        return self

    async def stop(self) -> None:
        """Nothing to stop: every session closes its own connection and browser."""

    async def __aenter__(self) -> Driver:
        return await self.start()

    async def __aexit__(self, *exc_info: object) -> None:
        await self.stop()

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
        """Relaunch the profile and return a cold session on the client's tab.

        timeout_s bounds the launch and the first navigation together. Closing the session
        closes the browser (killed if it does not end in the time given). Raise DriverError (a
        one line message naming the executable) if the browser does not start or cannot open it.
        """
        from agent.browser.coldlaunch import launch_cold  # POSIX process calls: imported here

        tab, browser, release = await launch_cold(
            user_data_dir, client_url, executable, timeout_s, headless, self.clock
        )
        return Session(LogoutPath.COLD, tab, release, browser.pid)
