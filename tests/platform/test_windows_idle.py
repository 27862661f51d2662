"""Windows idle arithmetic with injected tick readers (runs on every platform)."""

from __future__ import annotations

import sys

import pytest

from agent.errors import PlatformUnavailable
from agent.platform.windows import WindowsIdleSource, idle_milliseconds


def test_idle_is_the_difference_of_the_tick_counts() -> None:
    assert idle_milliseconds(now_tick64=10_500, last_input_tick32=10_000) == 500


def test_idle_survives_the_32_bit_tick_wrap_around() -> None:
    last_input = 2**32 - 1_000  # input just before dwTime wrapped
    assert idle_milliseconds(now_tick64=2**32 + 2_000, last_input_tick32=last_input) == 3_000


def test_idle_uses_the_low_32_bits_after_many_wraps() -> None:
    now = 5 * 2**32 + 7_000
    assert idle_milliseconds(now_tick64=now, last_input_tick32=4_000) == 3_000


def test_tick_outside_32_bits_is_rejected() -> None:
    with pytest.raises(ValueError, match="invalid tick counts"):
        idle_milliseconds(now_tick64=100, last_input_tick32=2**32)


async def test_source_reports_seconds_from_injected_readers() -> None:
    source = WindowsIdleSource(last_input_tick=lambda: 1_000, tick_count64=lambda: 4_500)
    assert await source.idle_seconds() == pytest.approx(3.5)


async def test_failing_reader_means_unknown() -> None:
    def broken() -> int:
        raise OSError("GetLastInputInfo failed")

    source = WindowsIdleSource(last_input_tick=broken, tick_count64=lambda: 4_500)
    assert await source.idle_seconds() is None


@pytest.mark.skipif(sys.platform == "win32", reason="checks the error raised off Windows")
def test_native_source_off_windows_is_a_clear_error() -> None:
    with pytest.raises(PlatformUnavailable, match="needs Windows"):
        WindowsIdleSource()
