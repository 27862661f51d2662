"""The pages connected over ``/ws``: QR tokens that rotate, and messages pushed to pages.

One ``PageConnection`` per open client page. A page without a session gets a fresh pairing
token (and its QR matrix) every ``qr_rotate_seconds``; the phone links a page by its current
token; a page bound to a device hears when the phone unlinks that device.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import secrets
from collections import deque
from dataclasses import dataclass, field
from typing import Any

import segno
from aiohttp import web

from agent.simulator.config import SimConfig, with_overrides
from agent.simulator.locales import strings


def new_token() -> str:
    """Return a pairing token shaped like the real one: ref, then three base64 keys."""
    keys = ",".join(base64.b64encode(secrets.token_bytes(32)).decode() for _ in range(3))
    return f"2@{secrets.token_urlsafe(45)},{keys}"


def _draw() -> tuple[str, list[str]]:
    token = new_token()
    return token, qr_rows(token)


def qr_rows(token: str) -> list[str]:
    """Given a token, return its QR code as rows of '1' (dark) and '0' (light), no border."""
    matrix = segno.make(token, error="l", micro=False).matrix
    return ["".join("1" if module else "0" for module in row) for row in matrix]


@dataclass(eq=False)
class PageConnection:
    """One open client page: its socket, its query overrides, and what it shows."""

    socket: web.WebSocketResponse
    overrides: dict[str, str]
    user_agent: str
    remote: str
    device_id: int | None = None
    token: str | None = None
    rotation: asyncio.Task[None] | None = None


@dataclass(eq=False)
class PageHub:
    """Every connected page, plus recently rotated-out tokens (to answer 410, not 404)."""

    pages: set[PageConnection] = field(default_factory=set)
    retired: deque[str] = field(default_factory=lambda: deque(maxlen=5000))
    tasks: set[asyncio.Task[None]] = field(default_factory=set)
    # One token and its QR drawn ahead of time: drawing takes ~15 ms, and a page that asks for a
    # QR (every load without a session, every post-logout reload) should not wait for it.
    spare: tuple[str, list[str]] | None = None
    drawing: asyncio.Future[tuple[str, list[str]]] | None = None

    def find_by_token(self, token: str) -> PageConnection | None:
        return next((page for page in self.pages if page.token == token), None)

    def is_retired(self, token: str) -> bool:
        return token in self.retired

    def device_ids(self) -> list[int]:
        """Return the devices whose pages are connected now."""
        return sorted({page.device_id for page in self.pages if page.device_id is not None})

    async def send(self, page: PageConnection, message: dict[str, Any]) -> None:
        """Send one JSON message; a page that went away is simply skipped."""
        if page.socket.closed:
            return
        with contextlib.suppress(ConnectionError, RuntimeError):
            await page.socket.send_json(message)

    def send_soon(self, page: PageConnection, message: dict[str, Any]) -> None:
        """Schedule ``send`` from synchronous code running on the event loop."""
        task = asyncio.get_running_loop().create_task(self.send(page, message))
        self.tasks.add(task)
        task.add_done_callback(self.tasks.discard)

    def start_qr(self, page: PageConnection, rotate_seconds: float) -> None:
        """Issue tokens to ``page`` now and every ``rotate_seconds`` until linked or closed."""
        self.stop_qr(page)
        page.rotation = asyncio.get_running_loop().create_task(self._rotate(page, rotate_seconds))

    def stop_qr(self, page: PageConnection) -> None:
        if page.rotation is not None:
            page.rotation.cancel()
            page.rotation = None
        if page.token is not None:
            self.retired.append(page.token)
            page.token = None

    async def next_qr(self) -> tuple[str, list[str]]:
        """Return a fresh token and its QR rows (the spare when ready), and draw the next spare."""
        loop = asyncio.get_running_loop()
        if self.spare is not None:
            token_and_rows, self.spare = self.spare, None
        else:
            token = new_token()
            token_and_rows = (token, qr_rows(token))
        if self.drawing is None or self.drawing.done():
            self.drawing = loop.run_in_executor(None, _draw)
            self.drawing.add_done_callback(self._keep_spare)
        return token_and_rows

    def _keep_spare(self, drawing: asyncio.Future[tuple[str, list[str]]]) -> None:
        if not drawing.cancelled() and drawing.exception() is None:
            self.spare = drawing.result()

    async def _rotate(self, page: PageConnection, rotate_seconds: float) -> None:
        while not page.socket.closed:
            if page.token is not None:
                self.retired.append(page.token)
            token, rows = await self.next_qr()
            page.token = token
            await self.send(page, {"type": "qr", "ref": token, "rows": rows})
            await asyncio.sleep(rotate_seconds)

    def on_unlinked(self, device_ids: list[int]) -> None:
        """Registry callback: tell the pages of these devices that they were logged out."""
        for page in self.pages:
            if page.device_id in device_ids:
                page.device_id = None
                self.send_soon(page, {"type": "logged_out"})

    def close(self, page: PageConnection) -> None:
        self.stop_qr(page)
        self.pages.discard(page)

    async def broadcast_config(self, config: SimConfig) -> None:
        """Send every page its effective config (the server's, plus the page's overrides)."""
        for page in list(self.pages):
            await self.send(page, config_message(with_overrides(config, page.overrides)))


def config_message(config: SimConfig) -> dict[str, Any]:
    """Return the message that gives a page its config and its locale's strings."""
    return {"type": "config", "config": config.model_dump(), "strings": strings(config.locale)}
