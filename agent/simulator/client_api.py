"""The client page's side of the server: its config, its live channel, its unpair request.

Protocol on ``/ws`` (JSON text frames):
  server -> page  {"type": "config", "config": {...}, "strings": {...}}   on connect and change
  page -> server  {"type": "hello", "device_id": int | null, "secret": str | null}
  server -> page  {"type": "resumed", "linked": bool}                     answer to a resume
  server -> page  {"type": "qr", "ref": token, "rows": ["0101..."]}       every rotation
  server -> page  {"type": "linked", "device": {id, wid, lid, secret}}    the phone linked it
  server -> page  {"type": "logged_out"}                                  the phone unlinked it

Plus ``POST /api/client/unpair`` (the logout) and ``POST /api/client/decoy`` (a decoy was clicked).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from typing import Any

from aiohttp import WSMsgType, web

from agent.simulator.clock import iso
from agent.simulator.common import (
    MAX_DEVICE_ID,
    ApiError,
    SimState,
    expect_fields,
    is_device_id,
    json_response,
    read_json_object,
    shown,
    state_of,
)
from agent.simulator.config import ConfigInputError, SimConfig, with_overrides
from agent.simulator.pages import PageConnection, config_message

UNPAIR_HOLD_SECONDS = 10.0  # longer than the client's 3 s bound
MAX_SECRET = 200  # a device secret is 43 characters; anything far longer is not one


def effective_config(state: SimState, query: dict[str, str]) -> SimConfig:
    """Return the server's config with the page's overrides. Raise ApiError(400) if invalid."""
    try:
        return with_overrides(state.config, query)
    except ConfigInputError as exc:
        raise ApiError(400, f"query string: {exc}") from None


async def get_config(request: web.Request) -> web.Response:
    """GET /api/client/config?overrides -> the page's effective config and its strings."""
    return json_response(config_message(effective_config(state_of(request), dict(request.query))))


async def websocket(request: web.Request) -> web.WebSocketResponse:
    """GET /ws?overrides: the page's live channel (see the module docstring)."""
    state = state_of(request)
    overrides = dict(request.query)
    config = effective_config(state, overrides)
    socket = web.WebSocketResponse(heartbeat=20)
    await socket.prepare(request)
    page = PageConnection(
        socket, overrides, request.headers.get("User-Agent", ""), request.remote or ""
    )
    state.pages.pages.add(page)
    try:
        await state.pages.send(page, config_message(config))
        async for message in socket:
            if message.type == WSMsgType.TEXT:
                await _handle(state, page, message.data)
    finally:
        state.pages.close(page)
    return socket


async def _handle(state: SimState, page: PageConnection, text: str) -> None:
    try:
        message: Any = json.loads(text)
    except json.JSONDecodeError:
        message = None
    if not isinstance(message, dict) or message.get("type") != "hello":
        await state.pages.send(page, {"type": "error", "error": "expected a hello message"})
        return
    device_id, secret = message.get("device_id"), message.get("secret")
    rotate_seconds = with_overrides(state.config, page.overrides).qr_rotate_seconds
    if device_id is None:
        state.pages.start_qr(page, rotate_seconds)
        return
    linked = (
        is_device_id(device_id)
        and isinstance(secret, str)
        and len(secret) <= MAX_SECRET
        and state.registry.check(device_id, secret)
    )
    if linked:
        state.pages.stop_qr(page)
        page.device_id = device_id
        state.registry.touch([device_id])
    await state.pages.send(page, {"type": "resumed", "linked": linked})
    if not linked:
        state.pages.start_qr(page, rotate_seconds)


async def unpair(request: web.Request) -> web.Response:
    """POST /api/client/unpair {device_id, secret[, drop_unpair]}: the page logs itself out.

    With drop_unpair (the server's or the page's), the request is held past the client's
    bound and the device stays linked.
    """
    state = state_of(request)
    body = await read_json_object(request)
    expect_fields(body, {"device_id": int, "secret": str, "drop_unpair": bool})
    if "device_id" not in body or "secret" not in body:
        raise ApiError(400, "fields 'device_id' (integer) and 'secret' (string) are required")
    if not is_device_id(body["device_id"]):
        raise ApiError(
            400,
            f"field 'device_id' must be an integer from 1 to {MAX_DEVICE_ID} "
            f"(got {shown(body['device_id'])})",
        )
    if len(body["secret"]) > MAX_SECRET:
        raise ApiError(400, f"field 'secret' is longer than {MAX_SECRET} characters")
    if state.config.drop_unpair or body.get("drop_unpair", False):
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(state.stopping.wait(), UNPAIR_HOLD_SECONDS)
        raise ApiError(503, "unpair dropped (drop_unpair): the device stays linked")
    device = state.registry.get(body["device_id"])
    if device is None:
        raise ApiError(404, f"device {body['device_id']} is not linked")
    if not state.registry.check(device.id, body["secret"]):
        raise ApiError(403, f"the secret does not match device {device.id}")
    state.registry.unlink(device.id)
    return json_response({"unlinked": device.id})


MAX_DECOY_TEXT = 200


async def decoy(request: web.Request) -> web.Response:
    """POST /api/client/decoy {key, label, where}: the page reports a click on a decoy item."""
    state = state_of(request)
    body = await read_json_object(request)
    expect_fields(body, {"key": str, "label": str, "where": str})
    missing = [name for name in ("key", "label", "where") if name not in body]
    if missing:
        raise ApiError(
            400, f"fields 'key', 'label' and 'where' (strings) are required; missing {missing}"
        )
    for name in ("key", "label", "where"):
        if len(body[name]) > MAX_DECOY_TEXT:
            raise ApiError(400, f"field {name!r} is longer than {MAX_DECOY_TEXT} characters")
    record = {**body, "at": iso(state.clock.now())}
    state.decoys.append(record)
    return json_response({"recorded": record})


def add_routes(app: web.Application) -> None:
    app.router.add_get("/api/client/config", get_config)
    app.router.add_get("/ws", websocket)
    app.router.add_post("/api/client/unpair", unpair)
    app.router.add_post("/api/client/decoy", decoy)
