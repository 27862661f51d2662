"""Reading a running page (linked_now, the warning, idle input) and then a cold logout of the
same profile through the same SessionService, as the daemon does when the browser closes.

Reported once: after linked_now had attached to the running browser, the browser-closed cold
logout hung with no log line for ~60 s. These tests run that sequence with a real managed
browser and the simulator; the logout must finish, verified, within its own deadline.
"""

from __future__ import annotations

import asyncio
from datetime import UTC
from pathlib import Path

import pytest

from agent.browser.discovery import Browser
from agent.browser.driver import Driver
from agent.browser.managed import running_endpoint
from agent.daemon.clock import SystemClock
from agent.daemon.daemon import Daemon
from agent.outcome import Linked, Result, Trigger
from agent.session.service import SessionService
from agent.settings import ProfileSettings
from agent.simulator.testing import SimulatorHandle
from tests.faults.status_helpers import wait_for_disk
from tests.session.helpers import link_managed, managed_browser, settings_for

pytestmark = pytest.mark.browser

DEADLINE_S = 45.0
GRACE_S = 15.0  # the logout's own deadline plus this: only against a hang, not a speed check


async def read_running_page(service: SessionService, profile: ProfileSettings) -> None:
    """Read the page the ways the daemon does while the browser runs, a few times each."""
    for _ in range(3):
        assert await service.linked_now(profile) is Linked.LINKED
        idle = await service.page_input_idle_seconds(profile)
        assert idle is None or idle >= 0
    assert (await service.show_warning(profile, 1)).value in {"completed", "cancelled"}


async def cold_logout(service: SessionService, profile: ProfileSettings) -> None:
    outcome = await asyncio.wait_for(
        service.logout(profile, Trigger.BROWSER_CLOSED, DEADLINE_S), DEADLINE_S + GRACE_S
    )
    assert outcome.result is Result.LOGGED_OUT and outcome.path == "cold", outcome


def test_cold_logout_after_reading_the_running_page_finishes_in_its_deadline(
    tmp_path: Path, sim: SimulatorHandle, browser_executable: Browser, managed_port: int
) -> None:
    profile = ProfileSettings(name="kiosk", user_data_dir=tmp_path / "profile", url=sim.url)
    service = SessionService(settings_for(tmp_path, sim))

    async def scenario() -> None:
        try:
            with managed_browser(
                browser_executable, profile.user_data_dir, sim.url, port=managed_port
            ):
                await link_managed(profile.user_data_dir, sim)
                await read_running_page(service, profile)
                await asyncio.to_thread(
                    wait_for_disk, profile.user_data_dir, sim.url, Linked.LINKED
                )
            await cold_logout(service, profile)
        finally:
            await service.close()

    asyncio.run(scenario())
    assert sim.devices() == []


def test_cold_logout_while_the_status_keeps_calling_linked_now_finishes_in_its_deadline(
    tmp_path: Path, sim: SimulatorHandle, browser_executable: Browser
) -> None:
    """The fleet's status refresh calling linked_now all along, as it once did."""
    profile = ProfileSettings(name="kiosk", user_data_dir=tmp_path / "profile", url=sim.url)
    service = SessionService(settings_for(tmp_path, sim))
    answers: list[Linked] = []

    async def status_loop(stop: asyncio.Event) -> None:
        while not stop.is_set():
            answers.append(await asyncio.wait_for(service.linked_now(profile), 10.0))
            await asyncio.sleep(0.05)

    async def scenario() -> None:
        stop = asyncio.Event()
        try:
            with managed_browser(browser_executable, profile.user_data_dir, sim.url):
                await link_managed(profile.user_data_dir, sim)
                poller = asyncio.create_task(status_loop(stop))
                await read_running_page(service, profile)
                await asyncio.to_thread(
                    wait_for_disk, profile.user_data_dir, sim.url, Linked.LINKED
                )
            await cold_logout(service, profile)
            stop.set()
            await asyncio.wait_for(poller, 15.0)
        finally:
            stop.set()
            await service.close()

    asyncio.run(scenario())
    assert Linked.LINKED in answers and sim.devices() == []


async def banner_shown(profile_dir: Path, url: str) -> None:
    """Wait until the closing-time banner is on the client's page."""
    endpoint = running_endpoint(profile_dir)
    assert endpoint
    session = await Driver().attach(endpoint, url, 10.0, open_if_missing=False)
    try:
        for _ in range(200):
            if await session.tab.evaluate("() => !!document.getElementById('kioskguard-warning')"):
                return
            await asyncio.sleep(0.1)
        pytest.fail("the closing-time banner never showed")
    finally:
        await session.close()


def test_daemon_browser_closed_logout_after_page_reads_and_a_warning_finishes_in_its_deadline(
    tmp_path: Path, sim: SimulatorHandle, browser_executable: Browser
) -> None:
    """The daemon's own sequence: browser watched open, linked_now and the closing-time
    warning read the page, the browser closes mid-countdown, the browser watch's cold logout."""
    profile_dir = tmp_path / "profile"
    settings = settings_for(
        tmp_path,
        sim,
        profiles=[{"name": "kiosk", "user_data_dir": str(profile_dir), "url": sim.url}],
        closing_time={"warn_minutes": 1},
        logout={"deadline_s": DEADLINE_S},
    )
    service = SessionService(settings)
    daemon = Daemon(settings, service, SystemClock(UTC))
    profile = daemon.profiles[0]

    async def scenario() -> None:
        try:
            with managed_browser(browser_executable, profile_dir, sim.url):
                await link_managed(profile_dir, sim)
                await asyncio.to_thread(wait_for_disk, profile_dir, sim.url, Linked.LINKED)
                assert await daemon.watch_browsers() == []  # notes the browser open
                for _ in range(3):
                    assert await daemon._linked_now(profile) is Linked.LINKED
                    await service.page_input_idle_seconds(profile)
                warning = asyncio.create_task(daemon.closing_warning())
                await banner_shown(profile_dir, sim.url)
            # the browser closed during the countdown
            outcomes = await asyncio.wait_for(daemon.watch_browsers(), DEADLINE_S + GRACE_S)
            assert [(o.result, o.path) for o in outcomes] == [(Result.LOGGED_OUT, "cold")], outcomes
            await asyncio.wait_for(warning, GRACE_S)  # ends with the browser, not the countdown
        finally:
            await service.close()

    asyncio.run(scenario())
    assert sim.devices() == []


def test_cold_logout_after_page_reads_cut_short_by_their_callers_finishes_in_its_deadline(
    tmp_path: Path, sim: SimulatorHandle, browser_executable: Browser
) -> None:
    """The daemon bounds linked_now with asyncio.wait_for: reads cancelled at any point (while
    attaching, reading, detaching) must leave nothing that holds up the later cold logout."""
    profile = ProfileSettings(name="kiosk", user_data_dir=tmp_path / "profile", url=sim.url)
    service = SessionService(settings_for(tmp_path, sim))
    cut_short = 0

    async def scenario() -> None:
        nonlocal cut_short
        try:
            with managed_browser(browser_executable, profile.user_data_dir, sim.url):
                await link_managed(profile.user_data_dir, sim)
                await asyncio.to_thread(
                    wait_for_disk, profile.user_data_dir, sim.url, Linked.LINKED
                )
                for limit_s in (0.001, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.4) * 2:
                    try:
                        await asyncio.wait_for(service.linked_now(profile), limit_s)
                    except TimeoutError:
                        cut_short += 1
                assert await service.linked_now(profile) is Linked.LINKED
            await cold_logout(service, profile)
        finally:
            await service.close()

    asyncio.run(scenario())
    assert cut_short > 0  # at least some reads were cancelled part way
    assert sim.devices() == []
