"""X11 idle time against a real Xvfb, with xdotool as the user."""

from __future__ import annotations

import asyncio
import os
import subprocess
from collections.abc import Iterator

import pytest

from agent.errors import PlatformUnavailable
from agent.platform.x11 import X11IdleSource

pytestmark = pytest.mark.x11


@pytest.fixture
def x11_source(xvfb_display: str) -> Iterator[X11IdleSource]:
    source = X11IdleSource(xvfb_display)
    yield source
    source.close()


def move_pointer(display: str, x: int, y: int) -> None:
    environment = {**os.environ, "DISPLAY": display}
    subprocess.run(["xdotool", "mousemove", str(x), str(y)], env=environment, check=True)


async def test_idle_time_grows_while_nothing_happens(
    x11_source: X11IdleSource, xvfb_display: str
) -> None:
    move_pointer(xvfb_display, 10, 10)
    await asyncio.sleep(1.5)
    idle = await x11_source.idle_seconds()
    assert idle is not None and idle >= 1.0


async def test_pointer_motion_resets_idle_time_to_near_zero(
    x11_source: X11IdleSource, xvfb_display: str
) -> None:
    move_pointer(xvfb_display, 20, 20)
    await asyncio.sleep(1.5)
    move_pointer(xvfb_display, 300, 200)
    idle = await x11_source.idle_seconds()
    assert idle is not None and idle < 1.0


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
