"""Windows service side: the Service Control Manager's controls and session notifications.

The only module that talks to the SCM (advapi32). As a service (issue 20's guarded mode on
Windows) the guard runs under its own account, out of the visitor's reach, and hears from the
SCM instead of from a window in the visitor's session:

- SERVICE_CONTROL_SESSIONCHANGE with WTS_SESSION_LOGOFF, WTS_SESSION_LOCK, WTS_SESSION_UNLOCK:
  the OsEvents LOGOFF, LOCK and UNLOCK (agent.platform.triggers maps them to the daemon's
  ``logoff`` and ``lock`` triggers; UNLOCK calls for none). WTS_SESSION_LOGON has no trigger in
  the daemon's registry: it is logged, and ``on_logon`` (if given) is called in the loop.
- SERVICE_CONTROL_PRESHUTDOWN: report SERVICE_STOP_PENDING and ask the daemon to stop with
  trigger ``shutdown`` (its final logout starts at once, bounded by logout.shutdown_deadline_s);
  the SCM waits until the service reports SERVICE_STOPPED or the preshutdown timeout ends.
- SERVICE_CONTROL_STOP (an administrator; the visitor is not allowed to send it): the same stop
  with trigger ``signal``, as SIGTERM on Linux. SERVICE_CONTROL_INTERROGATE: NO_ERROR.

The service entry (``kioskguard run --windows-service``): dispatch() hands the process to the
SCM (StartServiceCtrlDispatcherW), whose ServiceMain (service_main) registers the handler,
reports SERVICE_START_PENDING, runs the daemon in its own event loop (SERVICE_RUNNING once the
first daemon is attached, with the controls above accepted) and reports SERVICE_STOPPED when it
returns: exit code 0 as NO_ERROR, any other (or an exception: 2 for a configuration error, 1
else) as ERROR_SERVICE_SPECIFIC_ERROR with that service-specific code. ServiceBridge stands
between the SCM's thread and the daemon of the moment (a reload builds a new one).

Every advapi32 call goes through the object given (the DLL on Windows, a fake in the tests):
these are faked-call tests, not verified on a Windows machine; see docs/install-windows.md.
"""

from __future__ import annotations

import asyncio
import ctypes
import sys
from collections.abc import AsyncIterator, Callable, Coroutine, Mapping
from typing import Any, Protocol

from loguru import logger

from agent.errors import ConfigError, PlatformUnavailable
from agent.outcome import Trigger
from agent.platform.base import OsEvent
from agent.platform.triggers import OsTriggerSource

# Control codes and accepted controls (winsvc.h, LPHANDLER_FUNCTION_EX).
SERVICE_CONTROL_STOP = 0x01
SERVICE_CONTROL_INTERROGATE = 0x04
SERVICE_CONTROL_SESSIONCHANGE = 0x0E
SERVICE_CONTROL_PRESHUTDOWN = 0x0F
SERVICE_ACCEPT_STOP = 0x01
SERVICE_ACCEPT_SESSIONCHANGE = 0x80
SERVICE_ACCEPT_PRESHUTDOWN = 0x100
ACCEPTED = SERVICE_ACCEPT_STOP | SERVICE_ACCEPT_SESSIONCHANGE | SERVICE_ACCEPT_PRESHUTDOWN
# SERVICE_STATUS.dwCurrentState, dwServiceType
SERVICE_STOPPED = 1
SERVICE_START_PENDING = 2
SERVICE_STOP_PENDING = 3
SERVICE_RUNNING = 4
SERVICE_WIN32_OWN_PROCESS = 0x10
# WM_WTSSESSION_CHANGE / SERVICE_CONTROL_SESSIONCHANGE event types (wtsapi32.h)
WTS_SESSION_LOGON = 0x5
WTS_SESSION_LOGOFF = 0x6
WTS_SESSION_LOCK = 0x7
WTS_SESSION_UNLOCK = 0x8
NO_ERROR = 0
ERROR_CALL_NOT_IMPLEMENTED = 120
ERROR_SERVICE_SPECIFIC_ERROR = 1066
START_WAIT_HINT_MS = 30000  # settings, locks and logging before the first daemon is attached
# ChangeServiceConfig2W
SC_MANAGER_CONNECT = 0x0001
SERVICE_CHANGE_CONFIG = 0x0002
SERVICE_CONFIG_PRESHUTDOWN_INFO = 7

SESSION_EVENTS: Mapping[int, OsEvent] = {
    WTS_SESSION_LOGOFF: OsEvent.LOGOFF,
    WTS_SESSION_LOCK: OsEvent.LOCK,
    WTS_SESSION_UNLOCK: OsEvent.UNLOCK,
}
STOP_TRIGGERS: Mapping[int, Trigger] = {
    SERVICE_CONTROL_PRESHUTDOWN: Trigger.SHUTDOWN,
    SERVICE_CONTROL_STOP: Trigger.SIGNAL,
}


class SERVICE_STATUS(ctypes.Structure):
    _fields_ = [
        ("dwServiceType", ctypes.c_uint32),
        ("dwCurrentState", ctypes.c_uint32),
        ("dwControlsAccepted", ctypes.c_uint32),
        ("dwWin32ExitCode", ctypes.c_uint32),
        ("dwServiceSpecificExitCode", ctypes.c_uint32),
        ("dwCheckPoint", ctypes.c_uint32),
        ("dwWaitHint", ctypes.c_uint32),
    ]


class WTSSESSION_NOTIFICATION(ctypes.Structure):
    _fields_ = [("cbSize", ctypes.c_uint32), ("dwSessionId", ctypes.c_uint32)]


class SERVICE_PRESHUTDOWN_INFO(ctypes.Structure):
    _fields_ = [("dwPreshutdownTimeout", ctypes.c_uint32)]


_callback_factory: Any = getattr(ctypes, "WINFUNCTYPE", ctypes.CFUNCTYPE)
HANDLER_FUNCTION_EX = _callback_factory(
    ctypes.c_uint32, ctypes.c_uint32, ctypes.c_uint32, ctypes.c_void_p, ctypes.c_void_p
)
SERVICE_MAIN_FUNCTION = _callback_factory(None, ctypes.c_uint32, ctypes.c_void_p)


class SERVICE_TABLE_ENTRYW(ctypes.Structure):
    _fields_ = [("lpServiceName", ctypes.c_wchar_p), ("lpServiceProc", SERVICE_MAIN_FUNCTION)]


def native_advapi32() -> Any:
    """Return advapi32 with the signatures this module uses. Raise PlatformUnavailable off
    Windows."""
    if sys.platform != "win32":
        raise PlatformUnavailable(f"the Windows service needs Windows, not {sys.platform}")
    advapi32 = ctypes.WinDLL("advapi32", use_last_error=True)  # type: ignore[attr-defined,unused-ignore]
    handle, pointer = ctypes.c_void_p, ctypes.c_void_p
    advapi32.RegisterServiceCtrlHandlerExW.restype = handle
    advapi32.RegisterServiceCtrlHandlerExW.argtypes = [
        ctypes.c_wchar_p,
        HANDLER_FUNCTION_EX,
        pointer,
    ]
    advapi32.SetServiceStatus.restype = ctypes.c_int
    advapi32.SetServiceStatus.argtypes = [handle, pointer]
    advapi32.OpenSCManagerW.restype = handle
    advapi32.OpenSCManagerW.argtypes = [ctypes.c_wchar_p, ctypes.c_wchar_p, ctypes.c_uint32]
    advapi32.OpenServiceW.restype = handle
    advapi32.OpenServiceW.argtypes = [handle, ctypes.c_wchar_p, ctypes.c_uint32]
    advapi32.ChangeServiceConfig2W.restype = ctypes.c_int
    advapi32.ChangeServiceConfig2W.argtypes = [handle, ctypes.c_uint32, pointer]
    advapi32.CloseServiceHandle.restype = ctypes.c_int
    advapi32.CloseServiceHandle.argtypes = [handle]
    advapi32.StartServiceCtrlDispatcherW.restype = ctypes.c_int
    advapi32.StartServiceCtrlDispatcherW.argtypes = [pointer]
    return advapi32


class StatusReporter:
    """Tells the SCM the service's state (SetServiceStatus), with a check point while pending."""

    def __init__(self, advapi32: Any, handle: int) -> None:
        self.advapi32 = advapi32
        self.handle = handle
        self._check_point = 0

    def report(self, state: int, wait_hint_ms: int = 0, specific_exit: int = 0) -> None:
        """Given a state (and, stopping, the service's own non-zero exit code), report it:
        controls are accepted only while running, and a pending state counts its check point
        up. Raise OSError if the SCM refuses it."""
        pending = state in (SERVICE_START_PENDING, SERVICE_STOP_PENDING)
        self._check_point = self._check_point + 1 if pending else 0
        status = SERVICE_STATUS(
            dwServiceType=SERVICE_WIN32_OWN_PROCESS,
            dwCurrentState=state,
            dwControlsAccepted=ACCEPTED if state == SERVICE_RUNNING else 0,
            dwWin32ExitCode=ERROR_SERVICE_SPECIFIC_ERROR if specific_exit else NO_ERROR,
            dwServiceSpecificExitCode=specific_exit,
            dwCheckPoint=self._check_point,
            dwWaitHint=wait_hint_ms if pending else 0,
        )
        if not self.advapi32.SetServiceStatus(self.handle, ctypes.byref(status)):
            raise OSError(f"SetServiceStatus({state}) failed")


class SessionEventSource:
    """The session notifications as an EventSource: filled from the SCM's handler thread."""

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self._loop = loop
        self._queue: asyncio.Queue[OsEvent | None] = asyncio.Queue()

    def put_threadsafe(self, event: OsEvent | None) -> None:
        """Given an event (None: the end), queue it from any thread."""
        self._loop.call_soon_threadsafe(self._queue.put_nowait, event)

    def close(self) -> None:
        """End the stream (from any thread)."""
        self.put_threadsafe(None)

    async def events(self) -> AsyncIterator[OsEvent]:
        """Yield each session event as the SCM reports it, until close()."""
        while (event := await self._queue.get()) is not None:
            yield event


class EventSink(Protocol):
    def put_threadsafe(self, event: OsEvent | None) -> None:
        """Given a session event, queue it from any thread."""
        ...


class ServiceControlHandler:
    """HandlerEx's logic: SCM controls turned into daemon stops and session events.

    Runs on the SCM's dispatcher thread, so it only hands work to the loop and returns at once.
    """

    def __init__(
        self,
        loop: asyncio.AbstractEventLoop,
        daemon: Any,
        reporter: StatusReporter,
        events: EventSink,
        stop_wait_hint_ms: int,
        on_logon: Callable[[int], None] | None = None,
    ) -> None:
        self.loop = loop
        self.daemon = daemon
        self.reporter = reporter
        self.events = events
        self.stop_wait_hint_ms = stop_wait_hint_ms
        self.on_logon = on_logon

    def handle(self, control: int, event_type: int, session_id: int | None) -> int:
        """Given a control, its event type and the session it concerns, act on it; return
        the Win32 answer (NO_ERROR, or ERROR_CALL_NOT_IMPLEMENTED for a control not taken)."""
        if control == SERVICE_CONTROL_INTERROGATE:
            return NO_ERROR
        trigger = STOP_TRIGGERS.get(control)
        if trigger is not None:
            self.reporter.report(SERVICE_STOP_PENDING, self.stop_wait_hint_ms)
            logger.info("the service manager stops the guard ({}): logging out", trigger.value)
            self.loop.call_soon_threadsafe(self.daemon.request_stop, trigger)
            return NO_ERROR
        if control != SERVICE_CONTROL_SESSIONCHANGE:
            return ERROR_CALL_NOT_IMPLEMENTED
        event = SESSION_EVENTS.get(event_type)
        if event is not None:
            logger.info("Windows session {}: {}", session_id, event.value)
            self.events.put_threadsafe(event)
        elif event_type == WTS_SESSION_LOGON:
            logger.info("Windows session {}: logon", session_id)
            if self.on_logon is not None and session_id is not None:
                self.loop.call_soon_threadsafe(self.on_logon, session_id)
        return NO_ERROR


def register_handler(name: str, handler: ServiceControlHandler, advapi32: Any) -> tuple[int, Any]:
    """Given the service's name and the handler, register it with the SCM (from ServiceMain).

    Return (the status handle, the ctypes callback, which must be kept alive as long as the
    service runs). Raise OSError if the SCM refuses.
    """

    def handler_ex(control: int, event_type: int, event_data: int | None, _context: Any) -> int:
        session_id = None
        if control == SERVICE_CONTROL_SESSIONCHANGE and event_data:
            session_id = int(WTSSESSION_NOTIFICATION.from_address(event_data).dwSessionId)
        try:
            return handler.handle(control, event_type, session_id)
        except Exception as exc:  # never let an exception cross into the SCM's dispatcher
            logger.opt(exception=exc).error("service control handler failed")
            return NO_ERROR

    callback = HANDLER_FUNCTION_EX(handler_ex)
    handle = advapi32.RegisterServiceCtrlHandlerExW(name, callback, None)
    if not handle:
        raise OSError(f"RegisterServiceCtrlHandlerExW({name}) failed")
    return int(handle), callback


def set_preshutdown_timeout(name: str, timeout_ms: int, advapi32: Any) -> None:
    """Given the service's name and a time in milliseconds, set how long the SCM waits after
    SERVICE_CONTROL_PRESHUTDOWN (ChangeServiceConfig2W, SERVICE_CONFIG_PRESHUTDOWN_INFO; the
    default is 10 s since Windows 10 1703). Raise OSError if a call fails (needs an
    administrator)."""
    manager = advapi32.OpenSCManagerW(None, None, SC_MANAGER_CONNECT)
    if not manager:
        raise OSError("OpenSCManagerW failed")
    try:
        service = advapi32.OpenServiceW(manager, name, SERVICE_CHANGE_CONFIG)
        if not service:
            raise OSError(f"OpenServiceW({name}) failed")
        try:
            info = SERVICE_PRESHUTDOWN_INFO(dwPreshutdownTimeout=timeout_ms)
            if not advapi32.ChangeServiceConfig2W(
                service, SERVICE_CONFIG_PRESHUTDOWN_INFO, ctypes.byref(info)
            ):
                raise OSError("ChangeServiceConfig2W(SERVICE_CONFIG_PRESHUTDOWN_INFO) failed")
        finally:
            advapi32.CloseServiceHandle(service)
    finally:
        advapi32.CloseServiceHandle(manager)


SERVICE_NAME = "kioskguard"
STOP_WAIT_HINT_MS = 30000  # the final logout (logout.shutdown_deadline_s) and the audit line
ServiceBody = Callable[["ServiceBridge"], int]


class ServiceBridge:
    """Between the SCM's handler thread and the daemon of the moment, in the service's loop.

    It is the handler's daemon and event sink: a stop (PRESHUTDOWN, STOP) is kept, so a daemon
    attached later (the first one, or one a reload builds) stops at once too; session events
    go to the current daemon's source (one arriving between two daemons is logged and lost).
    """

    def __init__(self, loop: asyncio.AbstractEventLoop, reporter: StatusReporter) -> None:
        self.loop = loop
        self.reporter = reporter
        self.stop: Trigger | None = None
        self._daemon: Any = None
        self._source: SessionEventSource | None = None
        self._running = False

    def run(self, work: Coroutine[Any, Any, int]) -> int:
        """Given the daemon's serve(), run it in the service's loop; return its exit code."""
        return self.loop.run_until_complete(work)

    def trigger_sources(self) -> list[OsTriggerSource]:
        """Return the session events' trigger source for the daemon being built."""
        source = SessionEventSource(self.loop)
        self._source = source
        return [OsTriggerSource("windows-service", source, on_close=source.close)]

    def attach(self, daemon: Any) -> None:
        """Given the daemon now serving (None: it ended), send it the SCM's stops; the first
        daemon makes the service SERVICE_RUNNING (unless a stop came first). In the loop."""
        self._daemon = daemon
        if daemon is None:
            self._source = None
        elif self.stop is not None:
            daemon.request_stop(self.stop)
        elif not self._running:
            self._running = True
            self.reporter.report(SERVICE_RUNNING)

    def request_stop(self, trigger: Trigger) -> None:
        """Given the stop's trigger, stop the daemon now and any attached later. In the loop."""
        self.stop = trigger
        if self._daemon is not None:
            self._daemon.request_stop(trigger)

    def put_threadsafe(self, event: OsEvent | None) -> None:
        """Given a session event, hand it to the current daemon's source (from any thread)."""
        self.loop.call_soon_threadsafe(self._deliver, event)

    def _deliver(self, event: OsEvent | None) -> None:
        if self._source is None:
            logger.warning("Windows session event {} while no daemon serves: not acted on", event)
        else:
            self._source.put_threadsafe(event)


def service_main(name: str, body: ServiceBody, advapi32: Any) -> int:
    """ServiceMain: given the service's name and its body (the daemon, run through the bridge
    it is given), register the control handler, report SERVICE_START_PENDING, run the body in
    a new event loop, report SERVICE_STOP_PENDING while the loop closes and SERVICE_STOPPED
    with its exit code. Return that code (2 for a ConfigError, 1 for any other exception).
    Raise OSError if the SCM refuses the handler or a status."""
    loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)
    reporter = StatusReporter(advapi32, 0)
    bridge = ServiceBridge(loop, reporter)
    handler = ServiceControlHandler(loop, bridge, reporter, bridge, STOP_WAIT_HINT_MS)
    try:
        reporter.handle, callback = register_handler(name, handler, advapi32)
        reporter.report(SERVICE_START_PENDING, START_WAIT_HINT_MS)
        code = _exit_code(body, bridge)
        if bridge.stop is None:  # the SCM's stop already reported it
            reporter.report(SERVICE_STOP_PENDING, STOP_WAIT_HINT_MS)
    finally:
        _close_loop(loop)
    reporter.report(SERVICE_STOPPED, specific_exit=code)
    del callback  # the SCM may call it until SERVICE_STOPPED is reported
    return code


def _exit_code(body: ServiceBody, bridge: ServiceBridge) -> int:
    """Given the body, run it; return its exit code, or 2/1 for an exception (logged)."""
    try:
        return body(bridge)
    except ConfigError as exc:
        logger.error("the service cannot run: {}", exc)
        return 2
    except Exception as exc:  # the SCM gets an exit code, the log the reason
        logger.opt(exception=exc).error("the service failed")
        return 1


def _close_loop(loop: asyncio.AbstractEventLoop) -> None:
    """Given the service's loop, cancel what still runs in it and close it (as asyncio.run)."""
    try:
        pending = asyncio.all_tasks(loop)
        for task in pending:
            task.cancel()
        loop.run_until_complete(asyncio.gather(*pending, return_exceptions=True))
        loop.run_until_complete(loop.shutdown_asyncgens())
        loop.run_until_complete(loop.shutdown_default_executor())
    finally:
        asyncio.set_event_loop(None)
        loop.close()


def dispatch(body: ServiceBody, advapi32: Any, name: str = SERVICE_NAME) -> int:
    """Given the service's body, hand this thread to the SCM (StartServiceCtrlDispatcherW),
    whose ServiceMain runs it (service_main); return its exit code once the SCM lets the
    dispatcher go. Raise PlatformUnavailable if the process was not started by the SCM."""
    codes: list[int] = []

    def main(_argc: int, _argv: int | None) -> None:
        try:
            codes.append(service_main(name, body, advapi32))
        except Exception as exc:  # nothing may cross into the SCM's thread
            logger.opt(exception=exc).error("ServiceMain failed")
            codes.append(1)

    entry = SERVICE_MAIN_FUNCTION(main)
    table = (SERVICE_TABLE_ENTRYW * 2)()
    table[0] = SERVICE_TABLE_ENTRYW(name, entry)  # the second entry, all zero, ends the table
    if not advapi32.StartServiceCtrlDispatcherW(table):
        raise PlatformUnavailable(
            "StartServiceCtrlDispatcherW failed: `run --windows-service` is for the service"
            f" manager to start (sc.exe start {name}); on a console use `kioskguard run`"
        )
    return codes[0] if codes else 1
