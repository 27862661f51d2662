"""The state rule: a guarded profile whose browser is not running holds no session.

The daemon used to log out on the browser *closing*, an edge it had to witness; a session stored
while the daemon was not looking (a power cut, a crash, a first install, a sleep) stayed linked.
The rule is a state instead, checked at start (right after recovery), after a resume from sleep,
on every probe and browser watch, when the browser's process exits (agent/daemon/closewatch.py)
and after every failed try: whenever it is broken, a cold logout runs at once.

A failed try is retried with backoff (RETRY_FIRST_S doubling to RETRY_CAP_S, without end) until
a try is verified or local_only, or the rule holds again (the browser opened, the session went);
each try is its own logout, so its own audit line and metrics count. The age of the oldest
break (a stored session with no browser running, since the daemon first saw it) is reported to
a callback (the kioskguard_unguarded_session_age_seconds gauge).
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence

from loguru import logger

from agent.daemon.ports import Clock
from agent.outcome import Outcome, Result
from agent.settings import ProfileSettings

RETRY_FIRST_S = 2.0
RETRY_CAP_S = 60.0

Breaks = Callable[[ProfileSettings], Awaitable[bool]]
Attempt = Callable[[ProfileSettings, str], Awaitable[Outcome]]


class StateRule:
    """Restores "no browser running, no session stored" for each profile, retrying failures."""

    def __init__(
        self,
        clock: Clock,
        breaks: Breaks,
        attempt: Attempt,
        *,
        enabled: bool = True,
        on_age: Callable[[float], None] | None = None,
    ) -> None:
        """breaks(profile) tells whether the profile breaks the rule now (and may act on no
        browser); attempt(profile, why) runs one logout try and returns its outcome. When not
        enabled, breaks are only noted (the age), never acted on."""
        self.clock = clock
        self.enabled = enabled
        self._breaks = breaks
        self._attempt = attempt
        self._on_age = on_age
        self._broken_since: dict[str, float] = {}
        self._retrying: dict[str, asyncio.Task[None]] = {}

    async def check(self, profile: ProfileSettings, why: str) -> Outcome | None:
        """Given a profile and why it is checked, log it out if it breaks the rule (one try;
        a failure is retried in the background) and return that try's outcome; None when the
        rule holds or a retry loop already owns the profile."""
        if self.retrying(profile.name):
            return None
        if not await self.broken(profile) or not self.enabled:
            return None
        outcome = await self._attempt(profile, why)
        self._after(profile, outcome)
        return outcome

    async def check_all(self, profiles: Sequence[ProfileSettings], why: str) -> list[Outcome]:
        """check() every profile at the same time; return the outcomes of the tries made."""
        found = await asyncio.gather(*(self.check(profile, why) for profile in profiles))
        return [outcome for outcome in found if outcome is not None]

    async def broken(self, profile: ProfileSettings) -> bool:
        """Return whether the profile breaks the rule now, and note it for the age."""
        broken = await self._breaks(profile)
        self.note(profile.name, broken=broken)
        return broken

    def note(self, name: str, *, broken: bool) -> None:
        """Record whether the profile breaks the rule now (first sighting starts its age)."""
        if broken:
            self._broken_since.setdefault(name, self.clock.monotonic())
        else:
            self._broken_since.pop(name, None)
        self._report_age()

    def age_s(self) -> float:
        """Return the age of the oldest break now (0 when the rule holds everywhere)."""
        if not self._broken_since:
            return 0.0
        return max(self.clock.monotonic() - min(self._broken_since.values()), 0.0)

    def retrying(self, name: str) -> bool:
        """Return True while a retry loop owns the profile."""
        task = self._retrying.get(name)
        return task is not None and not task.done()

    async def stop(self) -> None:
        """Cancel the retry loops (the daemon stops; its shutdown logout takes over)."""
        tasks = list(self._retrying.values())
        self._retrying.clear()  # a loop whose cancellation a wait_for swallowed ends at its turn
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)

    def _after(self, profile: ProfileSettings, outcome: Outcome) -> None:
        if outcome.result is not Result.FAILED:
            self.note(profile.name, broken=False)
            return
        if not self.retrying(profile.name):
            self._retrying[profile.name] = asyncio.create_task(self._retry(profile))

    async def _retry(self, profile: ProfileSettings) -> None:
        delay_s = RETRY_FIRST_S
        while self._retrying.get(profile.name) is asyncio.current_task():
            logger.warning("{}: the logout failed; next try in {:g} s", profile.name, delay_s)
            await self.clock.sleep(delay_s)
            delay_s = min(delay_s * 2, RETRY_CAP_S)
            if self._retrying.get(profile.name) is not asyncio.current_task():
                return  # stopped
            if not await self.broken(profile):
                logger.info("{}: the rule holds again (browser open or no session)", profile.name)
                return
            outcome = await self._attempt(profile, "retry after a failed logout")
            if outcome.result is not Result.FAILED:
                self.note(profile.name, broken=False)
                return

    def _report_age(self) -> None:
        if self._on_age is not None:
            self._on_age(self.age_s())
