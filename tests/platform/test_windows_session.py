"""Windows logoff and shutdown, with every Win32 call faked (tests/platform/fake_win32.py).

What this shows: the hidden window's messages drive the daemon (WM_QUERYENDSESSION stops it
with LOGOFF or SHUTDOWN under a ShutdownBlockReasonCreate; WM_ENDSESSION waits for the final
logout before it returns and releases the block). What it cannot show: that real Windows
delivers these messages to this window, shows the block reason, and waits as long as needed.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable
from types import SimpleNamespace

import pytest

from agent.daemon.daemon import Daemon
from agent.daemon.fakes import FakeSessionAgent
from agent.errors import PlatformUnavailable
from agent.outcome import Outcome, Result, Trigger
from agent.platform.windows_session import (
    BLOCK_REASON,
    ENDSESSION_LOGOFF,
    WM_ENDSESSION,
    WM_QUERYENDSESSION,
    SessionEndWatcher,
)
from tests.platform.fake_win32 import HWND, FakeKernel32, FakeUser32

QUIET = {"idle": {"enabled": False}}


async def until(condition: Callable[[], bool]) -> None:
    async with asyncio.timeout(30):
        while not condition():
            await asyncio.sleep(0.01)


def test_off_windows_without_dlls_the_watcher_is_unavailable() -> None:
    with pytest.raises(PlatformUnavailable, match="need Windows"):
        SessionEndWatcher.start(asyncio.new_event_loop(), object())


async def test_logoff_logs_out_under_a_block_reason_and_ends_the_session_after_it(
    make_daemon: Callable[..., Daemon], agent: FakeSessionAgent, outcomes: list[Outcome]
) -> None:
    user32 = FakeUser32()
    agent.running["managed"] = True  # the visitor's browser is open: the logoff logs it out
    daemon = make_daemon(logout={"shutdown_deadline_s": 2}, **QUIET)
    running = asyncio.create_task(daemon.run())
    await daemon.ready.wait()
    watcher = SessionEndWatcher.start(
        asyncio.get_running_loop(), daemon, user32=user32, kernel32=FakeKernel32()
    )
    agent.logout_gate = asyncio.Event()  # the logout runs until the test lets it finish
    user32.post(WM_QUERYENDSESSION, 0, ENDSESSION_LOGOFF)
    user32.post(WM_ENDSESSION, 1, ENDSESSION_LOGOFF)
    await until(lambda: len(agent.logouts) == 1)
    assert agent.logouts[0][1] is Trigger.LOGOFF
    assert ("ShutdownBlockReasonCreate", HWND, BLOCK_REASON) in user32.calls
    await asyncio.sleep(0.2)  # WM_ENDSESSION must not return while the logout runs
    assert ("ShutdownBlockReasonDestroy", HWND) not in user32.calls
    agent.logout_gate.set()
    assert await running == 0
    watcher.stop()  # what `kioskguard run` does once the daemon returned
    assert [(outcome.trigger, outcome.result) for outcome in outcomes] == [
        (Trigger.LOGOFF, Result.LOGGED_OUT)
    ]
    assert user32.answers[:2] == [(WM_QUERYENDSESSION, 1), (WM_ENDSESSION, 0)]
    assert ("ShutdownBlockReasonDestroy", HWND) in user32.calls
    assert ("PostQuitMessage", 0) in user32.calls
    assert not watcher._thread.is_alive()


async def test_shutdown_is_a_shutdown_trigger_and_a_cancelled_end_releases_the_block() -> None:
    user32 = FakeUser32()
    stops: list[Trigger] = []
    stopped = threading.Event()

    class Stoppable:
        settings = SimpleNamespace(logout=SimpleNamespace(shutdown_deadline_s=1.0))

        def request_stop(self, trigger: Trigger = Trigger.SIGNAL) -> None:
            stops.append(trigger)
            stopped.set()

    watcher = SessionEndWatcher.start(
        asyncio.get_running_loop(), Stoppable(), user32=user32, kernel32=FakeKernel32()
    )
    user32.post(WM_QUERYENDSESSION, 0, 0)
    user32.post(WM_ENDSESSION, 0, 0)  # another application refused: the session goes on
    await until(lambda: ("ShutdownBlockReasonDestroy", HWND) in user32.calls)
    assert stops == [Trigger.SHUTDOWN]
    watcher.stop()
