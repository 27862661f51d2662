"""A full disk under the state and audit directories (a tmpfs the test mounts and fills).

Reported: the logout failed with ENOSPC writing the per-profile lock file, two tracebacks, the
session stayed linked, nothing retried after space was freed; `kioskguard logout` printed only
"[Errno 28] No space left on device" and no JSON outcome. Now the logout runs and is verified,
the CLI prints its outcome and exits 1 (the audit line was not written), and the daemon counts
the failure, holds the line and writes it once space is back.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from agent.browser.discovery import Browser
from agent.simulator.testing import SimulatorHandle
from tests.daemon_integration.conftest import (  # noqa: F401 (fixtures)
    DaemonFactory,
    base_config,
    profile_dir,
    start_daemon,
    wait_until,
    write_config,
)
from tests.faults.disk_helpers import (
    fill,
    free,
    kioskguard,
    linked_and_closed,
    metric,
    small_tmpfs,
)
from tests.session.helpers import link_managed, managed_browser, stored_on_disk

pytestmark = pytest.mark.browser


@pytest.fixture
def state_dir(tmp_path: Path) -> Iterator[Path]:
    """The state dir (and the audit file in it) on a 2 MB tmpfs of its own."""
    with small_tmpfs(tmp_path / "state") as mount_point:
        yield mount_point


async def test_cli_logout_on_a_full_disk_is_verified_and_prints_its_outcome(
    tmp_path: Path,
    state_dir: Path,
    profile_dir: Path,  # noqa: F811
    sim: SimulatorHandle,
    browser_executable: Browser,
    base_config: dict[str, dict[str, Any]],  # noqa: F811
) -> None:
    await linked_and_closed(browser_executable, profile_dir, sim)
    config = write_config(tmp_path / "kioskguard.toml", base_config)
    fill(state_dir)
    result = kioskguard("logout", "--config", str(config), "--json")
    outcome = json.loads(result.stdout)
    assert (outcome["result"], outcome["verified"]) == ("logged_out", True), result.stderr
    assert sim.devices() == []
    assert result.returncode == 1  # the audit line was not written
    assert "the line for managed (logged_out, manual) was not written" in result.stderr
    assert "No space left on device" in result.stderr
    assert "Traceback" not in result.stderr


async def test_daemon_on_a_full_disk_logs_out_counts_and_writes_the_held_line_later(
    tmp_path: Path,
    state_dir: Path,
    profile_dir: Path,  # noqa: F811
    sim: SimulatorHandle,
    browser_executable: Browser,
    start_daemon: DaemonFactory,  # noqa: F811
    base_config: dict[str, dict[str, Any]],  # noqa: F811
) -> None:
    textfile = tmp_path / "metrics.prom"  # off the full disk, to read the counts
    daemon = start_daemon({**base_config, "metrics": {"enabled": True, "textfile": textfile}})
    daemon.wait_for_log("kioskguard runs")
    with managed_browser(browser_executable, profile_dir, sim.url, port=0) as browser:
        daemon.wait_for_log("managed: the browser is open")
        await link_managed(profile_dir, sim)
        await stored_on_disk(profile_dir, sim.url)
        fill(state_dir)
        browser.terminate()  # the visitor closes the browser; the disk is full
        browser.wait(timeout=30)
    daemon.wait_for_log("managed: logout logged_out (browser_closed")
    assert sim.devices() == []
    daemon.wait_for_log("(logged_out, browser_closed) was not written: No space left on device")
    # The recorder publishes the held gauge, then the count, then logs: both are in the
    # textfile once the log line is there. Held until the file takes it; on a tmpfs the
    # daemon's own state.json rewrite can give back a page by itself, and the 5 s retry then
    # writes the line before space is freed: the gauge is published after the line is
    # written, so a 0 here means the line is in the file already.
    assert metric(textfile, "kioskguard_audit_write_errors_total") == 1
    held = metric(textfile, "kioskguard_audit_held_lines")
    assert held in (0, 1), held
    if held == 0:
        assert [entry["trigger"] for entry in daemon.audit()] == ["browser_closed"]
    free(state_dir)
    record = daemon.wait_for_audit("browser_closed")  # written by the retry, space back
    assert (record["result"], record["verified"]) == ("logged_out", True)
    daemon.wait_for_log("audit log: 1 held line(s) written")
    wait_until(lambda: metric(textfile, "kioskguard_audit_held_lines") == 0, "held lines 0")
    assert [entry["trigger"] for entry in daemon.audit()].count("browser_closed") == 1
    assert daemon.terminate() == 1  # an audit write failed during the run
    assert "Traceback" not in daemon.log()
