"""`kioskguard run` against the simulator: idle logout, input during the warning, SIGTERM."""

from __future__ import annotations

import subprocess
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
import pytest_asyncio
from playwright.async_api import Page, Playwright

from agent.browser.managed import running_endpoint
from agent.simulator.testing import SimulatorHandle
from tests.daemon_integration.conftest import DaemonFactory
from tests.session.helpers import link_managed

pytestmark = pytest.mark.browser

BANNER = "#kioskguard-warning[role=alert]"


@pytest.fixture
def idle_config(base_config: dict[str, dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """Idle logout after 3 s without page input (the issue's scenario)."""
    idle = {"enabled": True, "source": "browser", "timeout_s": 3, "warning_s": 3, "poll_s": 0.5}
    return {**base_config, "idle": idle}


@pytest_asyncio.fixture
async def client_page(
    playwright: Playwright, profile_dir: Path, managed: subprocess.Popen[bytes]
) -> AsyncIterator[Page]:
    """Return the managed browser's client tab, seen through a second DevTools connection."""
    endpoint = running_endpoint(profile_dir)
    assert endpoint
    browser = await playwright.chromium.connect_over_cdp(endpoint)
    yield browser.contexts[0].pages[0]
    await browser.close()  # disconnects; the managed browser keeps running


async def test_idle_session_is_warned_then_logged_out_and_unlinked(
    client_page: Page,
    profile_dir: Path,
    sim: SimulatorHandle,
    start_daemon: DaemonFactory,
    idle_config: dict[str, dict[str, Any]],
) -> None:
    await link_managed(profile_dir, sim)
    daemon = start_daemon(idle_config)
    await client_page.wait_for_selector(BANNER, timeout=60_000)
    record = daemon.wait_for_audit("idle")
    assert (record["result"], record["path"], record["verified"]) == ("logged_out", "warm", True)
    assert record["profile"] == "managed" and sim.devices() == []


async def test_input_during_the_warning_cancels_the_logout(
    client_page: Page,
    profile_dir: Path,
    sim: SimulatorHandle,
    start_daemon: DaemonFactory,
    idle_config: dict[str, dict[str, Any]],
) -> None:
    await link_managed(profile_dir, sim)
    daemon = start_daemon({**idle_config, "idle": {**idle_config["idle"], "warning_s": 20}})
    await client_page.wait_for_selector(BANNER, timeout=60_000)
    await client_page.mouse.move(100, 100)
    await client_page.mouse.move(300, 250, steps=5)
    daemon.wait_for_log("input during the idle warning: no logout")
    assert daemon.audit() == [] and len(sim.devices()) == 1
    assert await client_page.locator(BANNER).count() == 0


async def test_sigterm_logs_the_linked_session_out_before_exiting(
    managed: subprocess.Popen[bytes],
    profile_dir: Path,
    sim: SimulatorHandle,
    start_daemon: DaemonFactory,
    base_config: dict[str, dict[str, Any]],
) -> None:
    await link_managed(profile_dir, sim)
    daemon = start_daemon(base_config)
    daemon.wait_for_log("kioskguard runs")
    assert daemon.terminate() == 0
    (record,) = daemon.audit()
    assert (record["trigger"], record["result"], record["verified"]) == (
        "signal",
        "logged_out",
        True,
    )
    assert sim.devices() == []
