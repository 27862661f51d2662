"""Warm and cold paths, locks and the fallback, through SessionService (real Chromium)."""

from __future__ import annotations

import asyncio
import os
import socket
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from agent.browser.cdp import CdpConnection
from agent.browser.discovery import Browser, find_headless_shell
from agent.browser.managed import running_endpoint
from agent.outcome import Linked, PageState, Result, Trigger
from agent.probe.probe import probe_profile
from agent.session.service import SessionService
from agent.settings import ProfileSettings
from agent.simulator.testing import SimulatorHandle
from tests.conftest import PersistentLauncher
from tests.session.helpers import link_managed, linked_tab, managed_browser, settings_for

pytestmark = pytest.mark.browser


@pytest.fixture
def managed(
    profile: ProfileSettings, browser_executable: Browser, sim: SimulatorHandle
) -> Iterator[str]:
    """Start the managed browser headless on the profile; yield its CDP endpoint."""
    with managed_browser(browser_executable, profile.user_data_dir, sim.url):
        endpoint = running_endpoint(profile.user_data_dir)
        assert endpoint
        yield endpoint


async def link_cold(
    launch_persistent: PersistentLauncher, profile: ProfileSettings, sim: SimulatorHandle
) -> None:
    context = await launch_persistent(profile.user_data_dir)
    page = context.pages[0] if context.pages else await context.new_page()
    await linked_tab(page, sim)
    await context.close()


async def test_cold_logout_of_closed_browser_is_verified_and_unlinks(
    launch_persistent: PersistentLauncher,
    profile: ProfileSettings,
    service: SessionService,
    sim: SimulatorHandle,
) -> None:
    await link_cold(launch_persistent, profile, sim)
    assert probe_profile(profile.user_data_dir / "Default", sim.url).linked is Linked.LINKED
    outcome = await service.logout(profile, Trigger.BROWSER_CLOSED, 30.0)
    assert outcome.result is Result.LOGGED_OUT and outcome.verified, outcome
    assert outcome.path == "cold" and sim.devices() == []
    assert probe_profile(profile.user_data_dir / "Default", sim.url).linked is Linked.NOT_LINKED


async def test_cold_relaunch_uses_the_same_build_shell_and_the_browser_reopens_the_profile(
    launch_persistent: PersistentLauncher,
    profile: ProfileSettings,
    service: SessionService,
    sim: SimulatorHandle,
    browser_executable: Browser,
) -> None:
    """The relaunch runs the headless shell of the visitor browser's own build when there is
    one (bootstrap installs it on Debian), and the visitor's browser then opens the profile as
    its own: same recorded version, QR screen, no session keys."""
    await link_cold(launch_persistent, profile, sim)
    last_version = (profile.user_data_dir / "Last Version").read_text()
    outcome = await service.logout(profile, Trigger.BROWSER_CLOSED, 30.0)
    assert outcome.result is Result.LOGGED_OUT and outcome.verified, outcome
    relaunch = find_headless_shell(browser_executable) or browser_executable
    assert f"relaunched with {relaunch.kind} {relaunch.path}" in outcome.notes
    assert (profile.user_data_dir / "Last Version").read_text() == last_version
    context = await launch_persistent(profile.user_data_dir)
    page = context.pages[0] if context.pages else await context.new_page()
    await page.goto(sim.url)
    await page.locator("div[data-ref] canvas").wait_for()
    keys = await page.evaluate("Object.keys(localStorage)")
    assert not {"last-wid-md", "WANoiseInfo"} & set(keys)
    await context.close()


async def test_headless_shell_off_relaunches_the_browser_itself(
    launch_persistent: PersistentLauncher,
    profile: ProfileSettings,
    sim: SimulatorHandle,
    browser_executable: Browser,
    tmp_path: Path,
) -> None:
    settings = settings_for(tmp_path, sim, browser={"headless_shell": False})
    service = SessionService(settings)
    try:
        await link_cold(launch_persistent, profile, sim)
        outcome = await service.logout(profile, Trigger.BROWSER_CLOSED, 30.0)
    finally:
        await service.close()
    assert outcome.result is Result.LOGGED_OUT and outcome.verified, outcome
    expected = f"relaunched with {browser_executable.kind} {browser_executable.path}"
    assert expected in outcome.notes


async def test_closed_profiles_log_out_in_parallel_within_the_launch_limit(
    launch_persistent: PersistentLauncher,
    sim: SimulatorHandle,
    tmp_path: Path,
) -> None:
    settings = settings_for(tmp_path, sim, logout={"parallel_launches": 2})
    profiles = [
        ProfileSettings(name=f"seat-{n}", user_data_dir=tmp_path / f"seat-{n}", url=sim.url)
        for n in range(3)
    ]
    for seat in profiles:
        await link_cold(launch_persistent, seat, sim)
    assert len(sim.devices()) == 3
    service = SessionService(settings)
    try:
        outcomes = await asyncio.gather(
            *(service.logout(seat, Trigger.SCHEDULE, 60.0) for seat in profiles)
        )
    finally:
        await service.close()
    assert [o.result for o in outcomes] == [Result.LOGGED_OUT] * 3, outcomes
    assert sim.devices() == []
    # how many ran at once: test_service_branches, on the FakeDriver


async def test_warm_logout_keeps_the_visitors_browser_open(
    managed: str, profile: ProfileSettings, service: SessionService, sim: SimulatorHandle
) -> None:
    await link_managed(profile.user_data_dir, sim)
    outcome = await service.logout(profile, Trigger.IDLE, 30.0)
    assert outcome.result is Result.LOGGED_OUT and outcome.path == "warm", outcome
    assert sim.devices() == []
    assert running_endpoint(profile.user_data_dir) == managed


async def test_not_linked_profile_needs_no_browser(
    profile: ProfileSettings, service: SessionService
) -> None:
    profile.user_data_dir.mkdir()
    outcome = await service.logout(profile, Trigger.SCHEDULE, 30.0)
    assert outcome.result is Result.NOTHING_TO_DO and outcome.path == "offline"


async def test_live_lock_without_debugging_port_is_profile_busy(
    launch_persistent: PersistentLauncher,
    profile: ProfileSettings,
    service: SessionService,
    sim: SimulatorHandle,
) -> None:
    await launch_persistent(profile.user_data_dir)  # Playwright's pipe: no DevTools port
    outcome = await service.logout(profile, Trigger.MANUAL, 10.0)
    assert outcome.result is Result.FAILED
    assert outcome.error and "debugging port" in outcome.error


async def test_foreign_lock_is_never_touched(
    launch_persistent: PersistentLauncher,
    profile: ProfileSettings,
    service: SessionService,
    sim: SimulatorHandle,
) -> None:
    await link_cold(launch_persistent, profile, sim)
    os.symlink("another-computer-4242", profile.user_data_dir / "SingletonLock")
    outcome = await service.logout(profile, Trigger.MANUAL, 10.0)
    assert outcome.result is Result.FAILED and "another computer" in (outcome.error or "")
    assert os.readlink(profile.user_data_dir / "SingletonLock") == "another-computer-4242"
    assert len(sim.devices()) == 1


async def test_stale_lock_is_cleared_and_the_cold_path_runs(
    launch_persistent: PersistentLauncher,
    profile: ProfileSettings,
    service: SessionService,
    sim: SimulatorHandle,
) -> None:
    await link_cold(launch_persistent, profile, sim)
    dead = subprocess.Popen(["true"])
    dead.wait()
    os.symlink(f"{socket.gethostname()}-{dead.pid}", profile.user_data_dir / "SingletonLock")
    outcome = await service.logout(profile, Trigger.MANUAL, 30.0)
    assert outcome.result is Result.LOGGED_OUT and outcome.path == "cold", outcome


async def test_keys_left_after_qr_fall_back_to_local_only(
    launch_persistent: PersistentLauncher,
    profile: ProfileSettings,
    service: SessionService,
    sim: SimulatorHandle,
) -> None:
    await link_cold(launch_persistent, profile, sim)
    sim.configure(keys_survive_logout=True)
    outcome = await service.logout(profile, Trigger.MANUAL, 30.0)
    assert outcome.result is Result.LOCAL_ONLY and outcome.result.exit_code == 3
    assert not outcome.verified and outcome.fallback_used
    assert probe_profile(profile.user_data_dir / "Default", sim.url).linked is Linked.NOT_LINKED


async def test_dropped_unpair_is_local_only_and_device_stays_listed(
    launch_persistent: PersistentLauncher,
    profile: ProfileSettings,
    service: SessionService,
    sim: SimulatorHandle,
) -> None:
    await link_cold(launch_persistent, profile, sim)
    sim.configure(drop_unpair=True)
    outcome = await service.logout(profile, Trigger.MANUAL, 30.0)
    assert outcome.result is Result.LOCAL_ONLY and outcome.device_unlinked is False
    assert len(sim.devices()) == 1


async def test_state_before_is_read_from_the_page(
    managed: str, profile: ProfileSettings, service: SessionService, sim: SimulatorHandle
) -> None:
    await link_managed(profile.user_data_dir, sim)
    outcome = await service.logout(profile, Trigger.MANUAL, 30.0)
    assert outcome.state_before is PageState.CHATS


async def test_linked_now_reads_the_running_page_not_the_lagging_disk(
    managed: str, profile: ProfileSettings, service: SessionService, sim: SimulatorHandle
) -> None:
    await link_managed(profile.user_data_dir, sim)
    assert await service.linked_now(profile) is Linked.LINKED  # at once, whatever the disk says
    outcome = await service.logout(profile, Trigger.IDLE, 30.0)
    assert outcome.result is Result.LOGGED_OUT, outcome
    assert await service.linked_now(profile) is Linked.NOT_LINKED


async def test_linked_now_never_opens_the_client_in_the_visitors_browser(
    managed: str, profile: ProfileSettings, service: SessionService, sim: SimulatorHandle
) -> None:
    other = profile.model_copy(update={"url": sim.url.replace("127.0.0.1", "localhost")})
    connection = await CdpConnection.open(managed, 5.0)
    try:
        before = (await connection.send("Target.getTargets"))["targetInfos"]
        # the probe's answer: nothing stored for that origin, or (a browser started a moment
        # ago under load has no Local Storage LevelDB yet) unknown, never linked
        assert await service.linked_now(other) in (Linked.NOT_LINKED, Linked.UNKNOWN)
        after = (await connection.send("Target.getTargets"))["targetInfos"]
    finally:
        await connection.close()
    pages = sorted(t["targetId"] for t in before if t["type"] == "page")
    assert sorted(t["targetId"] for t in after if t["type"] == "page") == pages
