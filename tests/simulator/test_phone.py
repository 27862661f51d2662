"""The phone side: pushes to linked pages, the device limit, token expiry, 30-day inactivity."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp
import pytest
import pytest_asyncio
from playwright.async_api import BrowserContext, Page, expect

from agent.simulator.testing import SimulatorError, SimulatorHandle, running_simulator
from tests.simulator.flows import QR_CANVAS, open_linked, socket_token, stored_keys

DAY = 86_400


@pytest_asyncio.fixture
async def session() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as instance:
        yield instance


@pytest.mark.browser
async def test_phone_logout_all_returns_page_to_qr(sim: SimulatorHandle, page: Page) -> None:
    await open_linked(sim, page)
    sim.logout_all()
    await expect(page.locator(QR_CANVAS)).to_be_visible()
    assert await stored_keys(page) == []


@pytest.mark.browser
async def test_phone_logout_of_one_device_returns_its_page_to_qr(
    sim: SimulatorHandle, page: Page
) -> None:
    device = await open_linked(sim, page)
    sim.logout_device(device["id"])
    await expect(page.locator(QR_CANVAS)).to_be_visible()
    assert sim.devices() == []


async def qr_tokens(sim: SimulatorHandle, session: aiohttp.ClientSession, count: int) -> list[str]:
    """Connect a page-less client and return the first ``count`` QR tokens it is given."""
    socket = await session.ws_connect(sim.url + "ws")
    await socket.send_str(json.dumps({"type": "hello", "device_id": None, "secret": None}))
    tokens: list[str] = []
    async for message in socket:
        data = json.loads(message.data)
        if data["type"] == "qr":
            tokens.append(data["ref"])
        if len(tokens) == count:
            break
    await socket.close()
    return tokens


@pytest.mark.browser
async def test_phone_page_logs_out_a_listed_device(
    sim: SimulatorHandle, page: Page, session: aiohttp.ClientSession
) -> None:
    device = sim.link(await socket_token(sim, session))
    await page.goto(sim.phone_url)
    await page.locator(f'li[data-device-id="{device["id"]}"] button').click()
    await expect(page.locator("#devices li")).to_have_count(0)
    assert sim.devices() == []


@pytest.mark.browser
async def test_phone_page_links_a_pasted_token(
    sim: SimulatorHandle, context: BrowserContext
) -> None:
    client, phone = await context.new_page(), await context.new_page()
    await client.goto(sim.url)
    ref = await client.locator("div[data-ref]").get_attribute("data-ref")
    await phone.goto(sim.phone_url)
    await phone.locator("#ref").fill(ref or "")
    await phone.get_by_role("button", name="Link a device").click()
    await expect(client.locator("#pane-side")).to_be_visible()


async def test_fifth_device_is_refused(
    sim: SimulatorHandle, session: aiohttp.ClientSession
) -> None:
    for _ in range(4):
        sim.link(await socket_token(sim, session))
    with pytest.raises(SimulatorError) as refused:
        sim.link(await socket_token(sim, session))
    assert refused.value.status == 409
    assert "at most 4 linked devices" in refused.value.message


async def test_rotated_out_token_is_refused_as_expired(
    sim: SimulatorHandle, session: aiohttp.ClientSession
) -> None:
    sim.configure(qr_rotate_seconds=0.2)
    first, second = await qr_tokens(sim, session, 2)
    assert first != second
    with pytest.raises(SimulatorError) as refused:
        sim.link(first)
    assert refused.value.status == 410


async def test_unknown_token_is_refused_as_not_found(sim: SimulatorHandle) -> None:
    with pytest.raises(SimulatorError) as refused:
        sim.link("2@not-a-token")
    assert refused.value.status == 404


async def test_device_inactive_for_30_days_is_unlinked(
    sim: SimulatorHandle, session: aiohttp.ClientSession
) -> None:
    sim.link(await socket_token(sim, session))
    sim.advance_clock(30 * DAY + 60)
    assert sim.devices() == []


async def test_device_inactive_for_29_days_stays_linked(
    sim: SimulatorHandle, session: aiohttp.ClientSession
) -> None:
    device = sim.link(await socket_token(sim, session))
    sim.advance_clock(29 * DAY)
    assert [listed["id"] for listed in sim.devices()] == [device["id"]]


@pytest.mark.browser
async def test_expired_device_page_returns_to_qr(sim: SimulatorHandle, page: Page) -> None:
    await open_linked(sim, page)
    sim.advance_clock(31 * DAY)
    await expect(page.locator(QR_CANVAS)).to_be_visible()


async def test_registry_survives_a_restart(tmp_path: Path, session: aiohttp.ClientSession) -> None:
    with running_simulator(db_path=tmp_path / "registry.sqlite3") as first:
        device = first.link(await socket_token(first, session))
    with running_simulator(db_path=tmp_path / "registry.sqlite3") as second:
        assert [listed["id"] for listed in second.devices()] == [device["id"]]
