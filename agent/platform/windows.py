"""Windows idle time: GetLastInputInfo and GetTickCount64 (user32 / kernel32) via ctypes.

The only module that touches those APIs. Importing it is safe on every platform: the DLLs are
loaded only when a WindowsIdleSource is built without injected functions.
GetLastInputInfo is per session: the agent must run in the user's session (a logon task).
"""

from __future__ import annotations

import ctypes
import sys
from collections.abc import Callable

from agent.errors import PlatformUnavailable

TICK_MODULUS = 2**32  # LASTINPUTINFO.dwTime is a 32-bit GetTickCount value


def idle_milliseconds(now_tick64: int, last_input_tick32: int) -> int:
    """Given GetTickCount64() and LASTINPUTINFO.dwTime, return milliseconds since last input.

    dwTime wraps every 49.7 days; comparing the low 32 bits modulo 2**32 stays correct across
    the wrap as long as the idle time itself is shorter than that.
    Raise ValueError if either tick is negative or dwTime does not fit in 32 bits.
    """
    if now_tick64 < 0 or not 0 <= last_input_tick32 < TICK_MODULUS:
        raise ValueError(f"invalid tick counts: now={now_tick64}, last_input={last_input_tick32}")
    return (now_tick64 - last_input_tick32) % TICK_MODULUS


class _LastInputInfo(ctypes.Structure):
    _fields_ = [("size", ctypes.c_uint), ("time", ctypes.c_uint)]


def _native_functions() -> tuple[Callable[[], int], Callable[[], int]]:
    """Return (last input tick, tick count) readers. Raise PlatformUnavailable off Windows."""
    if sys.platform != "win32":
        raise PlatformUnavailable(f"Windows idle time needs Windows, not {sys.platform}")
    user32 = ctypes.WinDLL("user32")  # type: ignore[attr-defined,unused-ignore]
    kernel32 = ctypes.WinDLL("kernel32")  # type: ignore[attr-defined,unused-ignore]
    kernel32.GetTickCount64.restype = ctypes.c_ulonglong

    def last_input_tick() -> int:
        info = _LastInputInfo(size=ctypes.sizeof(_LastInputInfo))
        if not user32.GetLastInputInfo(ctypes.byref(info)):
            raise OSError("GetLastInputInfo failed")
        return int(info.time)

    return last_input_tick, lambda: int(kernel32.GetTickCount64())


class WindowsIdleSource:
    """Milliseconds since the last input in this Windows session."""

    name = "windows"

    def __init__(
        self,
        last_input_tick: Callable[[], int] | None = None,
        tick_count64: Callable[[], int] | None = None,
    ) -> None:
        """Given tick readers (default: the Win32 ones), build the source.

        Raise PlatformUnavailable if no readers are given and this is not Windows.
        """
        if last_input_tick is None or tick_count64 is None:
            native_last_input, native_ticks = _native_functions()
            last_input_tick = last_input_tick or native_last_input
            tick_count64 = tick_count64 or native_ticks
        self._last_input_tick = last_input_tick
        self._tick_count64 = tick_count64

    async def idle_seconds(self) -> float | None:
        """Return seconds since the last input, or None if Windows does not answer."""
        try:
            last_input = self._last_input_tick()
            now = self._tick_count64()
        except OSError:
            return None
        return idle_milliseconds(now, last_input) / 1000.0
