"""One logout per profile at a time, across processes (the daemon, `kioskguard logout` runs).

A lock file per profile in STATE_DIR/locks, held with flock (Linux, macOS) or msvcrt.locking
(Windows) for the whole logout. The operating system drops the lock when its holder exits, so it
is never stale. flock locks belong to an open file, so two tasks of one process exclude each other
too. A run that finds the lock taken waits (polling) until it frees or the deadline comes.
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
from typing import IO

from agent.errors import ConfigError, ProfileBusy

POLL_S = 0.05


def lock_path(state_dir: Path, user_data_dir: Path) -> Path:
    """Return the lock file of one profile (named by a hash of its real path)."""
    digest = hashlib.sha256(os.path.realpath(user_data_dir).encode()).hexdigest()[:16]
    return state_dir / "locks" / f"logout-{digest}.lock"


def _try_lock(handle: IO[str]) -> bool:
    if sys.platform == "win32":
        import msvcrt

        handle.seek(0)  # every run locks the same first byte
        try:
            msvcrt.locking(handle.fileno(), msvcrt.LK_NBLCK, 1)
        except OSError:
            return False
        return True
    import fcntl

    try:
        fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return False
    return True


def _holder(path: Path) -> str:
    with contextlib.suppress(OSError):
        text = path.read_text().strip()
        if text:
            return f" (pid {text})"
    return ""


@asynccontextmanager
async def logout_turn(
    state_dir: Path,
    user_data_dir: Path,
    deadline: float,
    clock: Callable[[], float] = time.monotonic,
) -> AsyncIterator[float]:
    """Hold the profile's logout lock for the block; yield the seconds spent waiting for it.

    Raise ProfileBusy if another logout of the profile still holds it at ``deadline`` (a clock()
    value), ConfigError if the state dir cannot hold the lock file.
    """
    path = lock_path(state_dir, user_data_dir)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        handle = open(path, "a+", encoding="utf-8")  # noqa: SIM115 (closed below)
    except OSError as exc:
        raise ConfigError(f"cannot create the logout lock {path}: {exc.strerror}") from exc
    started = clock()
    try:
        while not _try_lock(handle):
            if clock() >= deadline:
                raise ProfileBusy(
                    f"another logout of {user_data_dir} is running{_holder(path)};"
                    f" waited {clock() - started:.1f} s"
                )
            await asyncio.sleep(min(POLL_S, max(deadline - clock(), 0.0)))
        handle.seek(0)
        handle.truncate()
        handle.write(str(os.getpid()))
        handle.flush()
        try:
            yield clock() - started
        finally:
            with contextlib.suppress(OSError):
                handle.seek(0)
                handle.truncate()
    finally:
        handle.close()  # closing the file releases the lock
