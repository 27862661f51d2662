"""Which processes of a browser's group still live (agent.browser.spawn.live_members): a zombie
has ended and counts as gone, so the cold path does not wait for a slow reaper (PID 1 in a
container) before it calls the browser closed."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

from agent.browser.spawn import group_gone, live_members


def _stat(proc: Path, pid: int, command: str, state: str, pgrp: int) -> None:
    (proc / str(pid)).mkdir()
    # pid (comm) state ppid pgrp session ...: the command may hold spaces and parentheses
    (proc / str(pid) / "stat").write_text(f"{pid} ({command}) {state} 1 {pgrp} {pgrp} 0 -1\n")


def test_zombies_and_other_groups_are_not_live_members(tmp_path: Path) -> None:
    _stat(tmp_path, 100, "chromium", "S", 100)
    _stat(tmp_path, 101, "chromium (renderer) x", "Z", 100)
    _stat(tmp_path, 102, "chromium", "R", 100)
    _stat(tmp_path, 103, "other", "S", 200)
    (tmp_path / "self").mkdir()
    assert sorted(live_members(100, str(tmp_path))) == [100, 102]
    assert live_members(200, str(tmp_path)) == [103]


def test_a_group_of_only_zombies_is_gone(tmp_path: Path) -> None:
    _stat(tmp_path, 101, "chromium", "Z", 100)
    assert live_members(100, str(tmp_path)) == []


def test_without_procfs_every_process_is_taken_as_live(tmp_path: Path) -> None:
    assert live_members(100, str(tmp_path / "missing")) == [100]


def test_the_real_proc_sees_a_live_group_and_its_end() -> None:
    process = subprocess.Popen(["sleep", "30"], start_new_session=True)
    try:
        assert live_members(process.pid) == [process.pid]
    finally:
        process.kill()
    # killed but not yet reaped by us: a zombie, so the group counts as gone at once
    os.waitid(os.P_PID, process.pid, os.WEXITED | os.WNOWAIT)
    assert live_members(process.pid) == []
    process.wait()


async def test_group_gone_does_not_wait_for_a_zombie_to_be_reaped() -> None:
    process = subprocess.Popen(["sleep", "30"], start_new_session=True)
    process.kill()
    os.waitid(os.P_PID, process.pid, os.WEXITED | os.WNOWAIT)  # a zombie now, still in the group
    try:
        assert await group_gone(process.pid, 0.0)
    finally:
        process.wait()
