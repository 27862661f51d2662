"""Reading and clearing Chromium's profile lock."""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import subprocess
import time
from collections.abc import Awaitable, Callable
from pathlib import Path

import pytest
from playwright.async_api import BrowserContext

from agent.browser.locks import (
    LockState,
    ProfileLock,
    is_browser_name,
    read_lock,
    remove_stale_lock,
)
from agent.errors import ConfigError, ProfileBusy

PersistentLauncher = Callable[..., Awaitable[BrowserContext]]


def _lock_to(user_data_dir: Path, target: str) -> None:
    (user_data_dir / "SingletonLock").symlink_to(target)


async def _wait_for_state(user_data_dir: Path, wanted: LockState) -> ProfileLock:
    """Read the lock every 0.1 s until it is in the wanted state; fail after 30 s."""
    deadline = time.monotonic() + 30
    lock = read_lock(user_data_dir)
    while lock.state != wanted and time.monotonic() < deadline:
        await asyncio.sleep(0.1)
        lock = read_lock(user_data_dir)
    assert lock.state == wanted, lock
    return lock


async def test_running_persistent_context_holds_a_live_lock(
    tmp_path: Path, launch_persistent: PersistentLauncher
) -> None:
    await launch_persistent(tmp_path)
    lock = read_lock(tmp_path)
    assert lock.state == LockState.LIVE
    assert lock.hostname == socket.gethostname() and lock.pid and lock.pid != os.getpid()


async def test_killed_browser_leaves_a_stale_lock_that_can_be_removed(
    tmp_path: Path, launch_persistent: PersistentLauncher
) -> None:
    await launch_persistent(tmp_path)
    pid = int(os.readlink(tmp_path / "SingletonLock").rpartition("-")[2])
    os.kill(pid, signal.SIGKILL)
    assert (await _wait_for_state(tmp_path, LockState.STALE)).pid == pid
    remove_stale_lock(tmp_path)
    assert not any((tmp_path / name).is_symlink() for name in ("SingletonLock", "SingletonSocket"))
    await launch_persistent(tmp_path)
    assert read_lock(tmp_path).state == LockState.LIVE


def test_lock_of_another_host_is_foreign_and_never_removed(tmp_path: Path) -> None:
    _lock_to(tmp_path, "library-pc-07-4242")
    lock = read_lock(tmp_path)
    assert (lock.state, lock.hostname, lock.pid) == (LockState.FOREIGN, "library-pc-07", 4242)
    with pytest.raises(ProfileBusy, match="foreign"):
        remove_stale_lock(tmp_path)
    assert (tmp_path / "SingletonLock").is_symlink()


def test_directory_without_lock_is_none_and_nothing_is_removed(tmp_path: Path) -> None:
    assert read_lock(tmp_path).state == LockState.NONE
    with pytest.raises(ProfileBusy, match="none"):
        remove_stale_lock(tmp_path)


def test_live_process_that_is_no_browser_leaves_a_stale_lock(tmp_path: Path) -> None:
    _lock_to(tmp_path, f"{socket.gethostname()}-{os.getpid()}")
    lock = read_lock(tmp_path)
    assert lock.state == LockState.STALE
    assert "no browser" in lock.detail


def test_dead_process_leaves_a_stale_lock_and_all_singletons_go(tmp_path: Path) -> None:
    process = subprocess.Popen(["true"])
    process.wait()
    _lock_to(tmp_path, f"{socket.gethostname()}-{process.pid}")
    (tmp_path / "SingletonSocket").symlink_to("/tmp/.org.chromium.Chromium.gone/SingletonSocket")
    (tmp_path / "SingletonCookie").symlink_to("123456789")
    assert remove_stale_lock(tmp_path).state == LockState.STALE
    assert sorted(os.listdir(tmp_path)) == []


def test_unparsable_lock_target_is_treated_as_foreign(tmp_path: Path) -> None:
    _lock_to(tmp_path, "no-pid-here")
    assert read_lock(tmp_path).state == LockState.FOREIGN


def test_user_data_dir_that_does_not_exist_yet_has_no_lock(tmp_path: Path) -> None:
    assert read_lock(tmp_path / "new").state == LockState.NONE


def test_user_data_dir_that_is_a_file_raises_config_error(tmp_path: Path) -> None:
    (tmp_path / "file").write_text("")
    with pytest.raises(ConfigError, match="is not a directory"):
        read_lock(tmp_path / "file")


def test_windows_lockfile_that_nobody_holds_is_no_lock(tmp_path: Path) -> None:
    assert read_lock(tmp_path, platform="win32").state == LockState.NONE
    (tmp_path / "lockfile").write_text("")
    assert read_lock(tmp_path, platform="win32").state == LockState.NONE


@pytest.mark.parametrize(
    ("name", "browser"),
    [("chromium", True), ("chrome.exe", True), ("Google Chrome", True), ("python3.11", False)],
)
def test_browser_names_are_recognised(name: str, browser: bool) -> None:
    assert is_browser_name(name) is browser
