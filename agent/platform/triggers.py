"""Adapt an OsEvent stream (and its delay inhibitor) to the daemon's TriggerSource shape.

The daemon handles each trigger before it asks for the next one, so the inhibitor is released
when the iterator resumes after SHUTDOWN or SLEEP: the logout ran while the OS waited.
RESUME is no trigger, but the daemon checks its state rule then: subscribe_resume().
"""

from __future__ import annotations

from collections.abc import AsyncGenerator, Callable, Mapping

from agent.outcome import Trigger
from agent.platform.base import EventSource, OsEvent, ShutdownInhibitor

# RESUME and UNLOCK call for no logout.
TRIGGER_BY_EVENT: Mapping[OsEvent, Trigger] = {
    OsEvent.SHUTDOWN: Trigger.SHUTDOWN,
    OsEvent.SLEEP: Trigger.SLEEP,
    OsEvent.LOCK: Trigger.LOCK,
    OsEvent.LOGOFF: Trigger.LOGOFF,
}
_DELAYED = frozenset({OsEvent.SHUTDOWN, OsEvent.SLEEP})


class OsTriggerSource:
    """Yields a Trigger per OsEvent that calls for a logout; releases the inhibitor after it."""

    def __init__(
        self,
        name: str,
        source: EventSource,
        inhibitor: ShutdownInhibitor | None = None,
        mapping: Mapping[OsEvent, Trigger] = TRIGGER_BY_EVENT,
        on_close: Callable[[], None] | None = None,
    ) -> None:
        self.name = name
        self._source = source
        self._inhibitor = inhibitor
        self._mapping = mapping
        self._on_close = on_close
        self._on_resume: list[Callable[[], None]] = []

    def subscribe_resume(self, callback: Callable[[], None]) -> None:
        """Call callback (in the event loop) each time the computer resumes from sleep."""
        self._on_resume.append(callback)

    def close(self) -> None:
        """Release the inhibitor and the connection behind the source (a reload builds anew)."""
        if self._inhibitor is not None:
            self._inhibitor.release()
        if self._on_close is not None:
            self._on_close()
            self._on_close = None

    async def events(self) -> AsyncGenerator[Trigger, None]:
        """Yield triggers until the event stream ends; the inhibitor is taken first if given.

        Raise PlatformUnavailable if the inhibitor cannot be taken.
        """
        if self._inhibitor is not None:
            await self._inhibitor.acquire()
        async for event in self._source.events():
            if event is OsEvent.RESUME:
                for callback in self._on_resume:
                    callback()
            trigger = self._mapping.get(event)
            if trigger is None:
                continue
            try:
                yield trigger
            finally:  # also when the consumer stops mid-logout: never block the shutdown
                if event in _DELAYED and self._inhibitor is not None:
                    self._inhibitor.release()
