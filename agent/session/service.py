"""The session layer as the daemon and the CLI use it: probe, log out (warm or cold), verify.

Choosing the way in, per profile (one logout per profile at a time, across processes: the
logout lock in STATE_DIR/locks; a second run waits for it until its deadline):
- a live lock and a DevTools endpoint proven to be that browser's (DevToolsActivePort's port or
  the configured one; agent.browser.endpoint) -> warm: attach to the visitor's browser;
- a live lock without a proven endpoint, another kioskguard's hold, or a foreign lock ->
  "profile busy": never launched, never another browser's logout;
- a stale lock -> removed, then cold; no lock -> cold (launch headless, act, close after
  verification), skipped entirely when the offline probe says nothing is stored. While a headless
  shell (which takes no lock of its own) has the profile, kioskguard holds it as a browser would
  (agent.browser.singleton), so a visitor's browser cannot open it.
Every browser call ends by the logout's deadline; JavaScript dialogs in the client tab are
dismissed and noted. When the in-page path cannot finish after reading the page at least once,
the fallback clears the client's origin only.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import asynccontextmanager, contextmanager
from dataclasses import dataclass
from pathlib import Path

from loguru import logger

from agent.browser.bounded import BoundedTab, before
from agent.browser.discovery import Browser, find_browser, find_headless_shell
from agent.browser.driver import BrowserDriver, Driver, Session
from agent.browser.endpoint import EndpointCheck, find_endpoint
from agent.browser.locks import LockState, read_lock, remove_stale_lock
from agent.browser.logout_lock import logout_turn
from agent.browser.singleton import ProfileHold, hold_profile
from agent.errors import DeadlineExceeded, DriverError, KioskguardError, ProbeError, ProfileBusy
from agent.outcome import (
    Action,
    Linked,
    LogoutPath,
    Outcome,
    ProbeResult,
    Result,
    Trigger,
    WarningResult,
)
from agent.probe.probe import LINKED_WHEN, probe_user_data_dir
from agent.session.logout import LogoutReport, log_out_in_page, stored_keys
from agent.session.pagestate import inspect, leave_page
from agent.session.warning import input_idle_seconds, show_countdown
from agent.settings import ProfileSettings, Settings

FALLBACK_STORAGE = ("cookies", "local_storage", "indexeddb", "service_workers", "cache_storage")
LOCAL_ONLY_NOTE = "local only: the device may still be listed on the phone; log it out there"
CLOSE_FLOOR_S = 1.0  # closing the relaunched browser always gets this long: never left running
PAGE_READ_S = 5.0  # reading a running page (linked_now, status, idle input) ends by then


@dataclass(frozen=True)
class PageReading:
    """What a profile's running browser's client tab said (see SessionService.read_page)."""

    running: bool
    endpoint: str | None = None
    linked: Linked | None = None  # None: not read (error says why, unless nothing runs)
    keys: tuple[str, ...] = ()
    state: str | None = None
    error: str | None = None


def combine(results: list[ProbeResult], profile: str, origin: str) -> ProbeResult:
    """Given the probes of a user data dir's profiles, return one verdict for the whole dir."""
    for wanted in (Linked.LINKED, Linked.UNKNOWN):
        for result in results:
            if result.linked is wanted:
                return result
    return (
        results[0] if results else ProbeResult(profile, origin, Linked.NOT_LINKED, detail="empty")
    )


class SessionService:
    """Implements agent.daemon.ports.SessionAgent with a real browser."""

    def __init__(
        self,
        settings: Settings,
        driver: BrowserDriver | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.settings = settings
        self.driver: BrowserDriver = driver or Driver(clock)
        self.clock = clock
        self._browser: Browser | None = None
        self._shell: Browser | None = None
        self._shell_looked = False
        self._slots: tuple[asyncio.AbstractEventLoop, asyncio.Semaphore] | None = None

    def client_url(self, profile: ProfileSettings) -> str:
        return profile.url or self.settings.general.client_url

    def executable(self) -> Browser:
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
        if not self._shell_looked:
            self._shell = find_headless_shell(browser)
            self._shell_looked = True
            if self._shell is not None:
                logger.debug("closed profiles relaunch with {}", self._shell.path)
        return self._shell or browser

    @asynccontextmanager
    async def _launch_slot(self, deadline: float) -> AsyncIterator[None]:
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
        return find_endpoint(profile.user_data_dir, port, timeout_s)

    async def probe(self, profile: ProfileSettings) -> ProbeResult:
        """Return the offline verdict for the profile's user data dir (no browser involved)."""
        url = self.client_url(profile)
        user_data_dir = profile.user_data_dir
        if not user_data_dir.exists() or not any(user_data_dir.iterdir()):
            detail = "profile never used (no browser data yet)"
            return ProbeResult(str(user_data_dir), url, Linked.NOT_LINKED, detail=detail)
        try:
            results = probe_user_data_dir(user_data_dir, url)
        except ProbeError as exc:
            return ProbeResult(str(user_data_dir), url, Linked.UNKNOWN, detail=str(exc))
        return combine(results, str(user_data_dir), url)

    async def read_page(
        self, profile: ProfileSettings, timeout_s: float = PAGE_READ_S, with_state: bool = False
    ) -> PageReading:
        """Given a profile, return what its running browser's client tab says, within timeout_s.

        Only a browser holding the profile with a proven endpoint is read, over plain CDP (no
        Playwright), and only a client tab already open: none is ever opened in the visitor's
        browser. ``linked`` is None when there is no such browser or tab, or it did not answer
        in time (``error`` says why). with_state also reads the page state (QR, chats...).
        """
        deadline = self.clock() + timeout_s
        if read_lock(profile.user_data_dir).state is not LockState.LIVE:
            return PageReading(running=False)
        check = await asyncio.to_thread(self.endpoint, profile, min(0.5, timeout_s))
        if check.endpoint is None:
            return PageReading(running=True, error=f"no proven endpoint: {check.reason}")
        endpoint = check.endpoint
        try:
            session = await before(
                deadline,
                "attaching to the browser",
                self.driver.attach(
                    endpoint,
                    self.client_url(profile),
                    max(deadline - self.clock(), 0.05),
                    open_if_missing=False,
                ),
                self.clock,
            )
        except KioskguardError as exc:
            return PageReading(running=True, endpoint=endpoint, error=str(exc))
        try:
            tab = BoundedTab(session.tab, deadline, self.clock)
            present = await stored_keys(tab, LINKED_WHEN)
            if with_state:
                try:
                    state = (await inspect(tab)).state.value
                finally:
                    await leave_page(tab)
            else:
                state = None
        except KioskguardError as exc:
            return PageReading(running=True, endpoint=endpoint, error=str(exc))
        finally:
            await session.close(max(deadline - self.clock(), CLOSE_FLOOR_S))
        linked = Linked.LINKED if len(present) == len(LINKED_WHEN) else Linked.NOT_LINKED
        return PageReading(
            running=True, endpoint=endpoint, linked=linked, keys=tuple(present), state=state
        )

    async def linked_now(self, profile: ProfileSettings) -> Linked:
        """Return whether the profile holds a session now.

        While its browser runs and answers, read the client tab's own storage (the disk lags a
        fresh link, and a logout, by seconds); otherwise, or if that fails, the offline probe.
        """
        reading = await self.read_page(profile)
        if reading.linked is not None:
            return reading.linked
        if reading.error:
            logger.debug(
                "{}: cannot read the page ({}); using the probe", profile.name, reading.error
            )
        return (await self.probe(profile)).linked

    async def browser_running(self, profile: ProfileSettings) -> bool:
        return read_lock(profile.user_data_dir).state is LockState.LIVE

    async def _start_driver(self, deadline: float) -> None:
        await before(deadline, "starting Playwright", self.driver.start(), self.clock)

    async def _open_warm(
        self, profile: ProfileSettings, deadline: float, notes: list[str]
    ) -> Session:
        """Attach to the visitor's browser. Raise ProfileBusy if its endpoint is not proven."""
        check = self.endpoint(profile, timeout_s=max(min(1.0, deadline - self.clock()), 0.05))
        if check.endpoint is None:
            raise ProfileBusy(
                f"profile {profile.user_data_dir} is open in a browser without a debugging port"
                f" proven to be its own ({check.reason})"
            )
        return await self.driver.attach(  # plain CDP: Playwright need not be started
            check.endpoint,
            self.client_url(profile),
            max(deadline - self.clock(), 0.0),
            allow_remote=self.settings.browser.allow_remote_cdp,
            unblock=notes.append,
        )

    async def _open_cold(
        self, profile: ProfileSettings, deadline: float, notes: list[str]
    ) -> Session:
        await self._start_driver(deadline)
        remaining = deadline - self.clock()
        if remaining <= 0:
            raise DeadlineExceeded("the deadline came before the profile could be relaunched")
        return await self.driver.launch(
            profile.user_data_dir,
            self.client_url(profile),
            self.cold_executable(),
            remaining,
            headless=self.settings.browser.headless_cold,
        )

    @contextmanager
    def _cold_hold(self, profile: ProfileSettings) -> Iterator[ProfileHold | None]:
        """Clear a stale lock, then hold the profile as a browser would while a headless shell
        (which takes no lock) has it; the full browser takes its own lock."""
        user_data_dir = profile.user_data_dir
        lock = read_lock(user_data_dir)
        if lock.state is LockState.STALE:
            logger.info("removing stale lock of {} ({})", user_data_dir, lock.detail)
            remove_stale_lock(user_data_dir)
        if self.cold_executable().kind != "headless-shell":
            yield None
            return
        with hold_profile(user_data_dir) as hold:
            yield hold

    async def logout(
        self, profile: ProfileSettings, trigger: Trigger, deadline_s: float
    ) -> Outcome:
        """Log the profile out inside deadline_s and return the verified (or not) outcome."""
        started = self.clock()
        deadline = started + deadline_s
        outcome = Outcome(
            profile=profile.name, trigger=trigger, notes=[f"user data dir: {profile.user_data_dir}"]
        )
        try:
            await self._logout(profile, outcome, deadline)
        except KioskguardError as exc:
            outcome.result, outcome.error = Result.FAILED, str(exc)
        outcome.duration_ms = round((self.clock() - started) * 1000)
        return outcome

    async def _logout(self, profile: ProfileSettings, outcome: Outcome, deadline: float) -> None:
        state_dir = self.settings.general.state_dir
        async with logout_turn(state_dir, profile.user_data_dir, deadline, self.clock) as waited:
            if waited >= 0.05:
                outcome.notes.append(
                    f"waited {waited:.1f} s for another logout of this profile to finish"
                )
            lock = read_lock(profile.user_data_dir)
            if lock.state is LockState.FOREIGN:
                raise ProfileBusy(
                    f"profile {profile.user_data_dir} is locked by another computer: {lock.detail}"
                )
            if lock.state is LockState.AGENT:
                raise ProfileBusy(f"profile {profile.user_data_dir} is busy: {lock.detail}")
            if lock.state is LockState.LIVE:
                await self._in_session(profile, outcome, deadline, warm=True)
                return
            probe = await self.probe(profile)
            outcome.state_before = probe.linked
            if probe.linked is Linked.NOT_LINKED:
                outcome.result, outcome.path, outcome.verified = (
                    Result.NOTHING_TO_DO,
                    LogoutPath.OFFLINE,
                    True,
                )
                return
            async with self._launch_slot(deadline):
                with self._cold_hold(profile) as hold:
                    try:
                        await self._in_session(profile, outcome, deadline, warm=False)
                    finally:
                        if hold is not None and hold.refused:
                            outcome.notes.append(
                                f"a browser tried to open the profile during the logout and was"
                                f" refused ({hold.refused} time(s))"
                            )

    async def _in_session(
        self, profile: ProfileSettings, outcome: Outcome, deadline: float, warm: bool
    ) -> None:
        # Keep a slice of the deadline for the fallback and for closing the browser.
        reserve = min(1.5, (deadline - self.clock()) * 0.25)
        opening = self._open_warm if warm else self._open_cold
        session = await opening(profile, deadline - reserve, outcome.notes)
        outcome.path = session.path
        if session.path is LogoutPath.COLD:
            relaunched_with = self.cold_executable()
            outcome.notes.append(f"relaunched with {relaunched_with.kind} {relaunched_with.path}")
        tab = BoundedTab(session.tab, deadline, self.clock)
        try:
            report = await log_out_in_page(
                tab,
                self.client_url(profile),
                deadline - reserve,
                paths=tuple(self.settings.logout.paths),
                clock=self.clock,
            )
            self._record(outcome, report)
            if (
                outcome.result is not Result.LOGGED_OUT
                and outcome.result is not Result.NOTHING_TO_DO
            ):
                if tab.answered:
                    await self._fallback(tab, outcome)
                else:
                    outcome.result = Result.FAILED
                    outcome.error = (
                        "the client page never answered before the deadline"
                        f" ({outcome.error or 'no reading'}); nothing was cleared"
                    )
        finally:
            outcome.notes.extend(tab.dialogs)
            await session.close(max(deadline - self.clock(), CLOSE_FLOOR_S))

    def _record(self, outcome: Outcome, report: LogoutReport) -> None:
        if report.state_before.value != "unknown" or outcome.state_before == "unknown":
            outcome.state_before = report.state_before
        outcome.attempts = report.attempts
        outcome.verified = report.verified
        outcome.device_unlinked = report.device_unlinked
        outcome.error = report.error
        outcome.notes.extend(report.steps)
        outcome.notes.extend(f"evidence: {item}" for item in report.evidence)
        if report.ui_failed:
            outcome.notes.append(f"UI path gave way: {report.ui_failed}")
        if report.client_failed:
            outcome.notes.append(f"client function unavailable: {report.client_failed}")
        if report.nothing_to_do:
            outcome.result = Result.NOTHING_TO_DO
        elif report.verified and report.device_unlinked is not False:
            outcome.action, outcome.result = Action.IN_PAGE_LOGOUT, Result.LOGGED_OUT
            outcome.how = report.how or "none"
        elif report.verified:
            outcome.action = Action.IN_PAGE_LOGOUT
            outcome.how = report.how or "none"
            outcome.result = Result.LOCAL_ONLY
            outcome.error = "the client could not reach its server to unlink the device"
        elif report.keys_left:
            outcome.error = f"QR shown but session keys remain: {', '.join(report.keys_left)}"

    async def _fallback(self, tab: BoundedTab, outcome: Outcome) -> None:
        if not self.settings.logout.fallback_clear:
            outcome.result = Result.FAILED
            return
        try:
            await tab.clear_origin_data(FALLBACK_STORAGE)
            left = await stored_keys(tab)
        except DriverError as exc:
            outcome.result = Result.FAILED
            outcome.error = f"{outcome.error or 'logout failed'}; fallback failed too: {exc}"
            return
        outcome.fallback_used = True
        if left:
            outcome.result = Result.FAILED
            outcome.error = f"fallback ran but keys remain: {', '.join(left)}"
            return
        if outcome.action is Action.NONE:
            outcome.action = Action.FALLBACK_CLEAR
            outcome.how = "wipe"
        outcome.result = Result.LOCAL_ONLY
        outcome.notes.append(LOCAL_ONLY_NOTE)

    async def show_warning(self, profile: ProfileSettings, seconds: int) -> WarningResult:
        """Show the countdown in the visitor's browser; return completed/cancelled/unavailable."""
        endpoint = (await asyncio.to_thread(self.endpoint, profile)).endpoint
        if endpoint is None:
            return WarningResult.UNAVAILABLE
        try:  # plain CDP: Playwright is for cold relaunches only
            session = await self.driver.attach(
                endpoint, self.client_url(profile), PAGE_READ_S, open_if_missing=False
            )
        except DriverError:
            return WarningResult.UNAVAILABLE
        tab = BoundedTab(session.tab, self.clock() + seconds + PAGE_READ_S, self.clock)
        try:  # DeadlineExceeded is a DriverError: show_countdown answers "unavailable"
            return WarningResult(await show_countdown(tab, seconds))
        finally:
            await session.close()

    async def page_input_idle_seconds(self, profile: ProfileSettings) -> float | None:
        """Return seconds since the last input in the client's tab, None if it cannot be read."""
        endpoint = (await asyncio.to_thread(self.endpoint, profile, 0.5)).endpoint
        if endpoint is None:
            return None
        try:  # plain CDP: Playwright is for cold relaunches only
            session = await self.driver.attach(
                endpoint, self.client_url(profile), PAGE_READ_S, open_if_missing=False
            )
        except DriverError:
            return None
        try:
            tab = BoundedTab(session.tab, self.clock() + PAGE_READ_S, self.clock)
            return await input_idle_seconds(tab)  # a page past the deadline answers None
        finally:
            await session.close()

    async def close(self) -> None:
        await self.driver.stop()


def default_profile(
    settings: Settings, user_data_dir: Path | None, url: str | None
) -> ProfileSettings:
    """Return the profile a CLI call means: --profile, else the first configured or managed."""
    if user_data_dir is not None:
        return ProfileSettings(name="cli", user_data_dir=user_data_dir, url=url)
    first = settings.effective_profiles()[0]
    return first.model_copy(update={"url": url}) if url else first
