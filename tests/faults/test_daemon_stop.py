"""Stopping under faults: a slow logout at SIGTERM, SIGTERM during recovery, SIGHUP reloads.

Reported on main: SIGTERM during a slow logout exited 0 with no outcome and no audit line (a
CancelledError traceback); recovery plus SIGTERM overran the 4 s shutdown deadline; SIGHUP
killed the daemon. Each test below reproduces the case with the fakes and shows the fix.
"""

from __future__ import annotations

import asyncio
import contextlib
import signal
import socket
from collections.abc import Callable

import pytest

from agent.daemon.command import SignalRouter
from agent.daemon.daemon import STOP_GRACE_S, Daemon
from agent.daemon.fakes import FakeSessionAgent, FakeTriggerSource
from agent.daemon.state import LogoutInProgress
from agent.errors import ConfigError
from agent.outcome import Outcome, Result, Trigger
from agent.platform.systemd import SystemdNotifier
from agent.settings import Settings
from tests.daemon.conftest import SATURDAY_EVENING, routed_signals

QUIET = {"idle": {"enabled": False}}


async def wait_for_logout(agent: FakeSessionAgent, count: int = 1) -> None:
    while len(agent.logouts) < count:
        await asyncio.sleep(0.01)


async def test_sigterm_during_a_slow_logout_records_it_and_returns_0(
    make_daemon: Callable[..., Daemon], agent: FakeSessionAgent, outcomes: list[Outcome]
) -> None:
    agent.running["managed"] = True  # open: closed, the state rule logs it out at start
    agent.logout_gate = asyncio.Event()  # the logout started by a closing-time event hangs
    source = FakeTriggerSource()
    daemon = make_daemon(logout={"deadline_s": 60, "shutdown_deadline_s": 0.3}, **QUIET)
    daemon.trigger_sources = [source]
    with routed_signals(daemon):
        running = asyncio.create_task(daemon.run())
        await daemon.ready.wait()
        source.put(Trigger.CLOSING_TIME)
        await wait_for_logout(agent)
        signal.raise_signal(signal.SIGTERM)
        assert await asyncio.wait_for(running, 0.3 + STOP_GRACE_S + 5) == 0
    assert [(outcome.trigger, outcome.result) for outcome in outcomes] == [
        (Trigger.CLOSING_TIME, Result.FAILED)
    ]
    assert outcomes[0].error is not None and outcomes[0].error.startswith("interrupted: ")
    assert [record.trigger for record in daemon.state.in_progress()] == [Trigger.CLOSING_TIME]


async def test_sigterm_during_recovery_stops_within_the_shutdown_deadline(
    make_daemon: Callable[..., Daemon], agent: FakeSessionAgent, outcomes: list[Outcome]
) -> None:
    agent.logout_gate = asyncio.Event()  # the recovery logout hangs (600 s deadline)
    daemon = make_daemon(logout={"deadline_s": 600, "shutdown_deadline_s": 0.3}, **QUIET)
    daemon.state.begin(LogoutInProgress("managed", Trigger.SIGNAL, SATURDAY_EVENING))
    running = asyncio.create_task(daemon.run())
    await wait_for_logout(agent)
    loop = asyncio.get_running_loop()
    asked = loop.time()
    daemon.request_stop()
    assert await asyncio.wait_for(running, 10) == 0
    # ended by the shutdown deadline, not by the recovery's own 600 s (a bound, not a speed)
    assert loop.time() - asked < 60
    assert [(outcome.trigger, outcome.result) for outcome in outcomes] == [
        (Trigger.RECOVERY, Result.FAILED)
    ]
    assert "shutdown deadline of 0.3 s passed" in (outcomes[0].error or "")
    assert daemon.state.in_progress()[0].trigger is Trigger.RECOVERY
    assert not daemon.ready.is_set()  # it never reported ready: it was stopping


async def test_sighup_with_an_invalid_file_keeps_the_running_configuration(
    make_daemon: Callable[..., Daemon], agent: FakeSessionAgent
) -> None:
    agent.running["managed"] = True  # open: closed, the state rule logs it out at start
    daemon = make_daemon(**QUIET)
    reloads = 0

    def broken() -> Settings:
        nonlocal reloads
        reloads += 1
        raise ConfigError("kioskguard.toml: idle.timeout_s: 'soon': Input should be a number")

    daemon.reloader = broken

    async def reloaded() -> None:
        while reloads == 0:
            await asyncio.sleep(0.01)

    with routed_signals(daemon):
        running = asyncio.create_task(daemon.run())
        await daemon.ready.wait()
        signal.raise_signal(signal.SIGHUP)
        # bounded here: the router routes SIGALRM too, so pytest-timeout cannot end a hang
        await asyncio.wait_for(reloaded(), 10)
        await asyncio.sleep(0.05)
        assert not running.done() and daemon.reload_settings is None
        daemon.request_stop()
        assert await asyncio.wait_for(running, 10) == 0
    assert [trigger for _, trigger, _ in agent.logouts] == [Trigger.SIGNAL]


async def test_sighup_with_a_valid_file_ends_run_with_the_new_settings_and_no_logout(
    make_daemon: Callable[..., Daemon], make_settings: Callable[..., Settings], agent
) -> None:
    agent.running["managed"] = True  # open: closed, the state rule logs it out at start
    daemon = make_daemon(**QUIET)
    new = make_settings(idle={"enabled": False}, check={"probe_interval_s": 7})
    daemon.reloader = lambda: new
    with routed_signals(daemon):
        running = asyncio.create_task(daemon.run())
        await daemon.ready.wait()
        signal.raise_signal(signal.SIGHUP)
        assert await asyncio.wait_for(running, 10) == 0
    assert daemon.reload_settings is new and agent.logouts == []


async def test_sighup_cannot_move_the_state_directory(
    make_daemon: Callable[..., Daemon], make_settings: Callable[..., Settings], tmp_path
) -> None:
    daemon = make_daemon(**QUIET)
    daemon.reloader = lambda: make_settings(general={"state_dir": str(tmp_path / "elsewhere")})
    running = asyncio.create_task(daemon.run())
    await daemon.ready.wait()
    daemon.request_reload()
    await asyncio.sleep(0.1)
    assert not running.done() and daemon.reload_settings is None
    daemon.request_stop()
    assert await asyncio.wait_for(running, 10) == 0


async def test_a_state_file_that_is_a_directory_does_not_stop_a_logout(
    make_daemon: Callable[..., Daemon], agent: FakeSessionAgent, outcomes: list[Outcome]
) -> None:
    daemon = make_daemon(**QUIET)
    daemon.state.path.mkdir(parents=True)
    assert (await daemon.logout_linked(Trigger.MANUAL))[0].result is Result.LOGGED_OUT
    assert [outcome.result for outcome in outcomes] == [Result.LOGGED_OUT]


async def test_logoff_event_logs_out_with_the_shutdown_deadline_and_keeps_running(
    make_daemon: Callable[..., Daemon], agent: FakeSessionAgent, outcomes: list[Outcome]
) -> None:
    agent.running["managed"] = True  # open: closed, the state rule logs it out at start
    source = FakeTriggerSource()
    daemon = make_daemon(logout={"shutdown_deadline_s": 2}, **QUIET)
    daemon.trigger_sources = [source]
    running = asyncio.create_task(daemon.run())
    await daemon.ready.wait()
    source.put(Trigger.LOGOFF)
    while not source.handled:
        await asyncio.sleep(0.01)
    assert not running.done()
    assert [(outcome.trigger, outcome.result) for outcome in outcomes] == [
        (Trigger.LOGOFF, Result.LOGGED_OUT)
    ]
    assert 0 < agent.logouts[0][2] <= 2
    daemon.request_stop()
    assert await asyncio.wait_for(running, 10) == 0


async def test_the_service_manager_hears_ready_status_and_stopping(
    make_daemon: Callable[..., Daemon], tmp_path
) -> None:
    receiver = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    receiver.bind(str(tmp_path / "notify"))
    receiver.setblocking(False)
    daemon = make_daemon(**QUIET)
    daemon.service_manager = SystemdNotifier({"NOTIFY_SOCKET": str(tmp_path / "notify")})
    running = asyncio.create_task(daemon.run())
    await daemon.ready.wait()
    daemon.request_stop()
    assert await asyncio.wait_for(running, 10) == 0
    messages = []
    with contextlib.suppress(BlockingIOError):
        while True:
            messages.append(receiver.recv(4096).decode().split("\n")[0])
    receiver.close()
    assert messages == [
        "STATUS=finishing logouts interrupted by a crash",
        "READY=1",
        "STATUS=guarding 1 profile(s)",
        "STOPPING=1",
        "STATUS=stopping (signal): logging out linked profiles",
    ]


async def test_a_stop_between_two_daemons_of_a_reload_is_kept_for_the_next_one(
    make_daemon: Callable[..., Daemon], agent: FakeSessionAgent, outcomes: list[Outcome]
) -> None:
    agent.running["managed"] = True  # open: closed, the state rule logs it out at start
    router = SignalRouter()
    router.attach(None)  # the old daemon is gone, the new one is not built yet
    router.stop()  # SIGTERM arrives now
    daemon = make_daemon(**QUIET)
    router.attach(daemon)
    assert await asyncio.wait_for(daemon.run(), 10) == 0
    assert [(outcome.trigger, outcome.result) for outcome in outcomes] == [
        (Trigger.SIGNAL, Result.LOGGED_OUT)
    ]


async def test_stop_during_a_scheduled_jobs_slow_logout_records_it_without_a_job_traceback(
    make_daemon: Callable[..., Daemon],
    agent: FakeSessionAgent,
    outcomes: list[Outcome],
    caplog: pytest.LogCaptureFixture,
) -> None:
    agent.running = {"managed": True}
    daemon = make_daemon(
        check={"browser_poll_s": 0.5}, logout={"shutdown_deadline_s": 0.3}, **QUIET
    )
    running = asyncio.create_task(daemon.run())
    async with asyncio.timeout(30):
        while not daemon._browser_running.get("managed"):
            await asyncio.sleep(0.05)
    agent.logout_gate = asyncio.Event()  # the browser-closed logout hangs
    agent.running = {"managed": False}
    await wait_for_logout(agent)
    daemon.request_stop()
    assert await asyncio.wait_for(running, 10) == 0
    assert [(outcome.trigger, outcome.result) for outcome in outcomes] == [
        (Trigger.BROWSER_CLOSED, Result.FAILED)
    ]
    assert not [
        record
        for record in caplog.records
        if record.name.startswith("apscheduler") and record.levelname == "ERROR"
    ]
