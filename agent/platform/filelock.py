"""Exclusive, non-blocking locks: fcntl.flock on POSIX, msvcrt.locking on Windows.

The only module that touches those APIs. A lock dies with its process (no stale locks after
a crash) and never needs a write: a full or read-only disk cannot stop a logout or a start.
The holder is named from /proc/locks (agent/platform/lock_holders.py); FileLock also writes
its PID and description into its file when the disk takes it (macOS and Windows read that).
"""

from __future__ import annotations

import contextlib
import os
import sys
from pathlib import Path
from typing import IO

from agent.errors import KioskguardError
from agent.platform.lock_holders import describe_holders, flock_holders


class LockHeld(KioskguardError):
    default_message = "the lock is held by another process"


def try_lock(descriptor: int, *, shared: bool = False) -> bool:
    """Given an open descriptor (a file, or a directory on POSIX), try to lock its file.

    Return True if locked, False if another open file holds a conflicting lock (locks belong
    to an open file: two opens in one process exclude each other). shared takes a shared lock
    (POSIX; Windows locks are always exclusive). Raise OSError for any other failure.
    """
    if sys.platform == "win32":
        os.lseek(descriptor, 0, os.SEEK_SET)  # every run locks the same first byte
        try:
            msvcrt.locking(descriptor, msvcrt.LK_NBLCK, 1)
        except OSError:
            return False
        return True
    try:
        fcntl.flock(descriptor, (fcntl.LOCK_SH if shared else fcntl.LOCK_EX) | fcntl.LOCK_NB)
    except BlockingIOError:
        return False
    return True


def unlock(descriptor: int) -> None:
    """Release the lock taken by try_lock on this descriptor (closing it releases it too)."""
    if sys.platform == "win32":
        os.lseek(descriptor, 0, os.SEEK_SET)
        msvcrt.locking(descriptor, msvcrt.LK_UNLCK, 1)
    else:
        fcntl.flock(descriptor, fcntl.LOCK_UN)


def private_opener(path: str, flags: int) -> int:
    """Open (or create) a lock file readable by its owner only, an older one made so too: flock
    needs only read access, so anyone who can open a lock file can hold it against us."""
    descriptor = os.open(path, flags, 0o600)
    if hasattr(os, "fchmod"):
        with contextlib.suppress(OSError):  # not ours (another user's file): left as it is
            os.fchmod(descriptor, 0o600)
    return descriptor


def holders_of(descriptor: int) -> str:
    """Return who holds the lock on the descriptor's file, for a message ("pid N (...)")."""
    return describe_holders(flock_holders(descriptor))


class FileLock:
    """An exclusive lock on path, held from acquire() to release()."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._handle: IO[str] | None = None

    @property
    def held(self) -> bool:
        return self._handle is not None

    def acquire(self, description: str) -> None:
        """Take the lock, then write our PID and description into the file if the disk lets us.

        Raise LockHeld naming the holder (from /proc/locks, else as its file says) if another
        process holds it, or OSError if the file cannot be opened or created.
        """
        if self._handle is not None:
            return
        self.path.parent.mkdir(parents=True, exist_ok=True)
        handle = open(  # noqa: SIM115 (kept open while held)
            self.path, "a+", encoding="utf-8", opener=private_opener
        )
        try:
            locked = try_lock(handle.fileno())
        except OSError:
            handle.close()
            raise
        if not locked:
            holder = holders_of(handle.fileno())
            if holder == describe_holders([]):
                holder = _written_holder(handle)
            handle.close()
            raise LockHeld(f"{self.path} is locked by {holder}")
        with contextlib.suppress(OSError):  # a full disk: the lock holds, the text is missing
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
            unlock(self._handle.fileno())
        finally:
            with contextlib.suppress(OSError):  # the text's flush may fail on a full disk
                self._handle.close()
            self._handle = None


def _written_holder(handle: IO[str]) -> str:
    try:
        handle.seek(0)
        return handle.read().strip() or "an unknown process"
    except OSError:  # Windows locks are mandatory: the holder's bytes cannot be read
        return "another process"


if sys.platform == "win32":
    import msvcrt
else:
    import fcntl
