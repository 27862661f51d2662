"""`kioskguard run`: a browser closed seconds after a link, before Chromium stored the session.

Chromium commits localStorage to disk about five seconds after the page writes it; a browser
closed within that window usually never stores the session (SIGTERM on a headless browser,
measured: nothing in the LevelDB log), while the phone lists the device. The daemon saw the
session live (its browser watch reads the running page), so it must report the browser-closed
logout local_only with the phone note, never nothing_to_do. When the keys did reach the disk,
the cold logout runs and verifies as usual.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from agent.browser.discovery import Browser
from agent.outcome import LOCAL_ONLY_NOTE, Linked
from agent.probe.probe import probe_user_data_dir
from agent.simulator.testing import SimulatorHandle
from tests.daemon_integration.conftest import REPOSITORY, DaemonFactory, DaemonProcess, wait_until
from tests.session.helpers import link_managed, managed_browser

SEEN_LIVE = "managed: the page holds a session"
ROUNDS = 3  # Chromium sometimes stores the keys as it closes: the unstored case must occur


def status(config: Path) -> subprocess.CompletedProcess[str]:
    """Run `kioskguard status` on the daemon's configuration file."""
    return subprocess.run(
        [sys.executable, "-m", "agent", "status", "--config", str(config)],
        cwd=REPOSITORY,
        capture_output=True,
        text=True,
        timeout=60,
    )


def closed_records(daemon: DaemonProcess) -> list[dict[str, Any]]:
    return [record for record in daemon.audit() if record["trigger"] == "browser_closed"]


@pytest.mark.browser
async def test_browser_closed_before_the_session_reached_the_disk_reports_local_only(
    tmp_path: Path,
    profile_dir: Path,
    sim: SimulatorHandle,
    browser_executable: Browser,
    managed_port: int,
    start_daemon: DaemonFactory,
    base_config: dict[str, dict[str, Any]],
) -> None:
    daemon = start_daemon(base_config)
    daemon.wait_for_log("kioskguard runs")
    unstored = 0
    for round_number in range(1, ROUNDS + 1):
        with managed_browser(browser_executable, profile_dir, sim.url, managed_port) as browser:
            wait_until(
                lambda n=round_number: daemon.log().count("managed: the browser is open") == n,
                "the daemon to see the browser open",
            )
            await link_managed(profile_dir, sim)
            wait_until(
                lambda n=round_number: daemon.log().count(SEEN_LIVE) == n,
                "the daemon to see the session live",
            )
            browser.terminate()  # the visitor's close, as the OS delivers it: SIGTERM
            browser.wait(timeout=30)
        stored = any(
            result.linked is Linked.LINKED for result in probe_user_data_dir(profile_dir, sim.url)
        )
        records = wait_until(
            lambda n=round_number: closed_records(daemon)[n - 1 :],
            "the browser-closed audit record",
        )
        record = records[0]
        if stored:  # the keys made it: the normal cold logout, verified
            assert (record["result"], record["path"], record["verified"]) == (
                "logged_out",
                "cold",
                True,
            ), record
            assert sim.devices() == []
            continue
        unstored += 1
        assert (record["result"], record["verified"]) == ("local_only", False), record
        assert "never reached the disk" in record["error"], record
        assert LOCAL_ONLY_NOTE in record["notes"], record
        assert len(sim.devices()) == 1  # as reported: the phone still lists the device
        shown = status(tmp_path / "config-0.toml")
        assert shown.returncode == 0, shown.stderr
        assert "last logout: local_only (browser_closed)" in shown.stdout, shown.stdout
        assert "never reached the disk" in shown.stdout and LOCAL_ONLY_NOTE in shown.stdout
        break
    assert unstored == 1, f"Chromium stored the session before closing in all {ROUNDS} rounds"
