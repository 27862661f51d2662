"""Start a browser with a DevTools port on 127.0.0.1 (Chromium picks it) where posix_spawn is
missing (Windows): the cold path's second way in, through the OS's subprocess API.

The port is found in the profile's DevToolsActivePort, which is removed first so that a file
left by an earlier browser is never read. Unlike the pipe (agent.browser.spawn), a port can be
reached by another local program while the logout runs; that is why the pipe is used wherever
it exists.
"""

from __future__ import annotations

import asyncio
import contextlib
import subprocess
import sys
import time
from collections.abc import Sequence
from pathlib import Path

from agent.errors import DriverError

PORT_ARGS = ("--remote-debugging-port=0", "--remote-debugging-address=127.0.0.1")
_POLL_S = 0.05


class PortProcess:
    """A browser process we started with a DevTools port (agent.browser.coldlaunch.Process)."""

    def __init__(self, process: subprocess.Popen[bytes]) -> None:
        self._process = process
        self.pid = process.pid

    def exit_status(self) -> int | None:
        return self._process.poll()

    async def wait(self, timeout_s: float) -> int | None:
        deadline = time.monotonic() + max(timeout_s, 0.0)
        while (status := self._process.poll()) is None and time.monotonic() < deadline:
            await asyncio.sleep(_POLL_S)
        return status

    def kill_now(self) -> None:
        if sys.platform != "win32":  # a session of its own: the whole group
            import os
            import signal

            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(self.pid, signal.SIGKILL)
        with contextlib.suppress(OSError):
            self._process.kill()

    async def kill(self, timeout_s: float) -> bool:
        deadline = time.monotonic() + timeout_s
        self.kill_now()
        ended = await self.wait(timeout_s) is not None
        if sys.platform == "win32":
            return ended
        from agent.browser.spawn import group_gone

        return ended and await group_gone(self.pid, deadline - time.monotonic())


def spawn_with_port(command: Sequence[str]) -> PortProcess:
    """Start the command (the executable first) in a process group of its own, output discarded.

    Raise DriverError (the OS's reason) if it cannot be started.
    """
    options: dict[str, object] = {}
    if sys.platform == "win32":
        options["creationflags"] = subprocess.CREATE_NEW_PROCESS_GROUP
    else:
        options["start_new_session"] = True
    try:
        process = subprocess.Popen(  # type: ignore[call-overload]
            list(command),
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            **options,
        )
    except FileNotFoundError as exc:
        raise DriverError("no such program") from exc
    except PermissionError as exc:
        raise DriverError("permission denied: the file is not an executable program") from exc
    except OSError as exc:
        raise DriverError(exc.strerror or str(exc)) from exc
    return PortProcess(process)


async def endpoint_of(process: PortProcess, user_data_dir: Path, timeout_s: float) -> str | None:
    """Return the browser's WebSocket URL once DevToolsActivePort names it, None if the process
    exits first or timeout_s passes."""
    deadline = time.monotonic() + timeout_s
    active = user_data_dir / "DevToolsActivePort"
    while process.exit_status() is None and time.monotonic() < deadline:
        with contextlib.suppress(OSError, ValueError):
            port, path = active.read_text().split("\n")[:2]
            if int(port) > 0 and path.startswith("/devtools/browser/"):
                return f"ws://127.0.0.1:{int(port)}{path}"
        await asyncio.sleep(_POLL_S)
    return None
