"""The one fake clock (agent/platform/fakeclock.py): the daemon's Clock and the session's."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from agent.platform.fakeclock import FakeClock

START = datetime(2025, 6, 14, 19, 0, tzinfo=UTC)


async def test_sleep_moves_wall_and_monotonic_time_together() -> None:
    clock = FakeClock(START, origin=1000.0)
    await clock.sleep(90)
    assert clock.now() == START + timedelta(seconds=90)
    assert clock.monotonic() == 1090.0


def test_called_it_is_the_monotonic_time() -> None:
    clock = FakeClock(START, origin=1000.0)
    clock.advance(2.5)
    assert clock() == clock.monotonic() == 1002.5


def test_it_never_goes_backwards() -> None:
    clock = FakeClock(START)
    clock.advance(5)
    clock.advance(-3)
    assert clock.monotonic() == 5.0


def test_a_naive_start_is_refused() -> None:
    with pytest.raises(ValueError, match="aware start time"):
        FakeClock(datetime(2025, 6, 14, 19, 0))
