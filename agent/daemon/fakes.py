"""Fakes of the daemon's seams, shipped with the package (httpx's MockTransport style).

Tests inject them instead of patching: FakeClock (agent/platform/fakeclock.py, virtual time
that advances when slept on), FakeIdleSource (idle time computed from scripted input moments),
FakeSessionAgent (scripted probe, logout and warning answers that records every call),
FakeTriggerSource, FakeExitWatch.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field

from agent.outcome import (
    Linked,
    LogoutPath,
    Outcome,
    PageState,
    ProbeResult,
    Result,
    Trigger,
    WarningResult,
)
from agent.platform.fakeclock import FakeClock
from agent.settings import ProfileSettings


class FakeIdleSource:
    """Idle seconds since the last scripted input, read from a FakeClock."""

    name = "fake"

    def __init__(self, clock: FakeClock, last_input_at: float = 0.0) -> None:
        self.clock = clock
        self.last_input_at = last_input_at
        self.planned_inputs: list[float] = []
        self.unknown = False

    def touch(self) -> None:
        """Record input now."""
        self.last_input_at = self.clock.monotonic()

    def input_at(self, moment: float) -> None:
        """Plan an input at the given monotonic moment."""
        self.planned_inputs.append(moment)

    async def idle_seconds(self) -> float | None:
        if self.unknown:
            return None
        now = self.clock.monotonic()
        passed = [moment for moment in self.planned_inputs if moment <= now]
        if passed:
            self.last_input_at = max(self.last_input_at, *passed)
            self.planned_inputs = [moment for moment in self.planned_inputs if moment > now]
        return now - self.last_input_at


@dataclass
class FakeSessionAgent:
    """A SessionAgent with scripted answers; every call is recorded in the lists below.

    logout() marks the profile not linked and returns ``result``; while ``logout_gate`` is set
    and not released it waits on it (to test joins and deadlines). ``during_warning`` runs while
    a warning is shown (e.g. to simulate input).
    """

    linked: dict[str, Linked] = field(default_factory=dict)
    running: dict[str, bool] = field(default_factory=dict)
    default_linked: Linked = Linked.LINKED
    result: Result = Result.LOGGED_OUT
    path: LogoutPath = LogoutPath.COLD
    warning_result: WarningResult = WarningResult.COMPLETED
    during_warning: Callable[[], None] | None = None
    logout_gate: asyncio.Event | None = None
    logout_error: Exception | None = None
    page_idle: float | None = None
    live_linked: dict[str, Linked] = field(default_factory=dict)  # the page's answer, if any
    probes: list[str] = field(default_factory=list)
    page_reads: list[str] = field(default_factory=list)
    logouts: list[tuple[str, Trigger, float]] = field(default_factory=list)
    warnings: list[tuple[str, int]] = field(default_factory=list)
    scrubs: list[str] = field(default_factory=list)

    async def probe(self, profile: ProfileSettings) -> ProbeResult:
        self.probes.append(profile.name)
        linked = self.linked.get(profile.name, self.default_linked)
        return ProbeResult(profile=profile.name, origin=profile.url or "", linked=linked)

    async def linked_now(self, profile: ProfileSettings) -> Linked:
        if profile.name in self.live_linked:
            return self.live_linked[profile.name]
        return (await self.probe(profile)).linked

    async def page_linked(self, profile: ProfileSettings) -> Linked | None:
        self.page_reads.append(profile.name)
        if not self.running.get(profile.name, False):
            return None
        return self.live_linked.get(profile.name)

    async def logout(
        self, profile: ProfileSettings, trigger: Trigger, deadline_s: float
    ) -> Outcome:
        self.logouts.append((profile.name, trigger, deadline_s))
        if self.logout_gate is not None:
            await self.logout_gate.wait()
        if self.logout_error is not None:
            raise self.logout_error
        before = self.linked.get(profile.name, self.default_linked)
        if self.result is not Result.FAILED:
            self.linked[profile.name] = Linked.NOT_LINKED
            self.live_linked.pop(profile.name, None)
        return Outcome(
            profile=profile.name,
            trigger=trigger,
            result=self.result,
            path=self.path,
            state_before=PageState.CHATS if before is Linked.LINKED else PageState.QR,
            verified=self.result is Result.LOGGED_OUT,
        )

    async def browser_running(self, profile: ProfileSettings) -> bool:
        return self.running.get(profile.name, False)

    async def show_warning(self, profile: ProfileSettings, seconds: int) -> WarningResult:
        self.warnings.append((profile.name, seconds))
        if self.during_warning is not None:
            self.during_warning()
        return self.warning_result

    async def page_input_idle_seconds(self, profile: ProfileSettings) -> float | None:
        return self.page_idle

    async def scrub_closed(self, profile: ProfileSettings) -> list[str]:
        self.scrubs.append(profile.name)
        return []


class FakeTriggerSource:
    """A TriggerSource fed by put(); records which triggers the daemon finished handling."""

    name = "fake"

    def __init__(self) -> None:
        self.queue: asyncio.Queue[Trigger | None] = asyncio.Queue()
        self.handled: list[Trigger] = []
        self.on_resume: list[Callable[[], None]] = []

    def subscribe_resume(self, callback: Callable[[], None]) -> None:
        self.on_resume.append(callback)

    def resume(self) -> None:
        """The computer resumes from sleep."""
        for callback in self.on_resume:
            callback()

    def put(self, trigger: Trigger | None) -> None:
        """Queue a trigger; None closes the stream."""
        self.queue.put_nowait(trigger)

    async def events(self) -> AsyncIterator[Trigger]:
        while (trigger := await self.queue.get()) is not None:
            yield trigger
            self.handled.append(trigger)


class FakeExitWatch:
    """A BrowserExitWatch: waits on a profile while the FakeSessionAgent says its browser runs,
    until close(name) (which also marks it not running)."""

    name = "fake"

    def __init__(self, agent: FakeSessionAgent) -> None:
        self.agent = agent
        self.waiting: list[str] = []
        self._closed: dict[str, asyncio.Event] = {}

    def close(self, name: str) -> None:
        """The profile's browser process exits."""
        self.agent.running[name] = False
        self._closed.setdefault(name, asyncio.Event()).set()

    async def wait_closed(self, profile: ProfileSettings) -> bool:
        if not self.agent.running.get(profile.name, False):
            return False
        self.waiting.append(profile.name)
        closed = self._closed.setdefault(profile.name, asyncio.Event())
        await closed.wait()
        closed.clear()
        return True


class RecordingNotifier:
    """A Notifier that keeps what it was asked to show."""

    def __init__(self) -> None:
        self.shown: list[tuple[str, str]] = []

    async def notify(self, title: str, body: str) -> None:
        self.shown.append((title, body))
