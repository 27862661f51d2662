"""The warm way in (agent.browser.cdp) against a real running browser and the simulator."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from agent.browser.cdp import CdpConnection
from agent.browser.discovery import Browser
from agent.browser.driver import Driver
from agent.browser.managed import running_endpoint
from agent.errors import BrowserClosed
from agent.outcome import Result, Trigger
from agent.session.service import SessionService
from agent.settings import ProfileSettings
from agent.simulator.testing import SimulatorHandle
from tests.session.helpers import link_managed, managed_browser, settings_for

pytestmark = pytest.mark.browser


@pytest.fixture
def endpoint(tmp_path: Path, browser_executable: Browser, sim: SimulatorHandle) -> Iterator[str]:
    with managed_browser(browser_executable, tmp_path / "profile", sim.url):
        found = running_endpoint(tmp_path / "profile")
        assert found
        yield found


async def targets(endpoint: str) -> list[dict[str, Any]]:
    connection = await CdpConnection.open(endpoint, 5.0)
    try:
        infos = (await connection.send("Target.getTargets"))["targetInfos"]
        return [info for info in infos if info["type"] == "page"]
    finally:
        await connection.close()


async def worlds_on_reload(endpoint: str, url: str) -> list[str]:
    """Reload the client's tab and return the names of the script worlds its new page gets."""
    connection = await CdpConnection.open(endpoint, 5.0)
    try:
        page = next(t for t in await targets(endpoint) if t["url"].startswith(url))
        session = (
            await connection.send(
                "Target.attachToTarget", {"targetId": page["targetId"], "flatten": True}
            )
        )["sessionId"]
        names: list[str] = []
        loaded = asyncio.Event()
        connection.on(
            "Runtime.executionContextCreated",
            session,
            lambda params: names.append(params["context"].get("name") or "main"),
        )
        connection.on("Page.loadEventFired", session, lambda params: loaded.set())
        await connection.send("Page.enable", session_id=session)
        await connection.send("Runtime.enable", session_id=session)
        names.clear()
        await connection.send("Page.reload", session_id=session)
        await asyncio.wait_for(loaded.wait(), 15)
        await asyncio.sleep(0.2)  # worlds are created at commit; give stragglers a moment
        return names
    finally:
        await connection.close()


async def test_attaching_leaves_nothing_behind_in_the_visitors_tab(
    endpoint: str, sim: SimulatorHandle
) -> None:
    """Playwright's connect_over_cdp left its utility world registered on the tab after every
    connection, so each later page load made one more world per past attach."""
    async with Driver() as driver:
        for _ in range(5):
            session = await driver.attach(endpoint, sim.url, 15.0)
            assert await session.tab.evaluate("() => document.readyState") in (
                "loading",
                "interactive",
                "complete",
            )
            await session.close()
    names = await worlds_on_reload(endpoint, sim.url)
    assert names == ["main"], names


async def test_a_tab_opened_for_the_client_is_closed_and_others_stay(
    endpoint: str, sim: SimulatorHandle
) -> None:
    other_origin = sim.url.replace("127.0.0.1", "localhost")
    visitors = [t["targetId"] for t in await targets(endpoint) if t["url"].startswith(sim.url)]
    assert len(visitors) == 1
    async with Driver() as driver:
        session = await driver.attach(endpoint, other_origin, 15.0)
        assert session.tab.url.startswith(other_origin)
        opened = [t["targetId"] for t in await targets(endpoint) if t["url"] == other_origin]
        assert len(opened) == 1
        await session.close()
    for _ in range(50):  # Target.closeTarget answers before the tab is gone
        left = {t["targetId"] for t in await targets(endpoint)}
        if opened[0] not in left:
            break
        await asyncio.sleep(0.1)
    assert opened[0] not in left
    assert visitors[0] in left


async def test_closing_the_tab_under_the_agent_is_browser_closed(
    endpoint: str, sim: SimulatorHandle
) -> None:
    async with Driver() as driver:
        session = await driver.attach(endpoint, sim.url, 15.0)
        try:
            page = next(t for t in await targets(endpoint) if t["url"].startswith(sim.url))
            other = await CdpConnection.open(endpoint, 5.0)
            await other.send("Target.closeTarget", {"targetId": page["targetId"]})
            await other.close()
            with pytest.raises(BrowserClosed):
                for _ in range(50):  # the detach event arrives a moment after the close
                    await session.tab.evaluate("() => 1")
                    await asyncio.sleep(0.1)
        finally:
            await session.close()


async def test_warm_dropped_unpair_is_local_only_and_device_stays_listed(
    endpoint: str, sim: SimulatorHandle, tmp_path: Path
) -> None:
    """The tab's traffic, as seen over plain CDP, tells a failed unpair from an answered one."""
    profile = ProfileSettings(name="kiosk", user_data_dir=tmp_path / "profile", url=sim.url)
    await link_managed(profile.user_data_dir, sim)
    sim.configure(drop_unpair=True)
    service = SessionService(settings_for(tmp_path, sim))
    try:
        outcome = await service.logout(profile, Trigger.MANUAL, 30.0)
    finally:
        await service.close()
    assert outcome.path == "warm", outcome
    assert outcome.result is Result.LOCAL_ONLY and outcome.device_unlinked is False, outcome
    assert len(sim.devices()) == 1


async def test_unreachable_endpoint_is_a_clear_driver_error() -> None:
    async with Driver() as driver:
        with pytest.raises(Exception, match=r"cannot attach to ws://127\.0\.0\.1:9/"):
            await driver.attach("ws://127.0.0.1:9/devtools/browser/x", "http://127.0.0.1:1/", 2.0)
