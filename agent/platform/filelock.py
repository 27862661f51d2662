"""An exclusive, non-blocking lock on a file: fcntl.flock on POSIX, msvcrt.locking on Windows.

The only module that touches those APIs. The lock dies with its process (no stale locks after
a crash); the file holds the holder's PID and command line so a refusal can name it.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import IO

from agent.errors import KioskguardError


class LockHeld(KioskguardError):
    default_message = "the lock is held by another process"


class FileLock:
    """An exclusive lock on path, held from acquire() to release()."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._handle: IO[str] | None = None

    @property
    def held(self) -> bool:
        return self._handle is not None

    def acquire(self, description: str) -> None:
        """Take the lock and write our PID and description into the file.

        Raise LockHeld naming the holder (as its file says) if another process holds it, or
        OSError if the file cannot be created.
        """
        if self._handle is not None:
            return
        self.path.parent.mkdir(parents=True, exist_ok=True)
        handle = open(self.path, "a+", encoding="utf-8")  # noqa: SIM115 (kept open while held)
        try:
            _lock(handle)
        except OSError as exc:
            try:
                handle.seek(0)
                holder = handle.read().strip() or "an unknown process"
            except OSError:  # Windows locks are mandatory: the holder's bytes cannot be read
                holder = "another process"
            handle.close()
            raise LockHeld(f"{self.path} is locked by {holder}") from exc
        handle.seek(0)
        handle.truncate()
        handle.write(f"pid {os.getpid()} ({description})\n")
        handle.flush()
        self._handle = handle

    def release(self) -> None:
        """Give the lock up (idempotent)."""
        if self._handle is None:
            return
        try:
            _unlock(self._handle)
        finally:
            self._handle.close()
            self._handle = None


if sys.platform == "win32":
    import msvcrt

    def _lock(handle: IO[str]) -> None:
        handle.seek(0)
        msvcrt.locking(handle.fileno(), msvcrt.LK_NBLCK, 1)

    def _unlock(handle: IO[str]) -> None:
        handle.seek(0)
        msvcrt.locking(handle.fileno(), msvcrt.LK_UNLCK, 1)

else:
    import fcntl

    def _lock(handle: IO[str]) -> None:
        fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)

    def _unlock(handle: IO[str]) -> None:
        fcntl.flock(handle.fileno(), fcntl.LOCK_UN)
