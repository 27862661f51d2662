"""macOS idle time: HIDIdleTime (nanoseconds) of IOHIDSystem, read from `ioreg -c IOHIDSystem`.

The only module that runs ioreg. The parser is pure and tested on sample output.
"""

from __future__ import annotations

import asyncio
import re
import shutil
from collections.abc import Awaitable, Callable

from agent.errors import PlatformUnavailable

IOREG_COMMAND = ("ioreg", "-c", "IOHIDSystem", "-d", "4")
_HID_IDLE_TIME = re.compile(r'"HIDIdleTime"\s*=\s*(\d+)')


def parse_hid_idle_seconds(text: str) -> float:
    """Given ioreg output, return the first HIDIdleTime in seconds.

    Raise ValueError if the output holds no HIDIdleTime.
    """
    match = _HID_IDLE_TIME.search(text)
    if match is None:
        raise ValueError("ioreg output holds no HIDIdleTime")
    return int(match.group(1)) / 1_000_000_000


async def run_ioreg(timeout: float = 5.0) -> str:
    """Return the output of ioreg for IOHIDSystem. Raise OSError if it fails or hangs."""
    process = await asyncio.create_subprocess_exec(
        *IOREG_COMMAND,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.DEVNULL,
    )
    try:
        output, _ = await asyncio.wait_for(process.communicate(), timeout)
    except TimeoutError as exc:
        process.kill()
        await process.wait()
        raise OSError(f"ioreg did not answer within {timeout} s") from exc
    if process.returncode != 0:
        raise OSError(f"ioreg exited with status {process.returncode}")
    return output.decode("utf-8", errors="replace")


class MacIdleSource:
    """Seconds since the last input, as IOHIDSystem reports them."""

    name = "macos"

    def __init__(self, read_ioreg: Callable[[], Awaitable[str]] | None = None) -> None:
        """Given an ioreg reader (default: run ioreg), build the source.

        Raise PlatformUnavailable if no reader is given and ioreg is not installed.
        """
        if read_ioreg is None:
            if shutil.which(IOREG_COMMAND[0]) is None:
                raise PlatformUnavailable("macOS idle time needs ioreg, which is not on PATH")
            read_ioreg = run_ioreg
        self._read_ioreg = read_ioreg

    async def idle_seconds(self) -> float | None:
        """Return seconds since the last input, or None if ioreg fails or lacks the value."""
        try:
            return parse_hid_idle_seconds(await self._read_ioreg())
        except (OSError, ValueError):
            return None
