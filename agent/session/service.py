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

This module is the facade; the parts live beside it: agent.session.routing (executable, launch
slots, endpoint, cold hold), agent.session.outcomes (report -> Outcome, fallback policy) and
agent.session.inspector (the lock, the endpoint proof and the offline probe, read from this
computer by a ProfileInspector given to the service: HostInspector unless told otherwise).
"""

from __future__ import annotations

import asyncio
import os
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass

from loguru import logger

from agent.browser.bounded import BoundedTab, before
from agent.browser.discovery import Browser
from agent.browser.driver import BrowserDriver, Driver, Session
from agent.browser.endpoint import EndpointCheck
from agent.browser.locks import LockState, ProfileLock
from agent.browser.logout_lock import logout_turn
from agent.browser.scrub import scrub_closed_profile
from agent.errors import DeadlineExceeded, DriverError, KioskguardError, ProbeError, ProfileBusy
from agent.outcome import (
    Linked,
    LogoutPath,
    Outcome,
    ProbeResult,
    Result,
    Trigger,
    WarningResult,
)
from agent.probe.probe import LINKED_WHEN
from agent.session.inspector import HostInspector, ProfileInspector
from agent.session.logout import log_out_in_page, stored_keys
from agent.session.outcomes import record, settle
from agent.session.pagestate import inspect, leave_page
from agent.session.routing import Routing
from agent.session.warning import input_idle_seconds, show_countdown
from agent.settings import ProfileSettings, Settings

CLOSE_FLOOR_S = 1.0  # closing the relaunched browser always gets this long: never left running
PAGE_READ_S = 5.0  # reading a running page (status, warning, idle input) ends by then
LINKED_NOW_PAGE_S = 3.0  # linked_now's page read: the probe fallback fits in the daemon's 5 s


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
        inspector: ProfileInspector | None = None,
    ) -> None:
        self.settings = settings
        self.driver: BrowserDriver = driver or Driver(clock)
        self.clock = clock
        self.inspector: ProfileInspector = inspector or HostInspector()
        self.routing = Routing(settings, clock, self.inspector)

    def client_url(self, profile: ProfileSettings) -> str:
        return profile.url or self.settings.general.client_url

    def executable(self) -> Browser:
        """Return the browser executable (found once; see Routing)."""
        return self.routing.executable()

    def cold_executable(self) -> Browser:
        """Return what relaunches closed profiles (see Routing.cold_executable)."""
        return self.routing.cold_executable()

    def endpoint(self, profile: ProfileSettings, timeout_s: float = 1.0) -> EndpointCheck:
        """Return the proven DevTools endpoint of the browser holding the profile, or why none."""
        return self.routing.endpoint(profile, timeout_s)

    async def probe(self, profile: ProfileSettings) -> ProbeResult:
        """Return the offline verdict for the profile's user data dir (no browser involved).

        The files are read in a thread: a slow disk holds up nothing else on the loop, and a
        caller's timeout (asyncio.wait_for) ends the wait (the read finishes unobserved)."""
        return await asyncio.to_thread(self._probe, profile)

    def _probe(self, profile: ProfileSettings) -> ProbeResult:
        url = self.client_url(profile)
        user_data_dir = profile.user_data_dir
        if not user_data_dir.exists() or not any(user_data_dir.iterdir()):
            detail = "profile never used (no browser data yet)"
            return ProbeResult(str(user_data_dir), url, Linked.NOT_LINKED, detail=detail)
        try:
            results = self.inspector.stored(user_data_dir, url)
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
        if (await self._lock(profile)).state is not LockState.LIVE:
            return PageReading(running=False)
        check = await asyncio.to_thread(self.endpoint, profile, min(0.5, timeout_s))
        if check.endpoint is None:
            return PageReading(running=True, error=f"no proven endpoint: {check.reason}")
        endpoint = check.endpoint
        try:
            async with self.client_tab(profile, endpoint, deadline, leave=with_state) as tab:
                present = await stored_keys(tab, LINKED_WHEN)
                state = (await inspect(tab)).state.value if with_state else None
        except KioskguardError as exc:
            return PageReading(running=True, endpoint=endpoint, error=str(exc))
        linked = Linked.LINKED if len(present) == len(LINKED_WHEN) else Linked.NOT_LINKED
        return PageReading(
            running=True, endpoint=endpoint, linked=linked, keys=tuple(present), state=state
        )

    async def linked_now(self, profile: ProfileSettings) -> Linked:
        """Return whether the profile holds a session now.

        While its browser runs and answers, read the client tab's own storage (the disk lags a
        fresh link, and a logout, by seconds); otherwise, or if that fails, the offline probe.
        """
        reading = await self.read_page(profile, LINKED_NOW_PAGE_S)
        if reading.linked is not None:
            return reading.linked
        if reading.error:
            logger.debug(
                "{}: cannot read the page ({}); using the probe", profile.name, reading.error
            )
        return (await self.probe(profile)).linked

    async def page_linked(self, profile: ProfileSettings) -> Linked | None:
        """Return what the running browser's client tab says (no probe); None if unreadable."""
        return (await self.read_page(profile)).linked

    async def browser_running(self, profile: ProfileSettings) -> bool:
        return (await self._lock(profile)).state is LockState.LIVE

    async def _lock(self, profile: ProfileSettings) -> ProfileLock:
        """Return who holds the profile's lock, read in a thread (see ProfileInspector)."""
        return await asyncio.to_thread(self.inspector.lock, profile.user_data_dir)

    async def prepare(self) -> None:
        """Have ready what a cold logout needs before the first one (see Routing.prepare)."""
        await self.routing.prepare()

    async def _start_driver(self, deadline: float) -> None:
        await before(deadline, "starting the browser driver", self.driver.start(), self.clock)

    async def _open_warm(
        self, profile: ProfileSettings, deadline: float, notes: list[str]
    ) -> Session:
        """Attach to the visitor's browser. Raise ProfileBusy if its endpoint is not proven."""
        timeout_s = max(min(1.0, deadline - self.clock()), 0.05)
        check = await asyncio.to_thread(self.endpoint, profile, timeout_s)
        if check.endpoint is None:
            raise ProfileBusy(
                f"profile {profile.user_data_dir} is open in a browser without a debugging port"
                f" proven to be its own ({check.reason})"
            )
        return await self.driver.attach(  # plain CDP
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
        executable = await asyncio.to_thread(self.cold_executable)  # found once, then cached
        remaining = deadline - self.clock()
        if remaining <= 0:
            raise DeadlineExceeded("the deadline came before the profile could be relaunched")
        return await self.driver.launch(
            profile.user_data_dir,
            self.client_url(profile),
            executable,
            remaining,
            headless=self.settings.browser.headless_cold,
        )

    async def logout(
        self, profile: ProfileSettings, trigger: Trigger, deadline_s: float
    ) -> Outcome:
        """Log the profile out inside deadline_s and return the verified (or not) outcome."""
        started = self.clock()
        deadline = started + deadline_s
        outcome = Outcome(
            profile=profile.name,
            trigger=trigger,
            notes=[f"user data dir: {profile.user_data_dir}"],
            user_data_dir=os.path.realpath(profile.user_data_dir),
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
            lock = await self._lock(profile)
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
                await self._scrub(profile, outcome)
                return
            async with (
                self.routing.launch_slot(deadline),
                self.routing.cold_hold(profile) as hold,
            ):
                try:
                    await self._in_session(profile, outcome, deadline, warm=False)
                    await self._scrub(profile, outcome)
                finally:
                    if hold is not None and hold.refused:
                        outcome.notes.append(
                            f"a browser tried to open the profile during the logout and was"
                            f" refused ({hold.refused} time(s))"
                        )

    async def scrub_closed(self, profile: ProfileSettings) -> list[str]:
        """Given a profile whose browser closed with no session stored (a warm logout ran, or
        none was ever made), scrub the client's leftovers from its files, holding the profile's
        logout turn; return the notes. A profile a browser (or another computer) holds, or whose
        turn does not come within the deadline, is left alone, with a note saying why; one whose
        probe finds a session stored (or cannot tell) is left alone: scrubbing it would wipe the
        session locally and leave the device linked on the phone."""
        deadline = self.clock() + self.settings.logout.deadline_s
        state_dir = self.settings.general.state_dir
        try:
            async with logout_turn(state_dir, profile.user_data_dir, deadline, self.clock):
                if (await self.probe(profile)).linked is not Linked.NOT_LINKED:
                    return []  # a session (or what cannot be read) is stored: a logout's job
                url = self.client_url(profile)
                report = await asyncio.to_thread(scrub_closed_profile, profile.user_data_dir, url)
                return list(report.notes)
        except KioskguardError as exc:
            return [f"scrub skipped: {exc}"]

    async def _scrub(self, profile: ProfileSettings, outcome: Outcome) -> None:
        """After a logout with the browser closed, leave nothing of the client readable in the
        profile's files (agent.browser.scrub); what was done goes into the outcome's notes."""
        if outcome.result not in (Result.LOGGED_OUT, Result.LOCAL_ONLY, Result.NOTHING_TO_DO):
            return  # a failed logout keeps the keys its retry needs
        url = self.client_url(profile)
        report = await asyncio.to_thread(scrub_closed_profile, profile.user_data_dir, url)
        outcome.notes.extend(report.notes)

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
            record(outcome, report)
            await settle(tab, outcome, self.settings.logout.fallback_clear)
        finally:
            outcome.notes.extend(tab.dialogs)
            await session.close(max(deadline - self.clock(), CLOSE_FLOOR_S))

    @asynccontextmanager
    async def client_tab(
        self,
        profile: ProfileSettings,
        endpoint: str,
        deadline: float,
        use_s: float | None = None,
        leave: bool = True,
    ) -> AsyncIterator[BoundedTab]:
        """Given the proven endpoint of the profile's running browser, yield its client tab.

        Attaches over plain CDP (as cold relaunches are driven too) before deadline (a
        clock() value), never opening a tab in the visitor's browser; every call on the tab
        ends by deadline, or use_s after attaching when given. Afterwards the page is left as
        found (leave_page: the reader's marks and observer; skip with leave=False where no
        reading marked it) and the session closed (at least CLOSE_FLOOR_S to do so). Raise
        DriverError (DeadlineExceeded included) if the attach fails.
        """
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
        if use_s is not None:
            deadline = self.clock() + use_s
        tab = BoundedTab(session.tab, deadline, self.clock)
        try:
            yield tab
        finally:
            try:
                if leave:
                    await leave_page(tab)
            finally:
                await session.close(max(deadline - self.clock(), CLOSE_FLOOR_S))

    async def show_warning(self, profile: ProfileSettings, seconds: int) -> WarningResult:
        """Show the countdown in the visitor's browser; return completed/cancelled/unavailable."""
        endpoint = (await asyncio.to_thread(self.endpoint, profile)).endpoint
        if endpoint is None:
            return WarningResult.UNAVAILABLE
        attach_by = self.clock() + PAGE_READ_S
        try:  # only the attach raises: show_countdown answers "unavailable" for page errors
            opening = self.client_tab(
                profile, endpoint, attach_by, seconds + PAGE_READ_S, leave=False
            )
            async with opening as tab:
                return WarningResult(await show_countdown(tab, seconds))
        except DriverError:
            return WarningResult.UNAVAILABLE

    async def page_input_idle_seconds(self, profile: ProfileSettings) -> float | None:
        """Return seconds since the last input in the client's tab, None if it cannot be read."""
        endpoint = (await asyncio.to_thread(self.endpoint, profile, 0.5)).endpoint
        if endpoint is None:
            return None
        attach_by = self.clock() + PAGE_READ_S
        try:  # only the attach raises: a page past the deadline answers None
            opening = self.client_tab(profile, endpoint, attach_by, PAGE_READ_S, leave=False)
            async with opening as tab:
                return await input_idle_seconds(tab)
        except DriverError:
            return None

    async def close(self) -> None:
        await self.driver.stop()
