"""The seams between the daemon and the operating system: idle sources, OS events, inhibitors.

Each OS API is touched by exactly one module of this package; the daemon sees only these types.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from enum import StrEnum
from typing import Protocol, runtime_checkable


class OsEvent(StrEnum):
    """Something the operating system announced that may call for a logout."""

    SHUTDOWN = "shutdown"
    SLEEP = "sleep"
    RESUME = "resume"
    LOCK = "lock"
    UNLOCK = "unlock"
    LOGOFF = "logoff"


@runtime_checkable
class IdleSource(Protocol):
    """Seconds since the user's last input, as one OS API reports it."""

    name: str

    async def idle_seconds(self) -> float | None:
        """Return seconds since the last input, or None when the source cannot tell right now."""
        ...


class EventSource(Protocol):
    """A long-running stream of OS events."""

    def events(self) -> AsyncIterator[OsEvent]:
        """Return an iterator that yields each event as it arrives, until the source closes."""
        ...


class ShutdownInhibitor(Protocol):
    """A delay lock: while held, the OS waits (up to its cap) before shutdown or sleep."""

    @property
    def held(self) -> bool: ...

    async def acquire(self) -> None:
        """Take the lock. Raise PlatformUnavailable if the OS refuses it."""
        ...

    def release(self) -> None:
        """Let the pending shutdown or sleep proceed. Releasing twice is harmless."""
        ...


class CallableIdleSource:
    """An IdleSource around a coroutine function (the session layer's browser input idle)."""

    def __init__(self, name: str, function: Callable[[], Awaitable[float | None]]) -> None:
        self.name = name
        self._function = function

    async def idle_seconds(self) -> float | None:
        """Return what the wrapped function returns."""
        return await self._function()

    def __repr__(self) -> str:
        return f"CallableIdleSource({self.name!r})"


def close_idle_source(source: object) -> None:
    """Release what an idle source holds (display, bus connection), if it holds anything."""
    close = getattr(source, "close", None)
    if callable(close):
        close()


class ChainedIdleSource:
    """Asks each source in turn; the first that can tell answers (OS source, then browser)."""

    def __init__(self, sources: list[IdleSource]) -> None:
        if not sources:
            raise ValueError("a chain needs at least one idle source")
        self.sources = sources
        self.name = "+".join(source.name for source in sources)

    async def idle_seconds(self) -> float | None:
        """Return the first answer that is not None, or None if no source can tell."""
        for source in self.sources:
            seconds = await source.idle_seconds()
            if seconds is not None:
                return seconds
        return None

    def close(self) -> None:
        for source in self.sources:
            close_idle_source(source)

    def __repr__(self) -> str:
        return f"ChainedIdleSource({self.name!r})"
