"""One guard per profile on the machine, whatever the state dir.

Reported: two daemons with different state dirs on one profile were not refused; the one that
lost the race recorded a false `failed` (and the failed-logouts alert would fire). Now the
second exits 2 at start naming the holder (pid, command line), and nothing records `failed`.
A process of another account (a visitor) holding the profile directory's lock cannot keep the
guard away: it guards anyway, loudly. One of our own account or root is a guard: refused.
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from agent.simulator.testing import SimulatorHandle
from tests.daemon_integration.conftest import (  # noqa: F401 (fixtures)
    DaemonFactory,
    base_config,
    profile_dir,
    start_daemon,
    state_dir,
    write_config,
)
from tests.faults.disk_helpers import (  # noqa: F401 (fixtures)
    GuardFactory,
    assert_logged_out_at_stop,
    kioskguard,
    patient,
    stored_session_guard,
)

HOLD_INHERITED = (
    "import fcntl, sys, time\n"
    "fcntl.flock(int(sys.argv[1]), fcntl.LOCK_EX)\n"
    "print('held', flush=True)\n"
    "time.sleep(120)\n"
)


def failed_records(*state_dirs: Path) -> list[str]:
    lines = []
    for directory in state_dirs:
        audit = directory / "audit.jsonl"
        if audit.exists():
            lines += [line for line in audit.read_text().splitlines() if '"failed"' in line]
    return lines


@pytest.fixture
def holder_of(profile_dir: Path) -> Iterator[Any]:  # noqa: F811
    """Return a function starting a process of uid that flocks the profile directory."""
    started: list[subprocess.Popen[str]] = []

    def hold(uid: int) -> subprocess.Popen[str]:
        if os.geteuid() != 0:
            pytest.fail("holding the lock as another account needs root (the suite runs so)")
        profile_dir.mkdir(parents=True, exist_ok=True)
        descriptor = os.open(profile_dir, os.O_RDONLY | os.O_DIRECTORY)
        account = ["setpriv", f"--reuid={uid}", f"--regid={uid}", "--clear-groups"]
        process = subprocess.Popen(
            [*account, "/usr/bin/python3", "-c", HOLD_INHERITED, str(descriptor)],
            stdout=subprocess.PIPE,
            text=True,
            pass_fds=(descriptor,),  # opened here: the visitor's account need not reach it
        )
        os.close(descriptor)
        started.append(process)
        assert process.stdout is not None and process.stdout.readline().strip() == "held"
        return process

    yield hold
    for process in started:
        process.kill()
        process.wait()


@pytest.mark.browser
async def test_a_second_daemon_with_another_state_dir_is_refused_naming_the_first(
    tmp_path: Path,
    state_dir: Path,  # noqa: F811
    profile_dir: Path,  # noqa: F811
    sim: SimulatorHandle,
    base_config: dict[str, dict[str, Any]],  # noqa: F811
    stored_session_guard: GuardFactory,  # noqa: F811
) -> None:
    first = await stored_session_guard()
    other_state = tmp_path / "other-state"
    general = {**base_config["general"], "state_dir": other_state}
    alias = tmp_path / "alias-of-the-profile"
    alias.symlink_to(profile_dir)  # another spelling of the same directory
    second_config = write_config(
        tmp_path / "second.toml",
        {
            **base_config,
            "general": general,
            "browser": {**base_config["browser"], "user_data_dir": alias},
        },
    )
    second = kioskguard("run", "--config", str(second_config))
    assert second.returncode == 2, second.stderr
    assert f"profile managed ({profile_dir}) is already guarded by pid {first.process.pid} (" in (
        second.stderr
    )
    assert "agent run --config" in second.stderr and "Traceback" not in second.stderr
    assert first.terminate() == 0
    assert_logged_out_at_stop(first, sim)
    assert failed_records(state_dir, other_state) == []


def test_a_lock_held_by_another_account_does_not_keep_the_guard_away(
    tmp_path: Path,
    state_dir: Path,  # noqa: F811
    profile_dir: Path,  # noqa: F811
    holder_of: Any,
    start_daemon: DaemonFactory,  # noqa: F811
    base_config: dict[str, dict[str, Any]],  # noqa: F811
) -> None:
    visitor = holder_of(65534)
    daemon = start_daemon(patient(base_config))
    daemon.wait_for_log("kioskguard runs")
    assert f"is locked by pid {visitor.pid} (/usr/bin/python3 -c import fcntl" in daemon.log()
    assert "uid 65534, a process of another account, not a guard: guarding it anyway" in (
        daemon.log()
    )
    visitor.kill()
    visitor.wait()
    daemon.wait_for_log("guard lock taken (no other holder now)")
    assert daemon.terminate() == 0


def test_a_lock_held_by_our_own_account_is_a_guard_and_refuses_the_start(
    tmp_path: Path,
    profile_dir: Path,  # noqa: F811
    holder_of: Any,
    base_config: dict[str, dict[str, Any]],  # noqa: F811
) -> None:
    holder = holder_of(os.getuid())
    result = kioskguard("run", "--config", str(write_config(tmp_path / "k.toml", base_config)))
    assert result.returncode == 2
    assert f"is already guarded by pid {holder.pid} (/usr/bin/python3 -c" in result.stderr


@pytest.mark.browser
async def test_the_admins_logout_still_runs_while_the_daemon_guards_the_profile(
    tmp_path: Path,
    sim: SimulatorHandle,
    base_config: dict[str, dict[str, Any]],  # noqa: F811
    stored_session_guard: GuardFactory,  # noqa: F811
) -> None:
    daemon = await stored_session_guard()
    config = write_config(tmp_path / "admin.toml", base_config)
    result = kioskguard("logout", "--config", str(config), "--json")
    assert result.returncode == 0, result.stderr
    assert '"result": "logged_out"' in result.stdout and sim.devices() == []
    assert daemon.process.poll() is None and daemon.terminate() == 0
