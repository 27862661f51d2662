"""The account owner's phone: link a device by its QR token, list devices, log them out."""

from __future__ import annotations

import ipaddress
from typing import Any

from aiohttp import web

from agent.simulator.common import (
    STATIC_DIR,
    ApiError,
    SimState,
    device_id_from,
    expect_fields,
    json_response,
    read_json_object,
    state_of,
)
from agent.simulator.registry import Device, TooManyDevices

_BROWSERS = (  # first match wins: Edge and Opera also say "Chrome"
    ("Edg/", "Edge"),
    ("OPR/", "Opera"),
    ("Firefox/", "Firefox"),
    ("Chromium/", "Chromium"),
    ("Chrome/", "Chrome"),
    ("Safari/", "Safari"),
)
_SYSTEMS = (
    ("Windows", "Windows"),
    ("CrOS", "ChromeOS"),
    ("Android", "Android"),
    ("iPhone", "iOS"),
    ("Mac OS X", "macOS"),
    ("Linux", "Linux"),
)


def describe(user_agent: str, remote: str) -> dict[str, str]:
    """Given a User-Agent and a remote address, return browser, os, location and network."""
    browser = next((name for marker, name in _BROWSERS if marker in user_agent), "Browser")
    system = next((name for marker, name in _SYSTEMS if marker in user_agent), "Unknown OS")
    try:
        address = ipaddress.ip_address(remote)
    except ValueError:
        return {"browser": browser, "os": system, "location": "Unknown", "network": "Unknown"}
    if address.is_loopback:
        network = "loopback"
    elif address.is_private:
        network = "local network"
    else:
        network = "internet"
    return {
        "browser": browser,
        "os": system,
        "location": f"Near {remote} ({network})",
        "network": network.capitalize(),
    }


def page_device(state: SimState, device: Device) -> dict[str, Any]:
    """Return what a page stores on link: its device id, wid, lid and secret."""
    return {
        "id": device.id,
        "wid": f"{state.phone}:{device.id}@c.us",
        "lid": f"{state.lid}:{device.id}@lid",
        "secret": device.secret,
    }


MAX_REF = 1000  # a token is about 250 characters


async def link(request: web.Request) -> web.Response:
    """POST /api/phone/link {"ref": token}: link the page showing that token (like a scan)."""
    state = state_of(request)
    body = await read_json_object(request)
    expect_fields(body, {"ref": str})
    token = body.get("ref")
    if not token:
        raise ApiError(400, "field 'ref' is required: the data-ref of the QR code")
    if len(token) > MAX_REF:
        raise ApiError(400, f"field 'ref' is longer than {MAX_REF} characters: not a QR token")
    page = state.pages.find_by_token(token)
    if page is None and state.pages.is_retired(token):
        raise ApiError(410, "this QR code has expired (the token rotated): scan the current one")
    if page is None:
        raise ApiError(404, "no page shows this QR code: 'ref' is not a current token")
    try:
        device = state.registry.link(**describe(page.user_agent, page.remote))
    except TooManyDevices as exc:
        raise ApiError(409, f"link refused: {exc}; log one out first") from None
    state.pages.stop_qr(page)
    page.device_id = device.id
    await state.pages.send(page, {"type": "linked", "device": page_device(state, device)})
    return json_response(device.public())


async def devices(request: web.Request) -> web.Response:
    """GET /api/phone/devices -> {"devices": [...]}, oldest first."""
    listed = [device.public() for device in state_of(request).registry.devices()]
    return json_response({"devices": listed})


async def logout_device(request: web.Request) -> web.Response:
    """POST /api/phone/devices/{id}/logout: unlink one device; its page returns to the QR."""
    device_id = device_id_from(request.match_info["id"])
    if not state_of(request).registry.unlink(device_id):
        raise ApiError(404, f"device {device_id} is not linked")
    return json_response({"unlinked": [device_id]})


async def logout_all(request: web.Request) -> web.Response:
    """POST /api/phone/logout-all: unlink every device."""
    return json_response({"unlinked": state_of(request).registry.unlink_all()})


async def phone_page(request: web.Request) -> web.FileResponse:
    return web.FileResponse(STATIC_DIR / "phone.html", headers={"Cache-Control": "no-store"})


def add_routes(app: web.Application) -> None:
    app.router.add_get("/phone", phone_page)
    app.router.add_post("/api/phone/link", link)
    app.router.add_get("/api/phone/devices", devices)
    app.router.add_post("/api/phone/devices/{id}/logout", logout_device)
    app.router.add_post("/api/phone/logout-all", logout_all)
