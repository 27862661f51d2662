"""The guarded desktop mode's one request: a visitor asks the daemon to open the browser.

The daemon runs as its own account and starts the managed browser itself (on the visitor's
display), so the browser is its child and out of the visitor's reach. The visitor's launcher
(``kioskguard browser --guarded``) connects to a Unix socket the daemon listens on and sends
the single line ``open``; the daemon answers one line, ``ok: ...`` or ``error: ...``. Nothing
else is accepted: any other line, or more than MAX_REQUEST bytes, is answered with an error and
the connection closed. The request carries no data, so the launcher holds nothing worth taking;
any local user may ask (the socket is 0666 in /run/kioskguard), which at worst opens the
browser on the configured display. Each request is logged with the asking user's uid
(SO_PEERCRED). One open runs at a time.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import socket
import struct
import subprocess
from collections.abc import Callable
from pathlib import Path

from loguru import logger

from agent.browser.opener import Opened
from agent.errors import ConfigError, DriverError, KioskguardError, PlatformUnavailable

DEFAULT_SOCKET = Path("/run/kioskguard/open.sock")
REQUEST = b"open\n"
MAX_REQUEST = 64
READ_S = 5.0  # a client that sends nothing is dropped after this
ANSWER_S = 60.0  # the launcher waits this long for the browser to open

Opener = Callable[[], Opened]


def answer_for(line: bytes) -> str | None:
    """Given the request line, return the error answer for it, None if it is the open request."""
    if line == REQUEST:
        return None
    return "error: the only request accepted is 'open'"


def _peer_uid(sock: socket.socket | None) -> int | None:
    if sock is None or not hasattr(socket, "SO_PEERCRED"):
        return None
    try:
        credentials = sock.getsockopt(socket.SOL_SOCKET, socket.SO_PEERCRED, struct.calcsize("3i"))
    except OSError:
        return None
    return int(struct.unpack("3i", credentials)[1])


class OpenServer:
    """Listen on a Unix socket for ``open`` and run the opener (in a thread) for each."""

    def __init__(self, path: Path, opener: Opener) -> None:
        self.path = path
        self.opener = opener
        self._server: asyncio.AbstractServer | None = None
        self._one_at_a_time = asyncio.Lock()
        self._reaping: set[asyncio.Task[int]] = set()

    async def start(self) -> None:
        """Listen. Raise ConfigError if another daemon answers on the path or it cannot be
        created (its directory missing or not writable)."""
        if self.path.is_socket():
            if await _answers(self.path):
                raise ConfigError(f"{self.path}: another kioskguard daemon listens there")
            self.path.unlink()
        try:
            self._server = await asyncio.start_unix_server(
                self._handle, path=str(self.path), limit=MAX_REQUEST
            )
            self.path.chmod(0o666)  # the visitor's launcher connects; the request is harmless
        except OSError as exc:
            raise ConfigError(f"--open-socket {self.path}: cannot listen: {exc}") from exc
        logger.info("guarded mode: visitors ask for the browser on {}", self.path)

    async def close(self) -> None:
        """Stop listening and remove the socket file (the browsers started stay open)."""
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()
            self._server = None
        with contextlib.suppress(OSError):
            self.path.unlink()
        for task in self._reaping:
            task.cancel()

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        uid = _peer_uid(writer.get_extra_info("socket"))
        try:
            line = await asyncio.wait_for(reader.readline(), READ_S)
        except (TimeoutError, ValueError, asyncio.LimitOverrunError, OSError):
            line = b""
        answer = answer_for(line)
        if answer is None:
            logger.info("guarded mode: uid {} asks for the browser", uid)
            answer = await self._open()
        else:
            logger.warning("guarded mode: uid {} sent a request that is not 'open'", uid)
        with contextlib.suppress(OSError):
            writer.write(answer.encode() + b"\n")
            await writer.drain()
            writer.close()

    async def _open(self) -> str:
        async with self._one_at_a_time:
            try:
                opened = await asyncio.to_thread(self.opener)
            except KioskguardError as exc:
                logger.warning("guarded mode: the browser was not opened: {}", exc)
                return f"error: {exc}"
        if opened.process is not None:
            self._reap(opened.process)
        for line in opened.lines:
            logger.info("guarded mode: {}", line)
        return "ok: " + "; ".join(opened.lines)

    def _reap(self, process: subprocess.Popen[bytes]) -> None:
        """Wait for the browser this daemon started, so that its exit leaves no zombie."""
        task = asyncio.create_task(asyncio.to_thread(process.wait))
        self._reaping.add(task)
        task.add_done_callback(self._reaping.discard)


async def _answers(path: Path) -> bool:
    try:
        _, writer = await asyncio.open_unix_connection(str(path))
    except OSError:
        return False
    writer.close()
    return True


def request_open(path: Path = DEFAULT_SOCKET, timeout_s: float = ANSWER_S) -> str:
    """Given the daemon's socket, ask it to open the browser; return its answer.

    Raise PlatformUnavailable if no daemon listens there; DriverError if it answers an error
    or nothing within timeout_s.
    """
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as client:
        client.settimeout(timeout_s)
        try:
            client.connect(os.fspath(path))
        except OSError as exc:
            raise PlatformUnavailable(
                f"{path}: no guarded kioskguard daemon listens there ({exc.strerror or exc});"
                " is the system service running with --open-socket?"
            ) from exc
        try:
            client.sendall(REQUEST)
            answer = client.makefile("rb").readline(4096).decode(errors="replace").strip()
        except OSError as exc:
            raise DriverError(f"{path}: the daemon did not answer: {exc}") from exc
    if answer.startswith("ok: "):
        return answer[4:]
    raise DriverError(f"the daemon did not open the browser: {answer.removeprefix('error: ')}")
