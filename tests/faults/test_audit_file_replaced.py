"""audit.jsonl deleted or moved away while the daemon runs (a cleanup tool, logrotate without
copytruncate, a visitor).

Reported: later lines went into the deleted inode, silently; the write-error counter stayed 0.
Now the next outcome lands in a new file at the path, and kioskguard_audit_reopened_total counts
the reopen.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from agent.simulator.testing import SimulatorHandle
from tests.daemon_integration.conftest import (  # noqa: F401 (fixtures)
    base_config,
    profile_dir,
    start_daemon,
    state_dir,
)
from tests.faults.disk_helpers import (  # noqa: F401 (fixtures)
    GuardFactory,
    assert_logged_out_at_stop,
    metric,
    stored_session_guard,
)

pytestmark = pytest.mark.browser


@pytest.mark.parametrize("change", ["deleted", "moved-and-recreated"])
async def test_the_next_outcome_lands_in_a_new_file_at_the_path_and_is_counted(
    change: str,
    tmp_path: Path,
    state_dir: Path,  # noqa: F811
    sim: SimulatorHandle,
    stored_session_guard: GuardFactory,  # noqa: F811
) -> None:
    textfile = tmp_path / "metrics.prom"
    daemon = await stored_session_guard(metrics={"enabled": True, "textfile": textfile})
    audit_file = state_dir / "audit.jsonl"
    assert audit_file.exists()  # opened at start
    if change == "deleted":
        audit_file.unlink()
    else:
        audit_file.rename(state_dir / "audit.jsonl.1")
        audit_file.write_text("")
    assert daemon.terminate() == 0  # SIGTERM: the stored session is logged out
    assert_logged_out_at_stop(daemon, sim)  # the line is in the new file at the path
    assert "the file was deleted or replaced; reopened" in daemon.log()
    assert metric(textfile, "kioskguard_audit_reopened_total") == 1
    assert metric(textfile, "kioskguard_audit_write_errors_total") == 0
    if change != "deleted":
        assert (state_dir / "audit.jsonl.1").read_text() == ""
