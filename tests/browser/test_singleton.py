"""kioskguard's own hold on a profile during a cold logout (agent.browser.singleton)."""

from __future__ import annotations

import os
import socket
import time
from pathlib import Path

import pytest

from agent.browser.locks import SINGLETON_NAMES, LockState, read_lock, remove_stale_lock
from agent.browser.singleton import ACK, hold_profile
from agent.errors import ProfileBusy


def test_hold_reads_as_kioskguards_own_and_is_removed_after(tmp_path: Path) -> None:
    with hold_profile(tmp_path):
        lock = read_lock(tmp_path)
        assert (lock.state, lock.pid) == (LockState.AGENT, os.getpid())
        with pytest.raises(ProfileBusy):
            remove_stale_lock(tmp_path)  # never taken for a stale lock
    assert [name for name in SINGLETON_NAMES if (tmp_path / name).is_symlink()] == []
    assert read_lock(tmp_path).state is LockState.NONE


def test_hold_answers_a_starting_browser_like_a_running_one(tmp_path: Path) -> None:
    with hold_profile(tmp_path) as hold:
        socket_path = os.readlink(tmp_path / "SingletonSocket")
        cookie_dir = Path(socket_path).parent
        assert os.readlink(cookie_dir / "SingletonCookie") == os.readlink(
            tmp_path / "SingletonCookie"
        )  # what Chromium checks before it connects
        with socket.socket(socket.AF_UNIX) as client:
            client.settimeout(10)
            client.connect(socket_path)
            client.sendall(b"START\0/home\0chromium\0--user-data-dir=x\0")
            assert client.recv(16) == ACK
        assert hold.refused == 1
    assert not cookie_dir.exists()


def test_hold_on_a_locked_profile_is_busy_and_leaves_the_lock(tmp_path: Path) -> None:
    (tmp_path / "SingletonLock").symlink_to("library-pc-07-4242")
    with pytest.raises(ProfileBusy, match="locked"), hold_profile(tmp_path):
        pass
    assert os.readlink(tmp_path / "SingletonLock") == "library-pc-07-4242"


def test_release_wakes_the_answering_thread_instead_of_waiting_for_its_timeout(
    tmp_path: Path,
) -> None:
    with hold_profile(tmp_path) as hold:
        hold._server.settimeout(None)  # only the wake-up call can end the next accept()
        time.sleep(0.5)  # let the accept() under way (0.2 s timeout) give way to that one
    assert not hold._thread.is_alive()  # release() joined it (a 2 s join would give up)
    assert hold.refused == 0  # the wake-up call is not counted as a browser turned away
