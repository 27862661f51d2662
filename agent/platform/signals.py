"""Process signals (SIGTERM, SIGINT, SIGHUP) as an OsEvent stream.

The only module that installs signal handlers. SIGTERM (systemd stop, shutdown) and SIGINT
(Ctrl-C) mean SHUTDOWN; SIGHUP (the controlling terminal or session went away) means LOGOFF.
The daemon itself uses install_handlers (where SIGHUP means "reload the configuration", as
for every service); SignalEventSource is the event-stream form for other consumers.
"""

from __future__ import annotations

import asyncio
import functools
import signal
import sys
from collections.abc import AsyncIterator, Callable, Iterable, Mapping
from types import FrameType
from typing import Any

from agent.platform.base import OsEvent

EVENT_BY_SIGNAL: dict[str, OsEvent] = {
    "SIGTERM": OsEvent.SHUTDOWN,
    "SIGINT": OsEvent.SHUTDOWN,
    "SIGHUP": OsEvent.LOGOFF,
}


def available_signals(names: Iterable[str] = EVENT_BY_SIGNAL) -> list[signal.Signals]:
    """Return the signals among names that this platform has (Windows lacks SIGHUP)."""
    return [signal.Signals[name] for name in names if hasattr(signal, name)]


class SignalEventSource:
    """Turns termination signals into OsEvents; restores the previous handlers on close()."""

    def __init__(self, signals: Iterable[signal.Signals] | None = None) -> None:
        self.signals = list(available_signals() if signals is None else signals)
        self.received: list[signal.Signals] = []
        self._queue: asyncio.Queue[OsEvent | None] = asyncio.Queue()
        self._previous: dict[signal.Signals, object] = {}
        self._loop: asyncio.AbstractEventLoop | None = None
        self._closed = False

    def install(self) -> None:
        """Install the handlers on the running loop (idempotent). Call from the main thread."""
        if self._loop is not None or self._closed:
            return
        self._loop = asyncio.get_running_loop()
        for number in self.signals:
            self._previous[number] = signal.getsignal(number)
            if sys.platform == "win32":  # no add_signal_handler on the Proactor loop
                signal.signal(number, self._on_signal_threadsafe)
            else:
                self._loop.add_signal_handler(number, self._on_signal, number)

    def _on_signal(self, number: signal.Signals) -> None:
        self.received.append(number)
        self._queue.put_nowait(EVENT_BY_SIGNAL[number.name])

    def _on_signal_threadsafe(self, number: int, frame: FrameType | None) -> None:
        if self._loop is not None:
            self._loop.call_soon_threadsafe(self._on_signal, signal.Signals(number))

    async def events(self) -> AsyncIterator[OsEvent]:
        """Yield an event for each signal received, until close()."""
        self.install()
        while (event := await self._queue.get()) is not None:
            yield event

    def close(self) -> None:
        """Restore the previous handlers and end the stream (for good). Idempotent."""
        if self._closed:
            return
        self._closed = True
        self._queue.put_nowait(None)
        if self._loop is None:
            return
        for number, previous in self._previous.items():
            if sys.platform != "win32":
                self._loop.remove_signal_handler(number)
            signal.signal(number, previous)  # type: ignore[arg-type]
        self._previous.clear()
        self._loop = None


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
