"""The idle watch: warn, then log out linked profiles when nobody has touched the computer.

One reading per poll: below the timeout nothing happens; above it, profiles whose probe says
LINKED get an in-page countdown (and optionally a desktop notification). Any input during the
countdown cancels the logout; otherwise every linked profile is logged out.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from enum import StrEnum

from loguru import logger

from agent.daemon.ports import Clock, Notifier, SessionAgent
from agent.errors import KioskguardError
from agent.outcome import Linked, Outcome, Trigger, WarningResult
from agent.platform.base import IdleSource
from agent.settings import IdleSettings, ProfileSettings

LogoutFunction = Callable[[ProfileSettings, Trigger, float], Awaitable[Outcome]]


class IdleDecision(StrEnum):
    """What one idle check concluded."""

    UNKNOWN = "unknown"  # the idle source could not tell
    ACTIVE = "active"  # input within the timeout
    NOT_LINKED = "not_linked"  # idle, but no session to end
    CANCELLED = "cancelled"  # input during the warning
    LOGGED_OUT = "logged_out"  # logouts ran


class BrowserIdleSource:
    """Idle time from input in the managed browser's pages (the portable fallback)."""

    name = "browser"

    def __init__(self, agent: SessionAgent, profiles: Sequence[ProfileSettings]) -> None:
        self.agent = agent
        self.profiles = list(profiles)

    async def idle_seconds(self) -> float | None:
        """Return the smallest idle time any profile's pages report, None if none knows."""
        readings = [await self.agent.page_input_idle_seconds(profile) for profile in self.profiles]
        known = [reading for reading in readings if reading is not None]
        return min(known) if known else None


class IdleWatch:
    """Decides, reading by reading, whether idleness calls for a logout."""

    def __init__(
        self,
        settings: IdleSettings,
        source: IdleSource,
        agent: SessionAgent,
        profiles: Sequence[ProfileSettings],
        logout: LogoutFunction,
        clock: Clock,
        *,
        deadline_s: float,
        notifier: Notifier | None = None,
    ) -> None:
        self.settings = settings
        self.source = source
        self.agent = agent
        self.profiles = list(profiles)
        self.logout = logout
        self.clock = clock
        self.deadline_s = deadline_s
        self.notifier = notifier

    async def run(self) -> None:
        """Check every poll_s seconds until cancelled."""
        while True:
            try:
                await self.check()
            except KioskguardError as exc:
                logger.warning("idle check failed: {}", exc)
            except Exception as exc:  # a bug must not silently end idle logouts
                logger.opt(exception=exc).error("idle check failed unexpectedly")
            await self.clock.sleep(self.settings.poll_s)

    async def check(self) -> IdleDecision:
        """Read the idle source once and act on it; return what was decided."""
        idle = await self.source.idle_seconds()
        if idle is None:
            return IdleDecision.UNKNOWN
        if idle < self.settings.timeout_s:
            return IdleDecision.ACTIVE
        # The running browser's own storage when it answers: the disk lags a fresh link by ~5 s.
        linked = [
            profile
            for profile in self.profiles
            if await self.agent.linked_now(profile) is not Linked.NOT_LINKED
        ]
        if not linked:
            return IdleDecision.NOT_LINKED
        logger.info("idle for {:.0f} s: warning before logging out", idle)
        if not await self._warning_ran_out(linked):
            logger.info("input during the idle warning: no logout")
            return IdleDecision.CANCELLED
        await asyncio.gather(
            *(self.logout(profile, Trigger.IDLE, self.deadline_s) for profile in linked)
        )
        return IdleDecision.LOGGED_OUT

    async def _warning_ran_out(self, linked: Sequence[ProfileSettings]) -> bool:
        """Show the countdown; return False if input arrived meanwhile."""
        seconds = self.settings.warning_s
        if seconds == 0:
            return True
        started = self.clock.monotonic()
        if self.settings.desktop_notification and self.notifier is not None:
            await self.notifier.notify(
                "Logging out soon", f"WhatsApp Web will log out in {seconds} s unless you continue."
            )
        results = await asyncio.gather(
            *(self.agent.show_warning(profile, seconds) for profile in linked)
        )
        if WarningResult.CANCELLED in results:
            return False
        if all(result is WarningResult.UNAVAILABLE for result in results):
            while self.clock.monotonic() - started < seconds:
                await self.clock.sleep(min(self.settings.poll_s, seconds))
                if await self._input_since(started):
                    return False
        return not await self._input_since(started)

    async def _input_since(self, started: float) -> bool:
        """Return True if the idle source saw input after the monotonic moment started."""
        idle = await self.source.idle_seconds()
        return idle is not None and idle <= self.clock.monotonic() - started
