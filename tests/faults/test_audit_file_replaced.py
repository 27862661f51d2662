"""audit.jsonl deleted or moved away while the daemon runs (a cleanup tool, logrotate without
copytruncate, a visitor).

Reported: later lines went into the deleted inode, silently; the write-error counter stayed 0.
Now the next outcome lands in a new file at the path, and kioskguard_audit_reopened_total counts
the reopen.
"""

from __future__ import annotations

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
    state_dir,
)
from tests.faults.disk_helpers import linked_and_closed, metric, patient

pytestmark = pytest.mark.browser


@pytest.mark.parametrize("change", ["deleted", "moved-and-recreated"])
async def test_the_next_outcome_lands_in_a_new_file_at_the_path_and_is_counted(
    change: str,
    tmp_path: Path,
    state_dir: Path,  # noqa: F811
    profile_dir: Path,  # noqa: F811
    sim: SimulatorHandle,
    browser_executable: Browser,
    start_daemon: DaemonFactory,  # noqa: F811
    base_config: dict[str, dict[str, Any]],  # noqa: F811
) -> None:
    await linked_and_closed(browser_executable, profile_dir, sim)
    textfile = tmp_path / "metrics.prom"
    daemon = start_daemon(
        {**patient(base_config), "metrics": {"enabled": True, "textfile": textfile}}
    )
    daemon.wait_for_log("kioskguard runs")
    audit_file = state_dir / "audit.jsonl"
    assert audit_file.exists()  # opened at start
    if change == "deleted":
        audit_file.unlink()
    else:
        audit_file.rename(state_dir / "audit.jsonl.1")
        audit_file.write_text("")
    assert daemon.terminate() == 0  # SIGTERM: the stored session is logged out
    (record,) = daemon.audit()  # in the new file at the path
    assert (record["trigger"], record["result"], record["verified"]) == (
        "signal",
        "logged_out",
        True,
    )
    assert sim.devices() == []
    assert "the file was deleted or replaced; reopened" in daemon.log()
    assert metric(textfile, "kioskguard_audit_reopened_total") == 1
    assert metric(textfile, "kioskguard_audit_write_errors_total") == 0
    if change != "deleted":
        assert (state_dir / "audit.jsonl.1").read_text() == ""
