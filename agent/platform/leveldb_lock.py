"""Take a LevelDB database's LOCK file the way LevelDB itself does, without waiting.

LevelDB (Chromium's env included) locks ``<db>/LOCK`` with a POSIX record lock (fcntl F_SETLK,
write lock) on Linux and macOS and with LockFileEx on Windows; while a browser has the database
open the lock is held. The only module that takes that kind of lock.
"""

from __future__ import annotations

import contextlib
import os
import sys
from collections.abc import Iterator
from pathlib import Path


class DatabaseInUse(Exception):
    """Another process holds the database's LOCK."""


@contextlib.contextmanager
def database_lock(directory: Path) -> Iterator[None]:
    """Hold directory/LOCK (created if missing) for the block.

    Raise DatabaseInUse if another process holds it, OSError if it cannot be opened.
    """
    descriptor = os.open(directory / "LOCK", os.O_RDWR | os.O_CREAT, 0o644)
    try:
        try:
            _lock(descriptor)
        except OSError as exc:
            raise DatabaseInUse(f"{directory} is open in another process") from exc
        try:
            yield
        finally:
            _unlock(descriptor)
    finally:
        os.close(descriptor)


if sys.platform == "win32":
    import msvcrt

    def _lock(descriptor: int) -> None:
        msvcrt.locking(descriptor, msvcrt.LK_NBLCK, 1)

    def _unlock(descriptor: int) -> None:
        os.lseek(descriptor, 0, os.SEEK_SET)
        msvcrt.locking(descriptor, msvcrt.LK_UNLCK, 1)

else:
    import fcntl

    def _lock(descriptor: int) -> None:
        fcntl.lockf(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)

    def _unlock(descriptor: int) -> None:
        fcntl.lockf(descriptor, fcntl.LOCK_UN)
