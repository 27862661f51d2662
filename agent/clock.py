"""Time, injected so that logic never reads the real clock: the Clock seam and the real one.

Shared by the layers (the daemon, the fleet); agent/daemon/ports.py and agent/daemon/clock.py
re-export both. The fake, virtual time, is agent/daemon/fakes.py FakeClock.
"""

from __future__ import annotations

import asyncio
import time
from datetime import datetime, tzinfo
from typing import Protocol


class Clock(Protocol):
    """Time, injected so that logic never reads the real clock."""

    def now(self) -> datetime:
        """Return the aware current time in the configured time zone."""
        ...

    def monotonic(self) -> float:
        """Return seconds from an arbitrary origin that never goes backwards."""
        ...

    async def sleep(self, seconds: float) -> None:
        """Wait for seconds."""
        ...


class SystemClock:
    """The real Clock: wall time in one zone, monotonic time, asyncio sleep."""

    def __init__(self, timezone: tzinfo) -> None:
        self.timezone = timezone

    def now(self) -> datetime:
        """Return the aware current time in the clock's zone."""
        return datetime.now(self.timezone)

    def monotonic(self) -> float:
        """Return time.monotonic()."""
        return time.monotonic()

    async def sleep(self, seconds: float) -> None:
        """Wait for seconds on the event loop."""
        await asyncio.sleep(seconds)
