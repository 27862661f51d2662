"""Start a browser process with its DevTools pipe, wait for it to end, kill what is left: the
process side of a cold logout (the OS API: posix_spawn, waitid, killpg).

The browser runs in a session (and process group) of its own, so that killing the group reaches
its renderers and helpers too, and a signal sent to the daemon's group (Ctrl-C) does not cut a
logout's browser off in the middle of writing the profile. posix_spawn, not fork: the daemon
runs threads, and nothing of Python runs in the child between fork and exec.
"""

from __future__ import annotations

import asyncio
import contextlib
import fcntl
import os
import signal
from collections.abc import Sequence
from dataclasses import dataclass

from agent.errors import DriverError

CHILD_READS = 3  # --remote-debugging-pipe: the browser reads commands from fd 3...
CHILD_WRITES = 4  # ...and writes replies and events to fd 4
_HIGH_FD = 10  # our copies of the child's ends sit above 3 and 4, so no dup2 clobbers another
_POLL_S = 0.02
# Signals the daemon may ignore or handle, which an exec would otherwise pass on ignored.
_DEFAULT_SIGNALS = tuple(
    getattr(signal, name)
    for name in ("SIGPIPE", "SIGXFSZ", "SIGHUP", "SIGINT", "SIGTERM", "SIGUSR1", "SIGUSR2")
    if hasattr(signal, name)
)


@dataclass(frozen=True)
class Spawned:
    """A browser process we started, and our ends of its DevTools pipe (agent.browser.
    coldlaunch.Process)."""

    pid: int
    read_fd: int  # what the browser writes on its fd 4
    write_fd: int  # what the browser reads on its fd 3

    def exit_status(self) -> int | None:
        return exit_status(self.pid)

    async def wait(self, timeout_s: float) -> int | None:
        return await wait_for_exit(self.pid, timeout_s)

    def kill_now(self) -> None:
        kill_group(self.pid)

    async def kill(self, timeout_s: float) -> bool:
        return await kill_and_reap(self.pid, timeout_s)


def spawn_with_pipe(command: Sequence[str]) -> Spawned:
    """Given a command line (the executable first), start it in a new session with the DevTools
    pipe on fds 3 and 4 and /dev/null as stdin, stdout and stderr; return the process and our
    ends of the pipe. Raise DriverError (the OS's reason) if it cannot be started."""
    to_child_read, to_child_write = os.pipe()
    from_child_read, from_child_write = os.pipe()
    child_reads = fcntl.fcntl(to_child_read, fcntl.F_DUPFD_CLOEXEC, _HIGH_FD)
    child_writes = fcntl.fcntl(from_child_write, fcntl.F_DUPFD_CLOEXEC, _HIGH_FD)
    os.close(to_child_read)
    os.close(from_child_write)
    actions = [
        (os.POSIX_SPAWN_OPEN, 0, os.devnull, os.O_RDONLY, 0),
        (os.POSIX_SPAWN_OPEN, 1, os.devnull, os.O_WRONLY, 0),
        (os.POSIX_SPAWN_OPEN, 2, os.devnull, os.O_WRONLY, 0),
        (os.POSIX_SPAWN_DUP2, child_reads, CHILD_READS),
        (os.POSIX_SPAWN_DUP2, child_writes, CHILD_WRITES),
    ]
    try:
        pid = os.posix_spawn(
            command[0],
            list(command),
            dict(os.environ),
            file_actions=actions,
            setsid=True,
            setsigdef=_DEFAULT_SIGNALS,
        )
    except OSError as exc:
        for fd in (to_child_write, from_child_read):
            os.close(fd)
        raise DriverError(_spawn_failure(exc)) from exc
    finally:
        os.close(child_reads)
        os.close(child_writes)
    return Spawned(pid, from_child_read, to_child_write)


def _spawn_failure(exc: OSError) -> str:
    """Return the one line that says why the program could not be started."""
    if isinstance(exc, FileNotFoundError):
        return "no such program"
    if isinstance(exc, PermissionError):
        return "permission denied: the file is not an executable program"
    if exc.errno == 8:  # ENOEXEC
        return "the file is not an executable program"
    return exc.strerror or str(exc)


def exit_status(pid: int) -> int | None:
    """Return the exit status of our child pid if it has ended (without reaping it), else None.

    A negative status is the signal that ended it.
    """
    try:
        result = os.waitid(os.P_PID, pid, os.WEXITED | os.WNOHANG | os.WNOWAIT)
    except ChildProcessError:
        return 0  # already reaped
    if result is None:
        return None
    if result.si_code == os.CLD_EXITED:
        return result.si_status
    return -result.si_status


async def wait_for_exit(pid: int, timeout_s: float) -> int | None:
    """Wait at most timeout_s for our child pid to end (not reaping it); return its status, or
    None if it still runs."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + max(timeout_s, 0.0)
    while (status := exit_status(pid)) is None and loop.time() < deadline:
        await asyncio.sleep(_POLL_S)
    return status


def kill_group(pid: int) -> None:
    """Send SIGKILL to the process group of our child pid (a session leader: the group is its)."""
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pid, signal.SIGKILL)


async def kill_and_reap(pid: int, timeout_s: float = 2.0) -> bool:
    """Kill what is left of the process group of our child pid (its renderers and helpers, and
    the browser itself if it still runs), reap the child, and wait until no process of the group
    is left; return False if that did not happen within timeout_s.

    The group is killed before the child is reaped: until then its pid cannot be reused, so the
    signal reaches only processes of that browser.
    """
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout_s
    kill_group(pid)
    ended = await wait_for_exit(pid, timeout_s) is not None
    with contextlib.suppress(ChildProcessError):
        os.waitpid(pid, os.WNOHANG)
    return ended and await group_gone(pid, deadline - loop.time())


async def group_gone(pgid: int, timeout_s: float, proc: str = "/proc") -> bool:
    """Wait at most timeout_s until process group pgid has no live process left; return whether.

    A zombie counts as gone: it has ended and holds nothing of the profile; it only waits for
    its parent (for the browser's orphaned helpers, whatever process the OS reparents them to)
    to reap it, which can take a second where PID 1 reaps slowly (containers).
    """
    loop = asyncio.get_running_loop()
    deadline = loop.time() + max(timeout_s, 0.0)
    while True:
        try:
            os.killpg(pgid, 0)
        except ProcessLookupError:
            return True
        except PermissionError:
            return False
        if not live_members(pgid, proc):
            return True
        if loop.time() >= deadline:
            return False
        await asyncio.sleep(_POLL_S)


def live_members(pgid: int, proc: str = "/proc") -> list[int]:
    """Given a process group, return the PIDs of its processes that are not zombies, read from
    proc's <pid>/stat (state and pgrp fields, after the command's closing parenthesis). Where
    proc cannot be read (no procfs), every process is taken as live: [pgid]."""
    try:
        entries = os.listdir(proc)
    except OSError:
        return [pgid]
    live: list[int] = []
    for entry in entries:
        if not entry.isdigit():
            continue
        try:
            with open(f"{proc}/{entry}/stat", "rb") as handle:
                fields = handle.read().rpartition(b")")[2].split()
        except OSError:
            continue  # ended meanwhile
        if len(fields) > 2 and int(fields[2]) == pgid and fields[0] != b"Z":
            live.append(int(entry))
    return live
