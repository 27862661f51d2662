"""The simulator's clock seam: the registry never reads the real clock directly."""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta
from typing import Protocol

MAX_ADVANCE_SECONDS = 100 * 365 * 86_400


class Clock(Protocol):
    """Anything that tells the current time as an aware datetime."""

    def now(self) -> datetime: ...


class SystemClock:
    """The real clock, in UTC."""

    def now(self) -> datetime:
        return datetime.now(UTC)


class OffsetClock:
    """A clock running ``offset`` ahead of a base clock; the control API advances it."""

    def __init__(self, base: Clock | None = None) -> None:
        self.base: Clock = base or SystemClock()
        self.offset = timedelta(0)

    def now(self) -> datetime:
        return self.base.now() + self.offset

    def advance(self, seconds: float) -> datetime:
        """Given a number of seconds (not negative), move the clock forward and return now.

        Raise ValueError if ``seconds`` is negative, not finite, or more than a century.
        """
        if not math.isfinite(seconds) or not 0 <= seconds <= MAX_ADVANCE_SECONDS:
            raise ValueError(
                f"must be a finite number of seconds from 0 to {MAX_ADVANCE_SECONDS}"
                f" (the clock only moves forward; got {seconds!r})"
            )
        self.offset += timedelta(seconds=seconds)
        return self.now()

    def reset(self) -> None:
        """Drop the offset: the clock tells the base clock's time again."""
        self.offset = timedelta(0)


def iso(moment: datetime) -> str:
    """Given an aware datetime, return it as ISO 8601 UTC text ending in 'Z'."""
    return moment.astimezone(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")
