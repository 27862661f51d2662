"""Virtual time for tests of timed logic: the one fake clock of every layer.

It is the daemon's Clock (now, monotonic, sleep: agent/daemon/ports.py) and, called, the
session layer's monotonic clock (a ``Callable[[], float]``: agent/session/service.py).
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

DEFAULT_START = datetime(2025, 6, 14, 12, 0, tzinfo=UTC)


class FakeClock:
    """Virtual time that moves only when advanced or slept on, so timed logic runs at once."""

    def __init__(self, start: datetime = DEFAULT_START, origin: float = 0.0) -> None:
        """Given an aware wall time and the monotonic reading at it, return a stopped clock.
        Raise ValueError if start is naive."""
        if start.tzinfo is None:
            raise ValueError("FakeClock needs an aware start time")
        self.start = start
        self.origin = origin
        self.elapsed = 0.0

    def now(self) -> datetime:
        """Return the virtual wall time."""
        return self.start + timedelta(seconds=self.elapsed)

    def monotonic(self) -> float:
        """Return the virtual monotonic time: origin plus the time advanced."""
        return self.origin + self.elapsed

    def __call__(self) -> float:
        """Return monotonic() (the session layer's clock is a function)."""
        return self.monotonic()

    async def sleep(self, seconds: float) -> None:
        """Advance by seconds, then let the other tasks run once."""
        self.advance(seconds)
        await asyncio.sleep(0)

    def advance(self, seconds: float) -> None:
        """Move virtual time forward by seconds (never backwards)."""
        self.elapsed += max(0.0, seconds)
