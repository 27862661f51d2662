"""The managed browser as a full-screen kiosk window (browser.kiosk_window, `browser --kiosk`).

A real headed Chromium under Xvfb; the window's state is read from the browser itself over
DevTools (Browser.getWindowForTarget), not from the command line we gave it.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from playwright.async_api import Playwright

from agent.simulator.testing import SimulatorHandle
from tests.faults.browser_helpers import kioskguard, stop_detached

pytestmark = pytest.mark.usefixtures("xvfb_display")


async def _window_state(playwright: Playwright, endpoint: str) -> str:
    """Given a DevTools endpoint, return the state of the window of the browser's first page."""
    browser = await playwright.chromium.connect_over_cdp(endpoint)
    try:
        session = await browser.new_browser_cdp_session()
        targets = await session.send("Target.getTargets")
        page = next(info for info in targets["targetInfos"] if info["type"] == "page")
        window = await session.send("Browser.getWindowForTarget", {"targetId": page["targetId"]})
        return str(window["bounds"]["windowState"])
    finally:
        await browser.close()


@pytest.mark.parametrize(
    ("options", "setting", "expected"),
    [
        (["--kiosk"], None, "fullscreen"),
        ([], "true", "fullscreen"),
        (["--no-kiosk"], "true", "normal"),
        ([], None, "normal"),
    ],
)
async def test_the_kiosk_window_is_full_screen_when_asked(
    tmp_path: Path,
    playwright: Playwright,
    sim: SimulatorHandle,
    options: list[str],
    setting: str | None,
    expected: str,
) -> None:
    profile = tmp_path / "profile"
    config = tmp_path / "kioskguard.toml"
    config.write_text(f"[browser]\nkiosk_window = {setting}\n" if setting else "")
    try:
        started = kioskguard(
            "browser", "--config", str(config), "--profile", str(profile), "--port", "0",
            *options, home=tmp_path, client=sim.url,
        )  # fmt: skip
        assert started.returncode == 0, started.stderr
        endpoint = re.search(r"ws://127\.0\.0\.1:\d+/\S+", started.stdout)
        assert endpoint, started.stdout
        state = await _window_state(playwright, endpoint.group(0))
        assert state == expected, (options, setting, state)
    finally:
        stop_detached(profile)
