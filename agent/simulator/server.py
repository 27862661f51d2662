"""The simulator's aiohttp application: the client at ``/``, the phone, the control API."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from pathlib import Path

from aiohttp import web

from agent.simulator import client_api, control_api, phone_api
from agent.simulator.clock import Clock, OffsetClock
from agent.simulator.common import (
    DEFAULT_PHONE,
    STATE_KEY,
    STATIC_DIR,
    SimState,
    json_errors,
)
from agent.simulator.config import SimConfig
from agent.simulator.pages import PageHub
from agent.simulator.registry import Registry

HOUSEKEEPING_SECONDS = 5.0  # how often connected devices are marked active and expiry runs
_NO_STORE = {"Cache-Control": "no-store"}


async def index(request: web.Request) -> web.FileResponse:
    return web.FileResponse(STATIC_DIR / "index.html", headers=_NO_STORE)


async def service_worker(request: web.Request) -> web.FileResponse:
    return web.FileResponse(
        STATIC_DIR / "sw.js", headers={**_NO_STORE, "Content-Type": "text/javascript"}
    )


async def _housekeeping(state: SimState) -> None:
    while True:
        await asyncio.sleep(HOUSEKEEPING_SECONDS)
        state.registry.touch(state.pages.device_ids())


def create_app(
    config: SimConfig | None = None,
    db_path: str | Path = ":memory:",
    phone: str = DEFAULT_PHONE,
    base_clock: Clock | None = None,
) -> web.Application:
    """Given a start-up config, a registry path and a phone number, return the application.

    Raise ValueError if ``phone`` is not 8-15 digits.
    """
    if not (phone.isdigit() and 8 <= len(phone) <= 15):
        raise ValueError(f"phone number must be 8-15 digits, country code first (got {phone!r})")
    hub = PageHub()
    clock = OffsetClock(base_clock)
    registry = Registry(db_path, clock, on_unlink=hub.on_unlinked)
    state = SimState(config or SimConfig(), clock, registry, hub, phone)
    app = web.Application(middlewares=[json_errors])
    app[STATE_KEY] = state

    async def on_shutdown(app: web.Application) -> None:
        # Before the server waits for handlers: release held unpairs, close live channels.
        state.stopping.set()
        for page in list(hub.pages):
            hub.stop_qr(page)
            await page.socket.close()

    async def lifecycle(app: web.Application) -> AsyncIterator[None]:
        task = asyncio.get_running_loop().create_task(_housekeeping(state))
        yield
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
        registry.close()

    app.on_shutdown.append(on_shutdown)
    app.cleanup_ctx.append(lifecycle)
    app.router.add_get("/", index)
    app.router.add_get("/sw.js", service_worker)
    app.router.add_static("/static/", STATIC_DIR)
    client_api.add_routes(app)
    phone_api.add_routes(app)
    control_api.add_routes(app)
    return app
