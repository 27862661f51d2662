"""Helpers for session-layer tests: a linked client tab on the simulator, and the fixtures of a
guarded profile and its SessionService (registered by tests/session/conftest.py and
tests/faults/conftest.py)."""

from __future__ import annotations

import asyncio
import subprocess
import time
from collections.abc import AsyncIterator, Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
import pytest_asyncio
from playwright.async_api import Page

from agent.browser.discovery import Browser
from agent.browser.driver import Driver
from agent.browser.managed import running_endpoint, start_managed
from agent.browser.relaunch import Tab
from agent.linking import QR_TOKEN, wait_for_state
from agent.outcome import Linked, PageState
from agent.probe.probe import probe_user_data_dir
from agent.session.service import SessionService
from agent.settings import ProfileSettings, Settings
from agent.simulator.testing import SimulatorHandle
from agent.urls import origin_of


async def link(tab: Tab, sim: SimulatorHandle) -> None:
    """Link the tab's page through the phone API and wait for the chats."""
    await wait_for_state(tab, {PageState.QR, PageState.LOGGED_OUT}, 15.0)
    sim.link(await tab.evaluate(QR_TOKEN))
    await wait_for_state(tab, {PageState.CHATS, PageState.OFFLINE}, 10.0)


async def linked_tab(page: Page, sim: SimulatorHandle, **config: object) -> Tab:
    """Return a tab linked to the simulator, reloaded under the given simulator config."""
    tab = Tab(page, origin_of(sim.url))
    await tab.goto(sim.url, 15.0)
    await link(tab, sim)
    sim.configure(**config)
    await tab.goto(sim.url, 15.0)  # the next visit shows the configured screens
    return tab


def deadline(seconds: float = 30.0) -> float:
    return time.monotonic() + seconds


@contextmanager
def managed_browser(
    executable: Browser, profile_dir: Path, url: str, port: int = 0
) -> Iterator[subprocess.Popen[bytes]]:
    """Run the managed browser headless on profile_dir (DevTools on port; 0: any free one)
    until its proven endpoint answers; yield it."""
    process = start_managed(executable, profile_dir, url, port=port, headless=True)
    port_option = {"port": port} if port else {}  # port 0: DevToolsActivePort names it
    try:
        for _ in range(300):
            if running_endpoint(profile_dir, timeout_s=0.2, **port_option):
                break
            if process.poll() is not None:
                pytest.fail(f"managed browser exited with {process.returncode}")
            time.sleep(0.1)
        else:
            pytest.fail("managed browser did not start")
        yield process
    finally:
        if process.poll() is None:
            process.terminate()
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()


async def link_managed(
    profile_dir: Path, sim: SimulatorHandle, *, port: int | None = 9222, timeout_s: float = 1.0
) -> None:
    """Link the managed browser's client tab through the phone API (its endpoint found on
    DevToolsActivePort's port or the given one, each answer waited for up to timeout_s)."""
    endpoint = running_endpoint(profile_dir, timeout_s=timeout_s, port=port)
    assert endpoint, "the managed browser has no DevTools endpoint"
    async with Driver() as driver:
        session = await driver.attach(endpoint, sim.url, 15.0)
        try:
            await link(session.tab, sim)
        finally:
            await session.close()


def settings_for(tmp_path: Path, sim: SimulatorHandle, **sections: object) -> Settings:
    """Settings with a state dir under tmp_path, the simulator as client, plus sections."""
    general = {"state_dir": str(tmp_path / "state"), "client_url": sim.url}
    return Settings.model_validate({"general": general, **sections})


@pytest.fixture
def profile(tmp_path: Path, sim: SimulatorHandle) -> ProfileSettings:
    """Return the guarded profile "kiosk": tmp_path/profile, the simulator as its client."""
    return ProfileSettings(name="kiosk", user_data_dir=tmp_path / "profile", url=sim.url)


@pytest_asyncio.fixture
async def service(tmp_path: Path, sim: SimulatorHandle) -> AsyncIterator[SessionService]:
    """Return a SessionService on settings_for(tmp_path, sim) (DevTools port: the default
    9222), closed after the test."""
    instance = SessionService(settings_for(tmp_path, sim))
    yield instance
    await instance.close()


async def stored_on_disk(profile_dir: Path, url: str, timeout_s: float = 30.0) -> None:
    """Wait until the profile's session is on disk: the browser writes localStorage seconds after
    the page, and a browser stopped before that leaves nothing stored to log out."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        results = await asyncio.to_thread(probe_user_data_dir, profile_dir, url)
        if any(result.linked is Linked.LINKED for result in results):
            return
        await asyncio.sleep(0.3)
    raise AssertionError(f"{profile_dir}: the session never reached the disk")
