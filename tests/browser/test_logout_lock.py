"""The logout turn: one logout per profile, across processes, with no write to the disk."""

from __future__ import annotations

import asyncio
import subprocess
import sys
import time
from pathlib import Path

import pytest

from agent.browser.logout_lock import lock_path, logout_turn
from agent.errors import ProfileBusy

HOLD = (
    "import asyncio, sys\n"
    "from pathlib import Path\n"
    "from agent.browser.logout_lock import logout_turn\n"
    "async def main():\n"
    "    async with logout_turn(Path(sys.argv[1]), Path(sys.argv[2]), 1e12):\n"
    "        print('held', flush=True)\n"
    "        await asyncio.sleep(120)\n"
    "asyncio.run(main())\n"
)


def soon(seconds: float = 0.3) -> float:
    return time.monotonic() + seconds


async def test_the_lock_file_stays_empty_so_a_full_disk_cannot_stop_it(tmp_path: Path) -> None:
    async with logout_turn(tmp_path, tmp_path / "profile", soon()):
        assert lock_path(tmp_path, tmp_path / "profile").stat().st_size == 0


async def test_a_second_turn_in_the_process_waits_and_is_busy_at_its_deadline(
    tmp_path: Path,
) -> None:
    async with logout_turn(tmp_path, tmp_path / "profile", soon()):
        with pytest.raises(ProfileBusy, match=r"another logout of .* is running"):
            async with logout_turn(tmp_path, tmp_path / "profile", soon()):
                pass
        async with logout_turn(tmp_path, tmp_path / "other-profile", soon()):
            pass  # another profile's turn is its own


async def test_a_busy_turn_names_the_holding_process_from_proc_locks(tmp_path: Path) -> None:
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLD, str(tmp_path), str(tmp_path / "profile")],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "held"
        with pytest.raises(ProfileBusy) as busy:
            async with logout_turn(tmp_path, tmp_path / "profile", soon()):
                pass
        assert f"held by pid {holder.pid} ({sys.executable} -c import asyncio" in str(busy.value)
    finally:
        holder.kill()
        holder.wait()
    async with logout_turn(tmp_path, tmp_path / "profile", soon(10)):
        pass  # the holder's death released it


async def test_without_a_lock_file_the_turns_of_every_profile_exclude_each_other(
    tmp_path: Path,
) -> None:
    (tmp_path / "locks").write_text("a file where the locks directory goes")
    async with logout_turn(tmp_path, tmp_path / "profile", soon()):
        with pytest.raises(ProfileBusy):
            async with logout_turn(tmp_path, tmp_path / "other-profile", soon()):
                pass
    async with logout_turn(tmp_path, tmp_path / "other-profile", soon()):
        pass


async def test_a_directory_lock_waits_for_the_file_locks_of_running_logouts(
    tmp_path: Path,
) -> None:
    async with logout_turn(tmp_path, tmp_path / "profile", soon()):  # the file exists
        (tmp_path / "locks" / "blocked").mkdir()
        blocked = tmp_path / "locks"
        blocked.rename(tmp_path / "locks-moved")
        (tmp_path / "locks").write_text("no more lock files")
        with pytest.raises(ProfileBusy):  # the fallback takes the directory exclusively
            async with logout_turn(tmp_path, tmp_path / "other-profile", soon()):
                pass


async def test_two_tasks_take_turns(tmp_path: Path) -> None:
    order: list[str] = []

    async def turn(name: str) -> None:
        async with logout_turn(tmp_path, tmp_path / "profile", soon(10)):
            order.append(f"{name} in")
            await asyncio.sleep(0.1)
            order.append(f"{name} out")

    await asyncio.gather(turn("a"), turn("b"))
    assert order in (["a in", "a out", "b in", "b out"], ["b in", "b out", "a in", "a out"])


async def test_lock_files_are_readable_by_their_owner_only(tmp_path: Path) -> None:
    path = lock_path(tmp_path, tmp_path / "profile")
    path.parent.mkdir()
    path.touch(mode=0o644)  # made by an older version: anyone could open and hold it
    async with logout_turn(tmp_path, tmp_path / "profile", soon()):
        assert path.stat().st_mode & 0o777 == 0o600
