"""`kioskguard run --windows-service` against a faked service manager (no Windows machine): the
dispatcher starts ServiceMain, which runs the real `run` (settings, locks, serve(), a real
Daemon) with a fake session layer; the SCM's controls reach the daemon as its triggers."""

from __future__ import annotations

import argparse
import asyncio
import ctypes
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from loguru import logger

from agent.daemon import command
from agent.daemon.fakes import FakeSessionAgent
from agent.errors import PlatformUnavailable
from agent.outcome import Trigger
from agent.platform import windows_service as service
from tests.platform.test_windows_service import FakeAdvapi32, FakeDaemon

WAIT_S = 30.0
Script = Callable[["FakeScm"], None]


@dataclass
class ServiceAgent(FakeSessionAgent):
    """The session layer, faked: what serve() builds with SessionService(settings)."""

    async def prepare(self) -> None:
        return None

    async def close(self) -> None:
        return None


def wait_for(condition: Callable[[], bool], what: str) -> None:
    deadline = time.monotonic() + WAIT_S
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.01)


class FakeScm(FakeAdvapi32):
    """The service manager: its dispatcher runs ServiceMain on a thread of its own and, once
    the service is running (or stopped), plays the script's controls from its own thread."""

    def __init__(self, script: Script, *, refuse: str = "") -> None:
        super().__init__(refuse=refuse)
        self.script = script
        self.notifications: list[Any] = []

    def StartServiceCtrlDispatcherW(self, table: Any) -> int:
        self.calls.append(("StartServiceCtrlDispatcherW", table[0].lpServiceName))
        if self.refuse == "StartServiceCtrlDispatcherW":
            return 0
        assert table[1].lpServiceName is None  # the table ends with an empty entry
        # a daemon thread: a service that never reports RUNNING fails the test, not hangs it
        main = threading.Thread(target=table[0].lpServiceProc, args=(0, None), daemon=True)
        main.start()
        wait_for(lambda: bool(set(self.states()) & {4, 1}), "RUNNING or STOPPED")
        if service.SERVICE_RUNNING in self.states():
            self.script(self)
        main.join(WAIT_S)
        assert not main.is_alive(), "ServiceMain did not return"
        return 1

    def states(self) -> list[int]:
        return [status["dwCurrentState"] for status in self.statuses]

    def control(self, control: int, event_type: int = 0, session: int | None = None) -> int:
        """Send a control through the registered HandlerEx, as the SCM's thread does."""
        address = None
        if session is not None:
            notification = service.WTSSESSION_NOTIFICATION(
                cbSize=ctypes.sizeof(service.WTSSESSION_NOTIFICATION), dwSessionId=session
            )
            self.notifications.append(notification)  # alive while the handler reads it
            address = ctypes.addressof(notification)
        return int(self.handler(control, event_type, address, None))


@pytest.fixture
def agent(monkeypatch: pytest.MonkeyPatch) -> ServiceAgent:
    """The fake session layer serve() uses; no logind (the service has no Linux triggers)."""
    fake = ServiceAgent()
    monkeypatch.setattr("agent.session.service.SessionService", lambda settings: fake)

    async def no_os_triggers(settings: Any) -> list[Any]:
        return []

    monkeypatch.setattr(command, "_trigger_sources", no_os_triggers)
    return fake


def run_service(tmp_path: Path, scm: FakeScm, monkeypatch: pytest.MonkeyPatch) -> int:
    """Run `kioskguard run --windows-service --config FILE` with the fake SCM as advapi32."""
    config = tmp_path / "kioskguard.toml"
    config.write_text(
        "[general]\n"
        f"state_dir = '{tmp_path / 'state'}'\n"
        "[browser]\n"
        f"user_data_dir = '{tmp_path / 'profile'}'\n"
        "[idle]\nenabled = false\n"
        "[metrics]\nenabled = false\n"
        "[events]\non_browser_closed = false\n",
        encoding="utf-8",
    )
    monkeypatch.setattr(service, "native_advapi32", lambda: scm)
    arguments = argparse.Namespace(config=config, open_socket=None, windows_service=True)
    return command.run(arguments)


def stopped(scm: FakeScm) -> dict[str, int]:
    assert scm.states()[-1] == service.SERVICE_STOPPED
    return scm.statuses[-1]


def test_preshutdown_logs_out_for_shutdown_and_the_service_stops_cleanly(
    tmp_path: Path, agent: ServiceAgent, monkeypatch: pytest.MonkeyPatch
) -> None:
    def script(scm: FakeScm) -> None:
        assert scm.control(service.SERVICE_CONTROL_PRESHUTDOWN) == service.NO_ERROR

    scm = FakeScm(script)
    assert run_service(tmp_path, scm, monkeypatch) == 0
    assert [trigger for _, trigger, _ in agent.logouts] == [Trigger.SHUTDOWN]
    assert scm.calls[:2] == [
        ("StartServiceCtrlDispatcherW", "kioskguard"),
        ("RegisterServiceCtrlHandlerExW", "kioskguard"),
    ]
    assert scm.states() == [
        service.SERVICE_START_PENDING,
        service.SERVICE_RUNNING,
        service.SERVICE_STOP_PENDING,  # reported by the handler at PRESHUTDOWN
        service.SERVICE_STOPPED,
    ]
    assert scm.statuses[1]["dwControlsAccepted"] == service.ACCEPTED
    assert stopped(scm)["dwWin32ExitCode"] == service.NO_ERROR
    assert stopped(scm)["dwServiceSpecificExitCode"] == 0


def test_a_session_logoff_is_the_daemons_logoff_trigger(
    tmp_path: Path, agent: ServiceAgent, monkeypatch: pytest.MonkeyPatch
) -> None:
    def script(scm: FakeScm) -> None:
        control = service.SERVICE_CONTROL_SESSIONCHANGE
        assert scm.control(control, service.WTS_SESSION_LOGOFF, 2) == service.NO_ERROR
        wait_for(lambda: bool(agent.logouts), "the logoff's logout")
        assert scm.control(service.SERVICE_CONTROL_STOP) == service.NO_ERROR

    scm = FakeScm(script)
    assert run_service(tmp_path, scm, monkeypatch) == 0
    assert [trigger for _, trigger, _ in agent.logouts] == [Trigger.LOGOFF]
    assert stopped(scm)["dwWin32ExitCode"] == service.NO_ERROR


def test_serve_failing_stops_the_service_with_its_own_exit_code(
    tmp_path: Path, agent: ServiceAgent, monkeypatch: pytest.MonkeyPatch
) -> None:
    async def failing_serve(*arguments: Any) -> int:
        raise RuntimeError("the daemon broke")

    monkeypatch.setattr(command, "serve", failing_serve)
    scm = FakeScm(lambda scm: None)
    assert run_service(tmp_path, scm, monkeypatch) == 1
    assert scm.states() == [
        service.SERVICE_START_PENDING,
        service.SERVICE_STOP_PENDING,
        service.SERVICE_STOPPED,
    ]
    assert stopped(scm)["dwWin32ExitCode"] == service.ERROR_SERVICE_SPECIFIC_ERROR
    assert stopped(scm)["dwServiceSpecificExitCode"] == 1


def test_a_bad_configuration_stops_the_service_with_exit_code_2(
    tmp_path: Path, agent: ServiceAgent, monkeypatch: pytest.MonkeyPatch
) -> None:
    scm = FakeScm(lambda scm: None)
    monkeypatch.setattr(service, "native_advapi32", lambda: scm)
    config = tmp_path / "bad.toml"
    config.write_text("[idle]\nenabled = 'perhaps'\n", encoding="utf-8")
    arguments = argparse.Namespace(config=config, open_socket=None, windows_service=True)
    assert command.run(arguments) == 2
    assert stopped(scm)["dwWin32ExitCode"] == service.ERROR_SERVICE_SPECIFIC_ERROR
    assert stopped(scm)["dwServiceSpecificExitCode"] == 2


def test_a_stop_before_the_daemon_is_up_stops_the_first_daemon() -> None:
    advapi32 = FakeAdvapi32()
    loop = asyncio.new_event_loop()
    try:
        bridge = service.ServiceBridge(loop, service.StatusReporter(advapi32, 1))
        bridge.request_stop(Trigger.SHUTDOWN)
        daemon = FakeDaemon()
        bridge.attach(daemon)
    finally:
        loop.close()
    assert daemon.stops == [Trigger.SHUTDOWN]
    assert advapi32.statuses == []  # never reported RUNNING


def test_a_console_start_is_refused_clearly(monkeypatch: pytest.MonkeyPatch) -> None:
    scm = FakeScm(lambda scm: None, refuse="StartServiceCtrlDispatcherW")
    with pytest.raises(PlatformUnavailable, match="service manager to start"):
        service.dispatch(lambda bridge: 0, scm)


def test_off_windows_the_service_entry_says_it_needs_windows(
    capsys: pytest.CaptureFixture[str],
) -> None:
    from agent.cli import main

    assert main(["run", "--windows-service"]) == 1
    assert "the Windows service needs Windows" in capsys.readouterr().err


async def collected(source: Any) -> list[Trigger]:
    return [trigger async for trigger in source.events()]


async def test_after_a_reload_session_events_reach_the_new_daemon_only() -> None:
    loop = asyncio.get_running_loop()
    advapi32 = FakeAdvapi32()
    bridge = service.ServiceBridge(loop, service.StatusReporter(advapi32, 1))
    logged: list[str] = []
    sink = logger.add(logged.append, level="WARNING", format="{message}")
    first = bridge.trigger_sources()[0]
    bridge.attach(FakeDaemon())
    bridge.attach(None)  # the first daemon ended: a reload builds the next
    first.close()
    bridge.put_threadsafe(service.OsEvent.LOCK)  # between two daemons: logged, not acted on
    for _ in range(3):
        await asyncio.sleep(0)  # delivered now, while no daemon serves
    second = bridge.trigger_sources()[0]
    daemon = FakeDaemon()
    bridge.attach(daemon)
    bridge.put_threadsafe(service.OsEvent.LOGOFF)
    bridge.request_stop(Trigger.SIGNAL)
    bridge.put_threadsafe(None)
    try:
        assert await asyncio.wait_for(collected(second), WAIT_S) == [Trigger.LOGOFF]
        assert await asyncio.wait_for(collected(first), WAIT_S) == []
    finally:
        logger.remove(sink)
    assert [line for line in logged if "while no daemon serves" in line] != []
    assert daemon.stops == [Trigger.SIGNAL]
    assert [status["dwCurrentState"] for status in advapi32.statuses] == [
        service.SERVICE_RUNNING  # once, for the first daemon
    ]
