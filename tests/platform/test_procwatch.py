"""Waiting for a process to exit: pidfd (a real child process), polling, the fake, and the
daemon's wait on the PID in a profile's SingletonLock."""

from __future__ import annotations

import asyncio
import subprocess
import sys
from pathlib import Path

import pytest

from agent.browser.locks import LockState, ProfileLock
from agent.daemon.closewatch import LockedBrowserExit
from agent.platform.procwatch import FakeWaiter, PidfdWaiter, PollingWaiter, pick_waiter
from agent.settings import ProfileSettings

linux_only = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="pidfd is Linux's")


def sleeper() -> subprocess.Popen[bytes]:
    return subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])


@linux_only
async def test_pidfd_wait_ends_when_the_process_exits() -> None:
    child = sleeper()
    try:
        wait = asyncio.create_task(PidfdWaiter().wait_exit(child.pid, lambda: True))
        await asyncio.sleep(0.2)
        assert not wait.done()  # still running: still waiting
        child.terminate()
        assert await asyncio.wait_for(wait, 10) is True
    finally:
        child.kill()
        child.wait()


@linux_only
async def test_pidfd_is_what_linux_gets() -> None:
    assert pick_waiter().name == "pidfd"


@linux_only
async def test_a_process_no_longer_meant_is_not_waited_on() -> None:
    child = sleeper()
    try:
        assert await PidfdWaiter().wait_exit(child.pid, lambda: False) is False
    finally:
        child.kill()
        child.wait()


async def test_a_gone_process_is_not_waited_on() -> None:
    child = sleeper()
    child.kill()
    child.wait()
    for waiter in (PollingWaiter(0.05), *([PidfdWaiter()] if sys.platform == "linux" else [])):
        assert await asyncio.wait_for(waiter.wait_exit(child.pid, lambda: True), 5) is False


async def test_polling_wait_ends_when_the_process_exits() -> None:
    child = sleeper()
    try:
        wait = asyncio.create_task(PollingWaiter(0.05).wait_exit(child.pid, lambda: True))
        await asyncio.sleep(0.2)
        assert not wait.done()
        child.terminate()
        child.wait()  # reaped: the PID is gone (a zombie still answers kill(pid, 0))
        assert await asyncio.wait_for(wait, 10) is True
    finally:
        child.kill()


class Locks:
    """A scripted read_lock: the state each reading returns, in turn (the last one repeats)."""

    def __init__(self, *locks: ProfileLock) -> None:
        self.locks = list(locks)
        self.reads = 0

    def __call__(self, user_data_dir: Path) -> ProfileLock:
        self.reads += 1
        return self.locks.pop(0) if len(self.locks) > 1 else self.locks[0]


PROFILE = ProfileSettings(name="desk", user_data_dir=Path("/nonexistent/desk"))
LIVE = ProfileLock(LockState.LIVE, "host", 4242, "browser chromium (pid 4242) is running")


async def test_the_lock_holder_is_waited_on_until_it_exits() -> None:
    waiter = FakeWaiter()
    watch = LockedBrowserExit(waiter, Locks(LIVE))
    closed = asyncio.create_task(watch.wait_closed(PROFILE))
    while not waiter.waits:
        await asyncio.sleep(0.01)
    assert waiter.waits == [4242] and not closed.done()
    waiter.exit(4242)
    assert await asyncio.wait_for(closed, 5) is True


@pytest.mark.parametrize(
    "lock",
    [
        ProfileLock(LockState.NONE),
        ProfileLock(LockState.STALE, "host", 4242, "process 4242 is gone"),
        ProfileLock(LockState.AGENT, "host", 4242, "kioskguard holds it"),
        ProfileLock(LockState.FOREIGN, "other", 4242, "held by host other"),
        ProfileLock(LockState.LIVE),  # Windows: no PID
    ],
)
async def test_no_live_browser_of_this_computer_nothing_to_wait_on(lock: ProfileLock) -> None:
    waiter = FakeWaiter()
    assert await LockedBrowserExit(waiter, Locks(lock)).wait_closed(PROFILE) is False
    assert waiter.waits == []


async def test_a_pid_that_changed_hands_before_the_wait_is_not_waited_on() -> None:
    waiter = FakeWaiter()
    reused = ProfileLock(LockState.LIVE, "host", 5151, "another browser now")
    locks = Locks(LIVE, reused)
    assert await LockedBrowserExit(waiter, locks).wait_closed(PROFILE) is False
    assert waiter.waits == [] and locks.reads == 2
