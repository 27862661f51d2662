"""`kioskguard run` and `kioskguard logout` against the simulator, under faults.

Reported on main: SIGTERM during a slow logout exited 0 with no outcome and no audit line (a
CancelledError traceback); a full audit disk lost the line silently and exited 0.
"""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import Any

import pytest

from agent.simulator.testing import SimulatorHandle
from tests.daemon_integration.conftest import DaemonFactory
from tests.daemon_integration.test_recovery_and_config import kioskguard
from tests.session.helpers import link_managed

pytestmark = pytest.mark.browser


async def test_sigterm_during_a_slow_logout_records_a_failed_outcome_and_the_next_start_ends_it(
    managed: subprocess.Popen[bytes],
    profile_dir: Path,
    sim: SimulatorHandle,
    start_daemon: DaemonFactory,
    base_config: dict[str, dict[str, Any]],
) -> None:
    await link_managed(profile_dir, sim)
    # The menu never opens inside the deadline, and the client function that would otherwise
    # rescue the logout in a moment is missing: the logout is slow.
    sim.configure(menu_delay_ms=60_000, client_api=False)
    logout = {"deadline_s": 60, "shutdown_deadline_s": 3, "fallback_clear": False}
    config = {**base_config, "logout": logout}
    daemon = start_daemon(config)
    daemon.wait_for_log("kioskguard runs")
    assert daemon.terminate() == 0
    (record,) = daemon.audit()
    assert (record["trigger"], record["result"]) == ("signal", "failed")
    assert record["error"], record
    assert daemon.in_progress()["managed"]["trigger"] == "signal"
    assert "Traceback" not in daemon.log() and "CancelledError" not in daemon.log()
    sim.configure(menu_delay_ms=0, client_api=True)
    record = start_daemon(config).wait_for_audit("recovery")
    assert (record["result"], record["verified"]) == ("logged_out", True)
    assert sim.devices() == []


async def test_logout_with_a_full_audit_disk_still_logs_out_and_exits_1(
    managed: subprocess.Popen[bytes], profile_dir: Path, sim: SimulatorHandle
) -> None:
    await link_managed(profile_dir, sim)
    result = kioskguard(
        "logout",
        "--profile",
        str(profile_dir),
        env={
            "KIOSKGUARD_GENERAL__AUDIT_LOG": "/dev/full",
            "KIOSKGUARD_GENERAL__CLIENT_URL": sim.url,
        },
    )
    assert result.returncode == 1, result.stdout + result.stderr
    assert "result: logged_out" in result.stdout  # the outcome is printed all the same
    assert "audit log /dev/full: the line for cli (logged_out, manual) was not written" in (
        result.stderr
    )
    assert "Traceback" not in result.stderr
    assert sim.devices() == []  # the logout itself happened
