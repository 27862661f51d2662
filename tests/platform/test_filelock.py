"""The daemon's lock file: taken without a write, and no one else can open it to hold it."""

from __future__ import annotations

from pathlib import Path

from agent.platform.filelock import FileLock


def test_daemon_lock_is_readable_by_its_owner_only(tmp_path: Path) -> None:
    lock = FileLock(tmp_path / "daemon.lock")
    lock.acquire("test")
    try:
        assert (tmp_path / "daemon.lock").stat().st_mode & 0o777 == 0o600
    finally:
        lock.release()
