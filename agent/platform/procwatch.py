"""Wait for a process to exit, without polling where the OS allows it (the only module that
opens process handles).

Linux (kernel 5.3 and later): ``os.pidfd_open(pid)`` gives a descriptor that becomes readable
when the process exits; it is registered with the event loop (``loop.add_reader``), so the wait
costs nothing and ends within the loop's next turn. A PID number can be reused once its process
is gone: the descriptor refers to the process, never to a later one with the same number, so the
caller checks once, after opening, that the process is still the one it meant (see
``ProcessWaiter.wait_exit``'s ``still_meant``).

Elsewhere (macOS, Windows, a kernel or sandbox without pidfd_open): polling, every
``poll_s`` seconds, whether the PID still exists (``os.kill(pid, 0)``); that is no faster than the
daemon's own browser poll, which stays the fallback everywhere.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
from collections.abc import Callable
from typing import Protocol

POLL_S = 0.5


class ProcessWaiter(Protocol):
    """Waits for one process to exit."""

    name: str

    async def wait_exit(self, pid: int, still_meant: Callable[[], bool]) -> bool:
        """Given a live PID and a check that it is still the process meant (run after the
        handle is open), return True once that process has exited; False at once if it is
        already gone or no longer the one meant."""
        ...


class PidfdWaiter:
    """pidfd_open + the event loop: the exit is seen at once (Linux 5.3+)."""

    name = "pidfd"

    async def wait_exit(self, pid: int, still_meant: Callable[[], bool]) -> bool:
        """See ProcessWaiter. Raise OSError if pidfd_open fails for another reason than the
        process being gone (no such system call, no permission)."""
        try:
            descriptor = os.pidfd_open(pid)
        except ProcessLookupError:
            return False
        try:
            if not still_meant():
                return False
            loop = asyncio.get_running_loop()
            exited: asyncio.Future[None] = loop.create_future()

            def readable() -> None:
                if not exited.done():
                    exited.set_result(None)

            loop.add_reader(descriptor, readable)
            try:
                await exited
            finally:
                loop.remove_reader(descriptor)
            return True
        finally:
            os.close(descriptor)


class PollingWaiter:
    """os.kill(pid, 0) every poll_s seconds: the portable fallback."""

    name = "polling"

    def __init__(self, poll_s: float = POLL_S) -> None:
        self.poll_s = poll_s

    async def wait_exit(self, pid: int, still_meant: Callable[[], bool]) -> bool:
        """See ProcessWaiter; a PID reused between two looks is not noticed (the caller's own
        lock reading is the check for that)."""
        if not _alive(pid) or not still_meant():
            return False
        while _alive(pid):
            await asyncio.sleep(self.poll_s)
        return True


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # another user's process: it exists
    return True


def pick_waiter() -> ProcessWaiter:
    """Return the pidfd waiter where the system offers pidfd_open, else the polling one."""
    if hasattr(os, "pidfd_open"):
        with contextlib.suppress(OSError):
            os.close(os.pidfd_open(os.getpid()))
            return PidfdWaiter()
    return PollingWaiter()


class FakeWaiter:
    """A ProcessWaiter for unit tests: exit(pid) ends that PID's wait; waits are recorded."""

    name = "fake"

    def __init__(self) -> None:
        self.waits: list[int] = []
        self.gone: set[int] = set()
        self._exits: dict[int, asyncio.Event] = {}

    def exit(self, pid: int) -> None:
        """Make the process exit (every wait on it ends with True)."""
        self.gone.add(pid)
        self._exits.setdefault(pid, asyncio.Event()).set()

    async def wait_exit(self, pid: int, still_meant: Callable[[], bool]) -> bool:
        if pid in self.gone or not still_meant():
            return False
        self.waits.append(pid)
        await self._exits.setdefault(pid, asyncio.Event()).wait()
        return True
