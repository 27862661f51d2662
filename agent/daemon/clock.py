"""The real clock: wall time in the configured zone, monotonic time, asyncio sleep."""

from __future__ import annotations

import asyncio
import time
from datetime import datetime, tzinfo
from zoneinfo import ZoneInfo

from tzlocal import get_localzone


def resolve_timezone(name: str | None) -> tzinfo:
    """Given an IANA zone name or None, return that zone or the system's local zone."""
    return ZoneInfo(name) if name else get_localzone()


class SystemClock:
    """The Clock the daemon runs on."""

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
