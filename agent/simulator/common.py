"""What every route module shares: the simulator's state, JSON errors, JSON bodies."""

from __future__ import annotations

import asyncio
import hashlib
import json
from collections import deque
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from aiohttp import web

from agent.simulator.clock import OffsetClock
from agent.simulator.config import SimConfig
from agent.simulator.registry import Registry

if TYPE_CHECKING:
    from agent.simulator.pages import PageHub

DEFAULT_PHONE = "4915112345678"
MAX_DECOYS = 1000
STATIC_DIR = Path(__file__).parent / "static"


class ApiError(Exception):
    """A request the simulator refuses: answered as ``{"error": message}`` with ``status``."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


@dataclass(eq=False)
class SimState:
    """Everything one simulator server holds: config, clock, registry, connected pages."""

    defaults: SimConfig
    clock: OffsetClock
    registry: Registry
    pages: PageHub
    phone: str = DEFAULT_PHONE
    config: SimConfig = field(init=False)
    stopping: asyncio.Event = field(default_factory=asyncio.Event)
    # Decoy items clicked since the last reset (the mutator's traps), oldest first.
    decoys: deque[dict[str, str]] = field(default_factory=lambda: deque(maxlen=MAX_DECOYS))

    def __post_init__(self) -> None:
        self.config = self.defaults

    @property
    def lid(self) -> str:
        """The account's stable fake LID number (derived from the phone number)."""
        digest = hashlib.sha256(self.phone.encode()).hexdigest()
        return str(int(digest, 16) % 10**15).zfill(15)


STATE_KEY: web.AppKey[SimState] = web.AppKey("simulator_state", SimState)


def state_of(request: web.Request) -> SimState:
    return request.app[STATE_KEY]


def json_response(data: Any, status: int = 200) -> web.Response:
    return web.json_response(data, status=status, headers={"Cache-Control": "no-store"})


async def read_json_object(request: web.Request) -> dict[str, Any]:
    """Return the request body as a JSON object. Raise ApiError(400) if it is anything else."""
    text = await request.text()
    try:
        body = json.loads(text) if text.strip() else None
    except json.JSONDecodeError as exc:
        raise ApiError(400, f"the body is not valid JSON: {exc.msg} at line {exc.lineno}") from None
    if not isinstance(body, dict):
        raise ApiError(400, "the body must be a JSON object")
    return body


def expect_fields(body: dict[str, Any], allowed: dict[str, type | tuple[type, ...]]) -> None:
    """Raise ApiError(400) if ``body`` has an unknown field or a field of the wrong type.

    Fields in ``allowed`` are optional here; callers check the ones they require.
    """
    for name, value in body.items():
        if name not in allowed:
            names = ", ".join(allowed) or "none"
            raise ApiError(400, f"unknown field {name!r}; allowed fields: {names}")
        expected = allowed[name]
        types = expected if isinstance(expected, tuple) else (expected,)
        if (isinstance(value, bool) and bool not in types) or not isinstance(value, types):
            wanted = " or ".join(kind.__name__ for kind in types)
            raise ApiError(400, f"field {name!r} must be of type {wanted} (got {shown(value)})")


MAX_DEVICE_ID = 10**12 - 1  # 12 digits; SQLite and JavaScript hold it exactly
_SHOWN = 40  # characters of a refused value quoted back in an error


def shown(value: object) -> str:
    """Given a refused value, return its repr, cut to a readable length."""
    text = repr(value)
    size = len(value) if isinstance(value, str) else len(text)
    return text if len(text) <= _SHOWN else f"{text[:_SHOWN]}... ({size} characters)"


def is_device_id(value: object) -> bool:
    """Return True if ``value`` is an int device id (1..MAX_DEVICE_ID), not a bool."""
    return isinstance(value, int) and not isinstance(value, bool) and 1 <= value <= MAX_DEVICE_ID


def device_id_from(text: str) -> int:
    """Given a device id from a URL, return it as an int.

    Raise ApiError(400) if it is not a positive integer of at most 12 ASCII digits.
    """
    if not (text.isascii() and text.isdigit() and len(text) <= 12 and is_device_id(int(text))):
        raise ApiError(
            400, f"device id must be a positive integer of at most 12 digits (got {shown(text)})"
        )
    return int(text)


@web.middleware
async def json_errors(request: web.Request, handler: Any) -> web.StreamResponse:
    """Answer every refused or failed API request with ``{"error": ...}``, never a bare 500."""
    try:
        response: web.StreamResponse = await handler(request)
        return response
    except ApiError as exc:
        return json_response({"error": exc.message}, exc.status)
    except web.HTTPException as exc:
        if exc.status < 400:
            raise
        message = f"{exc.reason}: {request.method} {request.path}"
        return json_response({"error": message}, exc.status)
    except asyncio.CancelledError:
        raise
    except Exception as exc:  # a bug: still answer JSON, with the cause
        return json_response({"error": f"internal error: {type(exc).__name__}: {exc}"}, 500)
