"""macOS HIDIdleTime parsing on sample ioreg output."""

from __future__ import annotations

import shutil

import pytest

from agent.errors import PlatformUnavailable
from agent.platform.macos import MacIdleSource, parse_hid_idle_seconds

SAMPLE = """\
+-o Root  <class IORegistryEntry, id 0x100000100, retain 30>
  +-o IOResources  <class IOResources, id 0x100000113, registered, matched, active>
    +-o IOHIDSystem  <class IOHIDSystem, id 0x100000318, registered, matched, active>
      | {
      |   "IOClass" = "IOHIDSystem"
      |   "HIDIdleTime" = 12345678901
      |   "HIDParameters" = {"HIDClickTime"=500000000}
      |   "IOProviderClass" = "IOResources"
      | }
"""


def test_hid_idle_time_is_parsed_from_nanoseconds_to_seconds() -> None:
    assert parse_hid_idle_seconds(SAMPLE) == pytest.approx(12.345678901)


def test_compact_assignment_without_spaces_is_parsed() -> None:
    assert parse_hid_idle_seconds('{"HIDIdleTime"=2000000000}') == pytest.approx(2.0)


def test_output_without_hid_idle_time_is_rejected() -> None:
    with pytest.raises(ValueError, match="no HIDIdleTime"):
        parse_hid_idle_seconds('+-o Root  <class IORegistryEntry>\n  "IOClass" = "X"\n')


async def test_source_reads_idle_seconds_through_the_injected_reader() -> None:
    async def read() -> str:
        return SAMPLE

    assert await MacIdleSource(read).idle_seconds() == pytest.approx(12.345678901)


async def test_unparsable_output_means_unknown() -> None:
    async def read() -> str:
        return "ioreg: nothing here"

    assert await MacIdleSource(read).idle_seconds() is None


@pytest.mark.skipif(shutil.which("ioreg") is not None, reason="checks the error without ioreg")
def test_missing_ioreg_is_a_clear_error() -> None:
    with pytest.raises(PlatformUnavailable, match="needs ioreg"):
        MacIdleSource()
