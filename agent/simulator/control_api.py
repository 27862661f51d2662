"""The control API for tests, fault injection and the demo: config, reset, clock."""

from __future__ import annotations

from aiohttp import web

from agent.simulator.clock import iso
from agent.simulator.common import (
    ApiError,
    expect_fields,
    json_response,
    read_json_object,
    state_of,
)
from agent.simulator.config import ConfigInputError, updated


async def get_config(request: web.Request) -> web.Response:
    """GET /api/sim/config -> every config field and its value."""
    return json_response(state_of(request).config.model_dump())


async def post_config(request: web.Request) -> web.Response:
    """POST /api/sim/config {field: value, ...}: change some fields; return the whole config."""
    state = state_of(request)
    body = await read_json_object(request)
    try:
        state.config = updated(state.config, body)
    except ConfigInputError as exc:
        raise ApiError(400, str(exc)) from None
    await state.pages.broadcast_config(state.config)
    return json_response(state.config.model_dump())


async def reset(request: web.Request) -> web.Response:
    """POST /api/sim/reset: defaults back, clock back, registry empty, decoy clicks forgotten."""
    state = state_of(request)
    body = await read_json_object(request) if await request.text() else {}
    expect_fields(body, {})
    state.config = state.defaults
    state.clock.reset()
    state.registry.unlink_all()
    state.decoys.clear()
    await state.pages.broadcast_config(state.config)
    return json_response({"config": state.config.model_dump(), "now": iso(state.clock.now())})


async def get_clock(request: web.Request) -> web.Response:
    """GET /api/sim/clock -> {"now": ISO 8601 UTC, "offset_seconds": N}."""
    clock = state_of(request).clock
    return json_response({"now": iso(clock.now()), "offset_seconds": clock.offset.total_seconds()})


async def post_clock(request: web.Request) -> web.Response:
    """POST /api/sim/clock {"advance_seconds": N}: move the clock forward (N >= 0)."""
    state = state_of(request)
    body = await read_json_object(request)
    expect_fields(body, {"advance_seconds": (int, float)})
    if "advance_seconds" not in body:
        raise ApiError(400, "field 'advance_seconds' (a number of seconds, >= 0) is required")
    try:
        state.clock.advance(body["advance_seconds"])
    except ValueError as exc:
        raise ApiError(400, f"field 'advance_seconds': {exc}") from None
    state.registry.expire()
    return await get_clock(request)


async def get_decoys(request: web.Request) -> web.Response:
    """GET /api/sim/decoys -> {"decoys": [{key, label, where, at}]}: clicks since the reset."""
    return json_response({"decoys": list(state_of(request).decoys)})


def add_routes(app: web.Application) -> None:
    app.router.add_get("/api/sim/config", get_config)
    app.router.add_post("/api/sim/config", post_config)
    app.router.add_post("/api/sim/reset", reset)
    app.router.add_get("/api/sim/clock", get_clock)
    app.router.add_post("/api/sim/clock", post_clock)
    app.router.add_get("/api/sim/decoys", get_decoys)
