"""The seams of the daemon: what it needs from the session layer, the OS and time.

Real implementations: agent/session/service.py (SessionAgent), agent/platform/ (OS events),
agent/clock.py (Clock, SystemClock). The idle source's Protocol is the platform's own
(agent/platform/base.py: IdleSource). Fakes for tests: agent/daemon/fakes.py and
agent/platform/fakeclock.py.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Coroutine, Sequence
from typing import Any, Protocol, runtime_checkable

from agent.clock import Clock as Clock  # re-exported: it lives below the layers now
from agent.outcome import Linked, Outcome, ProbeResult, Trigger, WarningResult
from agent.settings import ProfileSettings


@runtime_checkable
class SessionAgent(Protocol):
    """The session layer, as the daemon drives it. Methods raise KioskguardError subclasses."""

    async def probe(self, profile: ProfileSettings) -> ProbeResult:
        """Return whether the profile holds a linked session (offline, cheap)."""
        ...

    async def logout(
        self, profile: ProfileSettings, trigger: Trigger, deadline_s: float
    ) -> Outcome:
        """Log the profile out and verify it, finishing inside deadline_s; return the outcome."""
        ...

    async def linked_now(self, profile: ProfileSettings) -> Linked:
        """Return whether the profile holds a session now: the running browser's own storage
        when it answers (no disk lag), else the offline probe."""
        ...

    async def page_linked(self, profile: ProfileSettings) -> Linked | None:
        """Return whether the running browser's client tab holds the session keys (its own
        storage, no probe); None when no browser runs or its page cannot be read."""
        ...

    async def browser_running(self, profile: ProfileSettings) -> bool:
        """Return True while a browser holds the profile."""
        ...

    async def show_warning(self, profile: ProfileSettings, seconds: int) -> WarningResult:
        """Show a countdown banner in the client's tab; return when it ends or is cancelled."""
        ...

    async def page_input_idle_seconds(self, profile: ProfileSettings) -> float | None:
        """Return seconds since the last input in the profile's pages, None when unknown."""
        ...

    async def scrub_closed(self, profile: ProfileSettings) -> list[str]:
        """Given a profile whose browser closed with no session stored, leave nothing of the
        client readable in its files (a warm logout's removed keys linger in LevelDB); return
        what was done, in words (empty: nothing to do)."""
        ...


class TriggerSource(Protocol):
    """A stream of events that call for a logout (logind shutdown, sleep, lock, logoff ...).

    The daemon finishes handling each trigger before it asks for the next one, so a source
    holding a delay inhibitor releases it when its iterator resumes.
    """

    name: str

    def events(self) -> AsyncIterator[Trigger]:
        """Return an iterator yielding each trigger as it arrives, until the source closes."""
        ...


class Notifier(Protocol):
    """A desktop notification (the platform layer provides one; the default only logs)."""

    async def notify(self, title: str, body: str) -> None:
        """Show a short notification to the person at the computer."""
        ...


class ServiceManager(Protocol):
    """The service manager watching the daemon (systemd's sd_notify; a no-op elsewhere)."""

    def ready(self) -> bool:
        """Say that start-up (recovery included) is done."""
        ...

    def status(self, text: str) -> bool:
        """Show a one-line status (`systemctl status`)."""
        ...

    def stopping(self) -> bool:
        """Say that the daemon is stopping (its final logouts run now)."""
        ...


class BrowserExitWatch(Protocol):
    """Waits for the browser holding a profile to exit (agent/daemon/closewatch.py)."""

    name: str

    async def wait_closed(self, profile: ProfileSettings) -> bool:
        """Return True once the browser holding the profile now has exited; False at once if
        none holds it. Raise KioskguardError or OSError if it cannot be watched."""
        ...


class ServiceHost(Protocol):
    """What hosts the daemon when a service manager runs it (the Windows service's bridge,
    agent/platform/windows_service.py): its loop, its trigger sources, its stop requests."""

    def run(self, work: Coroutine[Any, Any, int]) -> int:
        """Given serve(), run it to its end in the host's loop; return its exit code."""
        ...

    def trigger_sources(self) -> Sequence[TriggerSource]:
        """Return the host's trigger sources for the daemon being built."""
        ...

    def attach(self, daemon: Any) -> None:
        """Given the daemon now serving (None: it ended), send it the host's stops."""
        ...
