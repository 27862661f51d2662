"""Faults: the managed browser on the configured port, and endpoints that are not the profile's.

Reported: with the default port 9222 the agent never found the managed browser; and a profile
open in a browser without a debugging port, whose leftover DevToolsActivePort named another live
browser's port, got that other browser's visitor logged out, reported as its own logout.
"""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

import pytest

from agent.browser.discovery import Browser
from agent.browser.locks import read_lock
from agent.browser.managed import devtools_port
from agent.outcome import PageState, Result, Trigger
from agent.session.service import SessionService
from agent.settings import ProfileSettings
from agent.simulator.testing import SimulatorHandle
from tests.conftest import PersistentLauncher
from tests.daemon_integration.conftest import wait_until
from tests.faults.browser_helpers import kioskguard, page_state, stop_detached
from tests.session.helpers import link_managed, linked_tab, managed_browser

pytestmark = pytest.mark.browser


async def test_leftover_port_of_another_browser_answers_busy_and_touches_nothing(
    tmp_path: Path,
    managed_port: int,
    browser_executable: Browser,
    launch_persistent: PersistentLauncher,
    service: SessionService,
    sim: SimulatorHandle,
) -> None:
    """Profile A is open (and linked) in a browser without a debugging port; its leftover
    DevToolsActivePort names the port of browser B, another profile's, whose visitor is linked.
    With B on 9222, A's configured port names B as well."""
    other = tmp_path / "other-profile"
    with managed_browser(browser_executable, other, sim.url, port=managed_port):
        await link_managed(other, sim)
        other_port = managed_port or devtools_port(other)
        assert other_port
        mine = tmp_path / "profile"
        context = await launch_persistent(mine)  # Playwright's pipe: no DevTools port
        await linked_tab(context.pages[0], sim)
        (mine / "DevToolsActivePort").write_text(f"{other_port}\n/devtools/browser/leftover")
        devices_before = [device["id"] for device in sim.devices()]
        assert len(devices_before) == 2

        profile = ProfileSettings(name="kiosk", user_data_dir=mine, url=sim.url)
        outcome = await service.logout(profile, Trigger.MANUAL, 20.0)

        assert outcome.result is Result.FAILED, outcome
        assert outcome.error and "without a debugging port proven to be its own" in outcome.error
        assert [device["id"] for device in sim.devices()] == devices_before  # nobody logged out
        assert await page_state(other, sim.url, managed_port or None) is PageState.CHATS
        state = await context.pages[0].evaluate("Object.keys(localStorage)")
        assert {"last-wid-md", "WANoiseInfo"} <= set(state)  # A's own session untouched

        status = kioskguard(
            "status", "--profile", str(mine), "--json", home=tmp_path, client=sim.url
        )
        assert status.returncode == 0, status.stderr
        browser = json.loads(status.stdout)["browser"]
        assert browser["running"] is True and browser["endpoint"] is None, browser
        assert f":{other_port}/" not in status.stdout


@pytest.mark.usefixtures("xvfb_display")
def test_default_port_browser_status_and_logout_work_with_the_defaults(
    tmp_path: Path, default_port: int, sim: SimulatorHandle
) -> None:
    """`kioskguard browser` with no port option uses 9222; `status` and `logout` find it there."""
    profile = tmp_path / "profile"
    started = kioskguard(
        "browser", "--headless", "--profile", str(profile), home=tmp_path, client=sim.url
    )
    pid = read_lock(profile).pid if profile.exists() else None
    try:
        assert started.returncode == 0, started.stderr
        assert f"ws://127.0.0.1:{default_port}/" in started.stdout
        assert not (profile / "DevToolsActivePort").exists()  # found by the configured port
        asyncio.run(link_managed(profile, sim))
        assert len(sim.devices()) == 1

        def status_with_page() -> dict[str, Any] | None:
            """Run status; return its browser part once it read the page (status reads it
            within 5 s: on a loaded machine it may say why it did not, then ask again)."""
            status = kioskguard(
                "status", "--profile", str(profile), "--json", home=tmp_path, client=sim.url
            )
            assert status.returncode == 0, status.stderr
            found: dict[str, Any] = json.loads(status.stdout)["browser"]
            assert found["running"] is True and f":{default_port}/" in found["endpoint"], found
            assert "page" in found or found.get("error"), found  # read, or says why not
            return found if "page" in found else None

        browser = wait_until(status_with_page, "status reading the page")
        assert browser["page"] == "chats", browser

        logout = kioskguard(
            "logout", "--profile", str(profile), "--json", home=tmp_path, client=sim.url
        )
        outcome = json.loads(logout.stdout.strip().splitlines()[-1])
        assert logout.returncode == 0, logout.stderr
        assert outcome["result"] == "logged_out" and outcome["path"] == "warm", outcome
        assert sim.devices() == []
    finally:
        stop_detached(profile, pid)  # detached from this test: port 9222 free again
