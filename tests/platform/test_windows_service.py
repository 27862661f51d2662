"""The Windows service's control handler with every advapi32 call faked (no Windows machine):
SCM controls and session notifications become the daemon's stops and triggers."""

from __future__ import annotations

import asyncio
import ctypes
from typing import Any

import pytest

from agent.outcome import Trigger
from agent.platform import windows_service as service
from agent.platform.triggers import OsTriggerSource

STATUS_HANDLE = 0x5151


class FakeAdvapi32:
    """Records SetServiceStatus, the registered HandlerEx and the preshutdown configuration."""

    def __init__(self, *, refuse: str = "") -> None:
        self.statuses: list[dict[str, int]] = []
        self.calls: list[tuple[Any, ...]] = []
        self.handler: Any = None
        self.refuse = refuse

    def SetServiceStatus(self, handle: int, reference: Any) -> int:
        status = ctypes.cast(reference, ctypes.POINTER(service.SERVICE_STATUS)).contents
        self.statuses.append({name: getattr(status, name) for name, _ in status._fields_})
        return 1

    def RegisterServiceCtrlHandlerExW(self, name: str, callback: Any, context: Any) -> int:
        self.handler = callback
        self.calls.append(("RegisterServiceCtrlHandlerExW", name))
        return STATUS_HANDLE

    def OpenSCManagerW(self, machine: Any, database: Any, access: int) -> int:
        self.calls.append(("OpenSCManagerW", access))
        return 0 if self.refuse == "OpenSCManagerW" else 1

    def OpenServiceW(self, manager: int, name: str, access: int) -> int:
        self.calls.append(("OpenServiceW", name, access))
        return 2

    def ChangeServiceConfig2W(self, handle: int, level: int, reference: Any) -> int:
        info = ctypes.cast(reference, ctypes.POINTER(service.SERVICE_PRESHUTDOWN_INFO)).contents
        self.calls.append(("ChangeServiceConfig2W", handle, level, info.dwPreshutdownTimeout))
        return 0 if self.refuse == "ChangeServiceConfig2W" else 1

    def CloseServiceHandle(self, handle: int) -> int:
        self.calls.append(("CloseServiceHandle", handle))
        return 1


class FakeDaemon:
    def __init__(self) -> None:
        self.stops: list[Trigger] = []

    def request_stop(self, trigger: Trigger = Trigger.SIGNAL) -> None:
        self.stops.append(trigger)


class Service:
    """A handler wired to fakes, on the running loop."""

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self.advapi32 = FakeAdvapi32()
        self.daemon = FakeDaemon()
        self.events = service.SessionEventSource(loop)
        self.logons: list[int] = []
        self.handler = service.ServiceControlHandler(
            loop,
            self.daemon,
            service.StatusReporter(self.advapi32, STATUS_HANDLE),
            self.events,
            stop_wait_hint_ms=7000,
            on_logon=self.logons.append,
        )


async def settle() -> None:
    for _ in range(3):
        await asyncio.sleep(0)


async def test_preshutdown_reports_stop_pending_and_stops_the_daemon_for_shutdown() -> None:
    fake = Service(asyncio.get_running_loop())
    assert fake.handler.handle(service.SERVICE_CONTROL_PRESHUTDOWN, 0, None) == service.NO_ERROR
    await settle()
    assert fake.daemon.stops == [Trigger.SHUTDOWN]
    assert fake.advapi32.statuses == [
        {
            "dwServiceType": service.SERVICE_WIN32_OWN_PROCESS,
            "dwCurrentState": service.SERVICE_STOP_PENDING,
            "dwControlsAccepted": 0,
            "dwWin32ExitCode": 0,
            "dwServiceSpecificExitCode": 0,
            "dwCheckPoint": 1,
            "dwWaitHint": 7000,
        }
    ]


async def test_an_administrators_stop_stops_the_daemon_as_a_signal_does() -> None:
    fake = Service(asyncio.get_running_loop())
    assert fake.handler.handle(service.SERVICE_CONTROL_STOP, 0, None) == service.NO_ERROR
    await settle()
    assert fake.daemon.stops == [Trigger.SIGNAL]


async def test_session_changes_become_the_daemons_logoff_and_lock_triggers() -> None:
    fake = Service(asyncio.get_running_loop())
    triggers = OsTriggerSource("windows-service", fake.events)
    for event_type in (
        service.WTS_SESSION_LOCK,
        service.WTS_SESSION_UNLOCK,
        service.WTS_SESSION_LOGOFF,
    ):
        answer = fake.handler.handle(service.SERVICE_CONTROL_SESSIONCHANGE, event_type, 2)
        assert answer == service.NO_ERROR
    fake.events.close()
    seen = [trigger async for trigger in triggers.events()]
    assert seen == [Trigger.LOCK, Trigger.LOGOFF]  # unlock calls for no logout
    assert fake.daemon.stops == []


async def test_a_logon_is_reported_with_its_session_and_triggers_nothing() -> None:
    fake = Service(asyncio.get_running_loop())
    assert (
        fake.handler.handle(service.SERVICE_CONTROL_SESSIONCHANGE, service.WTS_SESSION_LOGON, 3)
        == service.NO_ERROR
    )
    fake.events.close()
    await settle()
    assert fake.logons == [3]
    assert [event async for event in fake.events.events()] == []


async def test_interrogate_answers_and_other_controls_are_not_taken() -> None:
    fake = Service(asyncio.get_running_loop())
    assert fake.handler.handle(service.SERVICE_CONTROL_INTERROGATE, 0, None) == service.NO_ERROR
    pause = 0x02
    assert fake.handler.handle(pause, 0, None) == service.ERROR_CALL_NOT_IMPLEMENTED
    await settle()
    assert fake.daemon.stops == []
    assert fake.advapi32.statuses == []


async def test_the_registered_callback_reads_the_session_from_the_notification() -> None:
    fake = Service(asyncio.get_running_loop())
    handle, callback = service.register_handler("kioskguard", fake.handler, fake.advapi32)
    assert handle == STATUS_HANDLE
    assert fake.advapi32.calls == [("RegisterServiceCtrlHandlerExW", "kioskguard")]
    notification = service.WTSSESSION_NOTIFICATION(
        cbSize=ctypes.sizeof(service.WTSSESSION_NOTIFICATION), dwSessionId=5
    )
    address = ctypes.addressof(notification)
    # through the ctypes callback, as the SCM's dispatcher thread calls it
    assert (
        callback(service.SERVICE_CONTROL_SESSIONCHANGE, service.WTS_SESSION_LOGON, address, None)
        == service.NO_ERROR
    )
    await settle()
    assert fake.logons == [5]


def test_running_accepts_stop_preshutdown_and_session_changes_only() -> None:
    advapi32 = FakeAdvapi32()
    reporter = service.StatusReporter(advapi32, STATUS_HANDLE)
    reporter.report(service.SERVICE_START_PENDING, 3000)
    reporter.report(service.SERVICE_RUNNING)
    reporter.report(service.SERVICE_STOPPED)
    states = [
        (status["dwCurrentState"], status["dwControlsAccepted"], status["dwCheckPoint"])
        for status in advapi32.statuses
    ]
    accepted = 0x01 | 0x80 | 0x100  # STOP, SESSIONCHANGE, PRESHUTDOWN; never SHUTDOWN or PAUSE
    assert states == [
        (service.SERVICE_START_PENDING, 0, 1),
        (service.SERVICE_RUNNING, accepted, 0),
        (service.SERVICE_STOPPED, 0, 0),
    ]


def test_the_preshutdown_timeout_is_set_through_the_service_manager() -> None:
    advapi32 = FakeAdvapi32()
    service.set_preshutdown_timeout("kioskguard", 7000, advapi32)
    assert advapi32.calls == [
        ("OpenSCManagerW", service.SC_MANAGER_CONNECT),
        ("OpenServiceW", "kioskguard", service.SERVICE_CHANGE_CONFIG),
        ("ChangeServiceConfig2W", 2, service.SERVICE_CONFIG_PRESHUTDOWN_INFO, 7000),
        ("CloseServiceHandle", 2),
        ("CloseServiceHandle", 1),
    ]


def test_a_refused_preshutdown_timeout_raises_and_closes_the_handles() -> None:
    advapi32 = FakeAdvapi32(refuse="ChangeServiceConfig2W")
    with pytest.raises(OSError, match="PRESHUTDOWN_INFO"):
        service.set_preshutdown_timeout("kioskguard", 7000, advapi32)
    assert advapi32.calls[-2:] == [("CloseServiceHandle", 2), ("CloseServiceHandle", 1)]
    with pytest.raises(OSError, match="OpenSCManagerW"):
        service.set_preshutdown_timeout("kioskguard", 7000, FakeAdvapi32(refuse="OpenSCManagerW"))
