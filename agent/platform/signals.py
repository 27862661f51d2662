"""Process signals: the only module that installs signal handlers.

Every signal whose default action would end the process has a defined meaning here, so the
guard never dies silently (``SIGNAL_ACTIONS``, installed by SignalRouter.install):

- stop (log out every linked profile, then exit): SIGTERM, SIGINT, SIGBREAK (Windows);
- reload the configuration: SIGHUP;
- status: SIGUSR1 logs the guarded profiles, their linked state, the running logouts and the
  last outcomes;
- reopen: SIGUSR2 closes and reopens the audit file (after a rotation by another tool);
- ignored quietly (SIG_IGN): SIGPIPE (a closed pipe fails the write with EPIPE instead),
  SIGTTIN and SIGTTOU (a background process reading or writing its terminal), SIGXFSZ (a write
  past the file size limit fails with EFBIG and is counted like a full disk);
- logged and ignored: SIGALRM, SIGVTALRM, SIGPROF, SIGIO, SIGPWR, SIGSTKFLT, SIGXCPU, SIGTSTP and
  the real-time signals (a warning the first time each arrives, then at debug level).

Left to the operating system: SIGKILL and SIGSTOP (they cannot be caught), the faults that end
a broken process with a core dump (SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGABRT, SIGTRAP, SIGSYS,
SIGQUIT), and those whose default is harmless (SIGCHLD, SIGCONT, SIGURG, SIGWINCH).
"""

from __future__ import annotations

import asyncio
import functools
import signal
from collections.abc import Callable, Mapping
from types import FrameType
from typing import Any, Literal, Protocol

from loguru import logger

from agent.outcome import Trigger

Action = Literal["stop", "reload", "status", "reopen", "ignore", "log"]

SIGNAL_ACTIONS: dict[str, Action] = {
    "SIGTERM": "stop",
    "SIGINT": "stop",
    "SIGBREAK": "stop",
    "SIGHUP": "reload",
    "SIGUSR1": "status",
    "SIGUSR2": "reopen",
    "SIGPIPE": "ignore",
    "SIGTTIN": "ignore",
    "SIGTTOU": "ignore",
    "SIGXFSZ": "ignore",
    "SIGALRM": "log",
    "SIGVTALRM": "log",
    "SIGPROF": "log",
    "SIGIO": "log",
    "SIGPWR": "log",
    "SIGSTKFLT": "log",
    "SIGXCPU": "log",
    "SIGTSTP": "log",
}


def realtime_signals(signal_module: Any = signal) -> dict[str, int]:
    """Return the real-time signals by name ("SIGRTMIN+3"), empty where there are none."""
    low = getattr(signal_module, "SIGRTMIN", None)
    high = getattr(signal_module, "SIGRTMAX", None)
    if low is None or high is None:
        return {}
    return {f"SIGRTMIN+{number - low}": number for number in range(int(low), int(high) + 1)}


class Stoppable(Protocol):
    """What the router drives: the running daemon."""

    def request_stop(self, trigger: Trigger = ...) -> None: ...

    def request_reload(self) -> None: ...


class SignalRouter:
    """Routes signals to the Daemon that runs; one handler set for the whole process, so a
    stop that arrives while a reload swaps daemons is kept and handed to the next one."""

    def __init__(
        self,
        status: Callable[[], None] | None = None,
        reopen: Callable[[], None] | None = None,
    ) -> None:
        self.daemon: Stoppable | None = None
        self.stop_pending = False
        self.stop_signal: str | None = None  # the name of the signal that asked to stop
        self._status = status
        self._reopen = reopen
        self._seen: set[str] = set()

    def attach(self, daemon: Stoppable | None) -> None:
        self.daemon = daemon
        if daemon is not None and self.stop_pending:
            daemon.request_stop(Trigger.SIGNAL)

    def stop(self) -> None:
        self.stop_pending = True
        if self.daemon is not None:
            self.daemon.request_stop(Trigger.SIGNAL)

    def stop_by(self, name: str) -> None:
        """Stop, remembering which signal asked (the guard's stop record names it)."""
        self.stop_signal = name
        self.stop()

    def reload(self) -> None:
        if self.daemon is not None:
            self.daemon.request_reload()

    def status(self) -> None:
        logger.info("SIGUSR1: status")
        if self._status is not None:
            self._status()

    def reopen(self) -> None:
        logger.info("SIGUSR2: reopening the audit file")
        if self._reopen is not None:
            self._reopen()

    def unused(self, name: str) -> None:
        """Log a signal that has no use here: a warning the first time, then at debug level."""
        message = f"{name} received: ignored (kioskguard gives it no use)"
        if name in self._seen:
            logger.debug(message)
        else:
            logger.warning(message)
        self._seen.add(name)

    def install(
        self, *, loop: asyncio.AbstractEventLoop | None = None, signal_module: Any = signal
    ) -> Callable[[], None]:
        """Install SIGNAL_ACTIONS (and the real-time signals, logged) on the running loop;
        return the function restoring the previous handlers. Call from the main thread."""
        handlers: dict[str, Callable[[], None]] = {}
        ignored: list[str] = []
        for name, action in SIGNAL_ACTIONS.items():
            if action == "ignore":
                ignored.append(name)
            elif action == "log":
                handlers[name] = functools.partial(self.unused, name)
            elif action == "stop":
                handlers[name] = functools.partial(self.stop_by, name)
            else:
                handlers[name] = getattr(self, action)
        remove_handlers = install_handlers(handlers, loop=loop, signal_module=signal_module)
        remove_realtime = install_handlers(
            {
                name: functools.partial(self.unused, name)
                for name in realtime_signals(signal_module)
            },
            loop=loop,
            signal_module=_ByNumber(realtime_signals(signal_module), signal_module),
        )
        restore_ignored = ignore(ignored, signal_module=signal_module)

        def remove() -> None:
            remove_handlers()
            remove_realtime()
            restore_ignored()

        return remove


class _ByNumber:
    """A signal module view whose attributes are the real-time signals' names."""

    def __init__(self, numbers: Mapping[str, int], signal_module: Any) -> None:
        self._numbers = numbers
        self._module = signal_module

    def __getattr__(self, name: str) -> Any:
        if name in self._numbers:
            return self._numbers[name]
        return getattr(self._module, name)


def ignore(names: list[str], *, signal_module: Any = signal) -> Callable[[], None]:
    """Set each named signal the platform has to SIG_IGN; return the function restoring them."""
    previous: list[tuple[int, Any]] = []
    for name in names:
        number = getattr(signal_module, name, None)
        if number is None:
            continue
        previous.append((number, signal_module.signal(number, signal_module.SIG_IGN)))

    def restore() -> None:
        for number, handler in previous:
            signal_module.signal(number, handler)

    return restore


def install_handlers(
    handlers: Mapping[str, Callable[[], None]],
    *,
    loop: asyncio.AbstractEventLoop | None = None,
    signal_module: Any = signal,
) -> Callable[[], None]:
    """Given callbacks by signal name, run each on the loop when its signal arrives.

    Names the platform lacks are skipped (Windows has no SIGHUP, POSIX no SIGBREAK). Where the
    loop cannot watch signals (Windows' Proactor loop raises NotImplementedError), a
    signal.signal handler hands the callback to the loop thread-safely. Return a function
    restoring the previous handlers. Call from the main thread.
    """
    loop = loop or asyncio.get_running_loop()
    undo: list[Callable[[], object]] = []
    for name, callback in handlers.items():
        number = getattr(signal_module, name, None)
        if number is None:
            continue
        try:
            loop.add_signal_handler(number, callback)
        except NotImplementedError:
            previous = signal_module.getsignal(number)

            def handler(
                _number: int, _frame: FrameType | None, callback: Callable[[], None] = callback
            ) -> None:
                loop.call_soon_threadsafe(callback)

            signal_module.signal(number, handler)
            undo.append(functools.partial(signal_module.signal, number, previous))
        else:
            undo.append(functools.partial(loop.remove_signal_handler, number))

    def remove() -> None:
        for step in undo:
            step()

    return remove
