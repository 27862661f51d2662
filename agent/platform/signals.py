"""Process signals: the only module that installs signal handlers.

The daemon maps SIGTERM (systemd stop, shutdown), SIGINT (Ctrl-C) and SIGBREAK to stop and
SIGHUP to "reload the configuration", as for every service (agent/daemon/command.py).
"""

from __future__ import annotations

import asyncio
import functools
import signal
from collections.abc import Callable, Mapping
from types import FrameType
from typing import Any


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
