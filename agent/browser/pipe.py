"""CDP over the pipe of a browser we launched (--remote-debugging-pipe): agent.browser.cdp's
second transport.

Chromium started with --remote-debugging-pipe reads commands from its fd 3 and writes replies
and events to its fd 4, each message a JSON text ended by a NUL byte. No TCP port is opened, so
nothing else on the machine (a visitor's script, another user) can connect to the browser while
a cold logout runs in it. The pipe closes when the browser exits.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import AsyncIterator

from agent.errors import BrowserClosed

SEPARATOR = b"\0"
_END = object()  # queued when the browser's end of the pipe closes


class _Reading(asyncio.Protocol):
    """Split what the browser writes into messages (NUL-ended), queued as they complete."""

    def __init__(self, queue: asyncio.Queue[object]) -> None:
        self._queue = queue
        self._partial = bytearray()

    def data_received(self, data: bytes) -> None:
        if SEPARATOR not in data:  # a long message arriving in pieces: no rescan of the rest
            self._partial.extend(data)
            return
        *complete, rest = data.split(SEPARATOR)
        complete[0] = bytes(self._partial) + complete[0]
        self._partial = bytearray(rest)
        for message in complete:
            self._queue.put_nowait(message.decode("utf-8", errors="replace"))

    def eof_received(self) -> bool:
        return False  # let the transport close: connection_lost follows

    def connection_lost(self, exc: Exception | None) -> None:
        if self._partial:
            self._queue.put_nowait(
                BrowserClosed(
                    f"the browser's DevTools pipe closed in the middle of a message"
                    f" ({len(self._partial)} bytes unread)"
                )
            )
        elif exc is not None:
            self._queue.put_nowait(BrowserClosed(f"the browser's DevTools pipe broke: {exc}"))
        self._queue.put_nowait(_END)


class PipeTransport:
    """The parent's ends of a browser's DevTools pipe (implements agent.browser.cdp.Transport)."""

    def __init__(
        self,
        queue: asyncio.Queue[object],
        reading: asyncio.ReadTransport,
        writing: asyncio.WriteTransport,
    ) -> None:
        self._queue = queue
        self._reading = reading
        self._writing = writing

    @classmethod
    async def open(cls, read_fd: int, write_fd: int) -> PipeTransport:
        """Given our ends of the pipe (read_fd: the browser's fd 4; write_fd: its fd 3), return
        the transport, which owns (and closes) both."""
        loop = asyncio.get_running_loop()
        queue: asyncio.Queue[object] = asyncio.Queue()
        reading, _ = await loop.connect_read_pipe(
            lambda: _Reading(queue), os.fdopen(read_fd, "rb", buffering=0)
        )
        writing, _ = await loop.connect_write_pipe(
            asyncio.Protocol, os.fdopen(write_fd, "wb", buffering=0)
        )
        return cls(queue, reading, writing)

    async def send(self, text: str) -> None:
        """Write one message. Raise BrowserClosed if the browser's end is closed."""
        if self._writing.is_closing():
            raise BrowserClosed("the browser's DevTools pipe is closed")
        try:
            self._writing.write(text.encode("utf-8") + SEPARATOR)
        except (OSError, RuntimeError) as exc:
            raise BrowserClosed(f"the browser's DevTools pipe is closed ({exc})") from exc

    async def messages(self) -> AsyncIterator[str]:
        """Yield the browser's messages; end when it closes the pipe. Raise BrowserClosed when
        it closed in the middle of a message or the pipe broke."""
        while True:
            item = await self._queue.get()
            if item is _END:
                return
            if isinstance(item, BrowserClosed):
                raise item
            assert isinstance(item, str)
            yield item

    async def close(self) -> None:
        self._writing.close()
        self._reading.close()
