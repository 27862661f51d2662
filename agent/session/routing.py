"""Which way into a profile, and what a cold logout may use: the session service's routing.

- the browser executable (found once) and what relaunches closed profiles (the same-build
  headless shell when allowed);
- the relaunch limit (logout.parallel_launches slots, per event loop);
- the profile's proven DevTools endpoint (asked of the ProfileInspector, agent.session.inspector);
- the cold hold: a stale lock cleared, and the profile held as a browser would while a headless
  shell (which takes no lock of its own) has it (agent.browser.singleton).
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager

from loguru import logger

from agent.browser.discovery import Browser, find_browser, find_headless_shell
from agent.browser.endpoint import EndpointCheck
from agent.browser.locks import LockState, remove_stale_lock
from agent.browser.singleton import ProfileHold, hold_profile
from agent.errors import DriverError, KioskguardError
from agent.session.inspector import HostInspector, ProfileInspector
from agent.settings import ProfileSettings, Settings


class Routing:
    """The executable cache, launch slots, endpoint and cold hold of one SessionService."""

    def __init__(
        self,
        settings: Settings,
        clock: Callable[[], float] = time.monotonic,
        inspector: ProfileInspector | None = None,
    ) -> None:
        self.settings = settings
        self.clock = clock
        self.inspector: ProfileInspector = inspector or HostInspector()
        self._browser: Browser | None = None
        self._shell: Browser | None = None
        self._shell_looked = False
        self._slots: tuple[asyncio.AbstractEventLoop, asyncio.Semaphore] | None = None
        self._finding = threading.Lock()  # prepare() looks in a thread; a logout may meanwhile

    def executable(self) -> Browser:
        with self._finding:
            if self._browser is None:
                configured = self.settings.browser.executable
                self._browser = find_browser(str(configured) if configured else None)
            return self._browser

    def cold_executable(self) -> Browser:
        """Return what relaunches closed profiles: the same-build headless shell when allowed."""
        browser = self.executable()
        options = self.settings.browser
        if not (options.headless_cold and options.headless_shell):
            return browser
        with self._finding:
            if not self._shell_looked:
                self._shell = find_headless_shell(browser)
                self._shell_looked = True
                if self._shell is not None:
                    logger.debug("closed profiles relaunch with {}", self._shell.path)
        return self._shell or browser

    async def prepare(self) -> None:
        """Find what a cold relaunch starts (each candidate runs once with --version: seconds on
        a loaded machine) before the first cold logout needs it, say at shutdown. Never raises:
        a browser that cannot be found is reported by the logout that needs one."""
        try:
            browser = await asyncio.to_thread(self.cold_executable)
        except KioskguardError as exc:
            logger.warning("no browser for cold logouts yet: {}", exc)
            return
        logger.debug("cold logouts are ready: {} {}", browser.kind, browser.path)

    @asynccontextmanager
    async def launch_slot(self, deadline: float) -> AsyncIterator[None]:
        """Hold one of logout.parallel_launches slots; raise DriverError if none frees in time."""
        loop = asyncio.get_running_loop()
        if self._slots is None or self._slots[0] is not loop:
            self._slots = (loop, asyncio.Semaphore(self.settings.logout.parallel_launches))
        slots = self._slots[1]
        try:
            await asyncio.wait_for(slots.acquire(), max(deadline - self.clock(), 0.01))
        except TimeoutError as exc:
            raise DriverError(
                "no relaunch slot freed before the deadline (logout.parallel_launches"
                f" = {self.settings.logout.parallel_launches})"
            ) from exc
        try:
            yield
        finally:
            slots.release()

    def endpoint(self, profile: ProfileSettings, timeout_s: float = 1.0) -> EndpointCheck:
        """Return the proven DevTools endpoint of the browser holding the profile, or why none."""
        port = self.settings.browser.debugging_port
        return self.inspector.endpoint(profile.user_data_dir, port, timeout_s)

    @asynccontextmanager
    async def cold_hold(self, profile: ProfileSettings) -> AsyncIterator[ProfileHold | None]:
        """Clear a stale lock, then hold the profile as a browser would while a headless shell
        (which takes no lock) has it; the full browser takes its own lock. The lock is read
        and the executable found in a thread (either may take long)."""
        user_data_dir = profile.user_data_dir
        lock = await asyncio.to_thread(self.inspector.lock, user_data_dir)
        if lock.state is LockState.STALE:
            logger.info("removing stale lock of {} ({})", user_data_dir, lock.detail)
            await asyncio.to_thread(remove_stale_lock, user_data_dir)
        if (await asyncio.to_thread(self.cold_executable)).kind != "headless-shell":
            yield None
            return
        with hold_profile(user_data_dir) as hold:
            yield hold
