"""Warm and cold paths, locks and the fallback, through SessionService (real Chromium)."""

from __future__ import annotations

import os
import socket
import subprocess
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
import pytest_asyncio

from agent.browser.discovery import Browser
from agent.browser.managed import running_endpoint
from agent.outcome import Linked, PageState, Result, Trigger
from agent.probe.probe import probe_profile
from agent.session.service import SessionService
from agent.settings import ProfileSettings, Settings
from agent.simulator.testing import SimulatorHandle
from tests.conftest import PersistentLauncher
from tests.session.helpers import link_managed, linked_tab, managed_browser

pytestmark = pytest.mark.browser


@pytest.fixture
def profile(tmp_path: Path, sim: SimulatorHandle) -> ProfileSettings:
    return ProfileSettings(name="kiosk", user_data_dir=tmp_path / "profile", url=sim.url)


@pytest_asyncio.fixture
async def service(tmp_path: Path, sim: SimulatorHandle) -> AsyncIterator[SessionService]:
    settings = Settings.model_validate(
        {"general": {"state_dir": str(tmp_path / "state"), "client_url": sim.url}}
    )
    instance = SessionService(settings)
    yield instance
    await instance.close()


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
