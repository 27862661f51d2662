"""One logout per profile at a time, across processes (the daemon, `kioskguard logout` runs).

A lock file per profile in STATE_DIR/locks, held with flock (Linux, macOS) or msvcrt.locking
(Windows) for the whole logout. Nothing is ever written into it: a full disk cannot stop a
logout, and a refusal names the holder from /proc/locks. Every holder also takes a shared
lock on the state directory; when the lock file cannot even be created (a read-only state
dir, no inode left), the logout takes that directory's lock exclusively instead, so the
logouts of every profile then take turns rather than run unguarded. The operating system
drops the locks when their holder exits, so they are never stale. Locks belong to an open
file, so two tasks of one process exclude each other too. A run that finds the lock taken
waits (polling) until it frees or the deadline comes.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import os
import sys
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from pathlib import Path

from loguru import logger

from agent.errors import ConfigError, ProfileBusy
from agent.platform.filelock import holders_of, private_opener, try_lock, unlock

POLL_S = 0.05


def lock_path(state_dir: Path, user_data_dir: Path) -> Path:
    """Return the lock file of one profile (named by a hash of its real path)."""
    digest = hashlib.sha256(os.path.realpath(user_data_dir).encode()).hexdigest()[:16]
    return state_dir / "locks" / f"logout-{digest}.lock"


def _open_directory(path: Path) -> int | None:
    """Return a read-only descriptor of the directory, None where directories cannot be
    opened (Windows). Raise ConfigError if it cannot be created or opened."""
    if sys.platform == "win32":
        return None
    try:
        path.mkdir(parents=True, exist_ok=True)
        return os.open(path, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
    except OSError as exc:
        raise ConfigError(f"cannot open the state directory {path}: {exc.strerror}") from exc


def _open_lock_file(path: Path) -> int | None:
    """Return a descriptor of the lock file (created empty if missing), None if it cannot be
    created (the caller then locks the whole state directory)."""
    try:
        path.parent.mkdir(exist_ok=True)
        return private_opener(str(path), os.O_RDWR | os.O_CREAT | getattr(os, "O_CLOEXEC", 0))
    except OSError as exc:
        logger.warning(
            "logout lock {} cannot be created ({}): the logouts of every profile take turns",
            path,
            exc.strerror or exc,
        )
        return None


def _plan(state_dir: Path, user_data_dir: Path) -> list[tuple[int, bool]]:
    """Return the (descriptor, shared) locks one logout of the profile takes, in order."""
    directory = _open_directory(state_dir)
    try:
        file = _open_lock_file(lock_path(state_dir, user_data_dir))
    except BaseException:
        if directory is not None:
            os.close(directory)
        raise
    if file is None and directory is None:
        raise ConfigError(f"cannot create the logout lock {lock_path(state_dir, user_data_dir)}")
    plan = [] if directory is None else [(directory, file is not None)]
    return plan + ([] if file is None else [(file, False)])


def _take_all(plan: list[tuple[int, bool]]) -> int | None:
    """Take every lock of the plan or none; return the descriptor that was busy, or None."""
    taken: list[int] = []
    for descriptor, shared in plan:
        if not try_lock(descriptor, shared=shared):
            for held in reversed(taken):
                unlock(held)
            return descriptor
        taken.append(descriptor)
    return None


@asynccontextmanager
async def logout_turn(
    state_dir: Path,
    user_data_dir: Path,
    deadline: float,
    clock: Callable[[], float] = time.monotonic,
) -> AsyncIterator[float]:
    """Hold the profile's logout lock for the block; yield the seconds spent waiting for it.

    Raise ProfileBusy (naming the holder when /proc tells it) if another logout of the profile
    still holds it at ``deadline`` (a clock() value), ConfigError if the state dir cannot be
    opened at all.
    """
    plan = _plan(state_dir, user_data_dir)
    started = clock()
    try:
        while (busy := _take_all(plan)) is not None:
            if clock() >= deadline:
                raise ProfileBusy(
                    f"another logout of {user_data_dir} is running (held by"
                    f" {holders_of(busy)}); waited {clock() - started:.1f} s"
                )
            await asyncio.sleep(min(POLL_S, max(deadline - clock(), 0.0)))
        yield clock() - started
    finally:
        for descriptor, _shared in plan:
            with contextlib.suppress(OSError):
                os.close(descriptor)  # closing releases the lock
