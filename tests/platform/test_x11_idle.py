"""X11 idle time against a real Xvfb, with xdotool as the user."""

from __future__ import annotations

import asyncio
import os
import subprocess
import time
from collections.abc import Callable, Iterator

import pytest

from agent.errors import PlatformUnavailable
from agent.platform.x11 import X11IdleSource

pytestmark = pytest.mark.x11
WAIT_S = 60.0


@pytest.fixture
def x11_source(xvfb_display: str) -> Iterator[X11IdleSource]:
    source = X11IdleSource(xvfb_display)
    yield source
    source.close()


def move_pointer(display: str, x: int, y: int) -> None:
    environment = {**os.environ, "DISPLAY": display}
    subprocess.run(["xdotool", "mousemove", str(x), str(y)], env=environment, check=True)


async def idle_reaches(source: X11IdleSource, reached: Callable[[float], bool], what: str) -> float:
    """Poll the X server's idle time until reached(idle); return it. Fail naming what if it
    is not within WAIT_S (a loaded machine may not run this process for a second or more, so
    no single reading is compared with the wall clock)."""
    deadline = time.monotonic() + WAIT_S
    while True:
        idle = await source.idle_seconds()
        if idle is not None and reached(idle):
            return idle
        if time.monotonic() > deadline:
            pytest.fail(f"the idle time never {what} (last: {idle})")
        await asyncio.sleep(0.1)


async def test_idle_time_grows_while_nothing_happens(
    x11_source: X11IdleSource, xvfb_display: str
) -> None:
    move_pointer(xvfb_display, 10, 10)
    first = await idle_reaches(x11_source, lambda idle: idle >= 0, "was read")
    await idle_reaches(x11_source, lambda idle: idle >= first + 1.0, "grew by a second")


async def test_pointer_motion_resets_idle_time(
    x11_source: X11IdleSource, xvfb_display: str
) -> None:
    move_pointer(xvfb_display, 20, 20)
    before = await idle_reaches(x11_source, lambda idle: idle >= 3.0, "reached 3 s")
    move_pointer(xvfb_display, 300, 200)
    # Without the motion the idle time only grows past `before`; the motion starts it again.
    await idle_reaches(x11_source, lambda idle: idle < before, "went back after the motion")


def test_missing_display_is_a_clear_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("DISPLAY", raising=False)
    with pytest.raises(PlatformUnavailable, match="DISPLAY is not set"):
        X11IdleSource()


def test_display_that_cannot_be_opened_is_named_in_the_error() -> None:
    with pytest.raises(PlatformUnavailable, match=r"cannot open X display ':987'"):
        X11IdleSource(":987")


def test_closing_twice_is_harmless(xvfb_display: str) -> None:
    source = X11IdleSource(xvfb_display)
    source.close()
    source.close()
    assert source.idle_milliseconds() is None
