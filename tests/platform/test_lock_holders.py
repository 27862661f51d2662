"""Naming a lock's holder from /proc/locks, without any PID written to disk."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from agent.platform.lock_holders import Holder, describe_holders, describe_process, flock_holders

HOLD = (
    "import fcntl, os, sys, time\n"
    "descriptor = os.open(sys.argv[1], os.O_RDONLY)\n"
    "fcntl.flock(descriptor, fcntl.LOCK_SH)\n"
    "print('held', flush=True)\n"
    "time.sleep(120)\n"
)


def test_the_holder_of_a_flock_is_named_with_its_command_line_and_uid(tmp_path: Path) -> None:
    target = tmp_path / "lock"
    target.touch()
    holder = subprocess.Popen([sys.executable, "-c", HOLD, str(target)], stdout=subprocess.PIPE)
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == b"held"
        descriptor = os.open(target, os.O_RDONLY)
        try:
            (found,) = flock_holders(descriptor)
        finally:
            os.close(descriptor)
        assert found.pid == holder.pid and found.uid == os.getuid()
        assert found.command.startswith(f"{sys.executable} -c import fcntl")
    finally:
        holder.kill()
        holder.wait()


def test_no_holder_and_an_unreadable_proc_give_no_names(tmp_path: Path) -> None:
    target = tmp_path / "lock"
    target.touch()
    descriptor = os.open(target, os.O_RDONLY)
    try:
        assert flock_holders(descriptor) == []
        assert flock_holders(descriptor, proc_locks=tmp_path / "missing") == []
    finally:
        os.close(descriptor)
    assert describe_holders([]) == "an unknown process"


def test_a_process_that_ended_is_named_by_its_pid_only(tmp_path: Path) -> None:
    assert describe_process(99999999, proc=tmp_path) == Holder(99999999, None, "")
    assert Holder(7, None, "").describe() == "pid 7"
