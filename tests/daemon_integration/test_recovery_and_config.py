"""`kioskguard run` against the simulator: crash recovery, browser closed, configurations."""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.async_api import Error as PlaywrightError
from playwright.async_api import Playwright

from agent.browser.managed import running_endpoint
from agent.simulator.testing import SimulatorHandle
from tests.daemon_integration.conftest import (
    REPOSITORY,
    DaemonFactory,
    DaemonProcess,
    wait_until,
    write_config,
)
from tests.session.helpers import link_managed, stored_on_disk

INVALID: dict[str, dict[str, Any]] = {
    "general": {"client_url": "ftp://nowhere", "colour": "blue"},
    "idle": {"timeout_s": 0.5, "source": "telepathy"},
    "logout": {"retries": 9},
}
INVALID_FIELDS = ("general.client_url", "general.colour", "idle.timeout_s", "idle.source")


def kioskguard(
    *arguments: str, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "agent", *arguments],
        cwd=REPOSITORY,
        env={**os.environ, **(env or {})},
        capture_output=True,
        text=True,
        timeout=60,
    )


@pytest.mark.browser
async def test_logout_killed_midway_is_finished_by_the_next_start(
    managed: subprocess.Popen[bytes],
    profile_dir: Path,
    sim: SimulatorHandle,
    start_daemon: DaemonFactory,
    base_config: dict[str, dict[str, Any]],
) -> None:
    await link_managed(profile_dir, sim)
    sim.configure(menu_delay_ms=30_000, client_api=False)  # slow: no client function either
    config = {**base_config, "logout": {"deadline_s": 60, "shutdown_deadline_s": 60}}
    first = start_daemon(config)
    first.wait_for_log("kioskguard runs")
    first.process.terminate()  # SIGTERM starts the (slow) logout
    first.wait_for_log("managed: logout starts (signal)")
    first.process.kill()
    first.process.wait(timeout=30)
    assert first.in_progress()["managed"]["trigger"] == "signal"
    sim.configure(menu_delay_ms=0, client_api=True)
    record = start_daemon(config).wait_for_audit("recovery")
    assert (record["result"], record["verified"]) == ("logged_out", True)
    assert first.in_progress() == {} and sim.devices() == []


async def close_like_a_visitor(playwright: Playwright, profile_dir: Path) -> None:
    """Close the managed browser the way its window's close button does (Browser.close)."""
    endpoint = running_endpoint(profile_dir)
    assert endpoint
    browser = await playwright.chromium.connect_over_cdp(endpoint)
    session = await browser.new_browser_cdp_session()
    with contextlib.suppress(PlaywrightError):  # the connection drops as the browser exits
        await session.send("Browser.close")


@pytest.mark.browser
async def test_closing_the_managed_browser_logs_the_stored_session_out_cold(
    managed: subprocess.Popen[bytes],
    playwright: Playwright,
    profile_dir: Path,
    sim: SimulatorHandle,
    start_daemon: DaemonFactory,
    base_config: dict[str, dict[str, Any]],
) -> None:
    await link_managed(profile_dir, sim)
    await stored_on_disk(profile_dir, sim.url)  # a visitor reads for a while before closing
    daemon = start_daemon(base_config)
    daemon.wait_for_log("managed: the browser is open")
    await close_like_a_visitor(playwright, profile_dir)
    managed.wait(timeout=30)
    record = daemon.wait_for_audit("browser_closed")
    assert (record["result"], record["path"], record["verified"]) == ("logged_out", "cold", True)
    assert sim.devices() == []


@pytest.mark.parametrize("command", ["run", "check-config"])
def test_invalid_config_exits_2_listing_every_problem(tmp_path: Path, command: str) -> None:
    config = write_config(tmp_path / "bad.toml", INVALID)
    arguments = ["run", "--config", str(config)] if command == "run" else [command, str(config)]
    result = kioskguard(*arguments)
    assert result.returncode == 2, result.stderr
    for field in (*INVALID_FIELDS, "logout.retries"):
        assert f"{config}: {field}:" in result.stderr


def test_config_with_toml_syntax_error_exits_2_naming_the_file(tmp_path: Path) -> None:
    config = tmp_path / "broken.toml"
    config.write_text("[idle\ntimeout_s = 30\n", encoding="utf-8")
    for arguments in (["run", "--config", str(config)], ["check-config", str(config)]):
        result = kioskguard(*arguments)
        assert result.returncode == 2 and f"{config}: TOML syntax error" in result.stderr


@pytest.fixture
def notify_socket() -> Iterator[socket.socket]:
    """Return a datagram socket standing in for systemd's NOTIFY_SOCKET."""
    directory = tempfile.mkdtemp(prefix="kg-notify-")
    receiver = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    receiver.bind(os.path.join(directory, "notify"))
    receiver.settimeout(0.2)
    yield receiver
    receiver.close()
    os.unlink(os.path.join(directory, "notify"))
    os.rmdir(directory)


@pytest.mark.browser
def test_shipped_library_config_runs_reports_ready_and_stops_on_sigterm(
    sim: SimulatorHandle,
    state_dir: Path,
    start_daemon: DaemonFactory,
    notify_socket: socket.socket,
) -> None:
    env = {
        "KIOSKGUARD_GENERAL__CLIENT_URL": sim.url,
        "KIOSKGUARD_GENERAL__STATE_DIR": str(state_dir),
        "NOTIFY_SOCKET": notify_socket.getsockname(),
    }
    daemon = DaemonProcess(REPOSITORY / "config" / "library.toml", state_dir, env)
    try:
        messages: list[bytes] = []

        def ready() -> bool:
            with contextlib.suppress(TimeoutError):
                messages.append(notify_socket.recv(4096))
            return any(b"READY=1" in message for message in messages)

        wait_until(ready, "READY=1 on NOTIFY_SOCKET")
        assert daemon.terminate() == 0, daemon.log()
        assert "kioskguard runs: 1 profile(s) guarded" in daemon.log()
        assert "Traceback" not in daemon.log() and daemon.audit() == []
    finally:
        daemon.stop()
