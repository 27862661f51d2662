"""`kioskguard status` while the managed browser runs: the live page's answer is the verdict.

Chromium writes localStorage to disk seconds late, so right after a link (or a warm logout)
the stored data still tells the state before it; the page's own keys do not lag.
"""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
from datetime import UTC
from pathlib import Path
from typing import Any

import pytest

from agent.browser.cdp import CdpConnection
from agent.browser.discovery import Browser
from agent.browser.managed import running_endpoint
from agent.commands.status import last_logout, logout_lines, verdict
from agent.daemon.clock import SystemClock
from agent.daemon.daemon import Daemon
from agent.fleet.kiosk import FleetLink
from agent.outcome import LOCAL_ONLY_NOTE, Linked, ProbeResult, Result, Trigger
from agent.probe.probe import probe_user_data_dir
from agent.session.service import PageReading, SessionService, combine
from agent.settings import ProfileSettings
from agent.simulator.testing import SimulatorHandle
from tests.faults.status_helpers import HANG_GUARD_S, wait_for_disk
from tests.session.helpers import link_managed, managed_browser, settings_for


def status(profile_dir: Path, url: str, home: Path) -> dict[str, Any]:
    """Run `kioskguard status --json` as a user would; return its report."""
    arguments = ["status", "--profile", str(profile_dir), "--json"]
    result = subprocess.run(
        [sys.executable, "-m", "agent", *arguments],
        capture_output=True,
        text=True,
        timeout=HANG_GUARD_S,
        cwd=home,
        env={
            "PATH": "/usr/bin:/bin",
            "HOME": str(home),
            "XDG_STATE_HOME": str(home / "state"),
            "KIOSKGUARD_GENERAL__CLIENT_URL": url,  # the configured client
        },
    )
    assert result.returncode == 0, result.stderr
    report: dict[str, Any] = json.loads(result.stdout)
    return report


def page_targets(endpoint: str) -> list[str]:
    """Return the ids of the browser's page targets (to prove status opened none)."""

    async def read() -> list[str]:
        connection = await CdpConnection.open(endpoint, 5.0)
        try:
            targets = (await connection.send("Target.getTargets"))["targetInfos"]
        finally:
            await connection.close()
        return sorted(t["targetId"] for t in targets if t["type"] == "page")

    return asyncio.run(read())


@pytest.mark.browser
def test_status_reports_the_live_page_right_after_link_and_warm_logout(
    tmp_path: Path,
    sim: SimulatorHandle,
    browser_executable: Browser,
    managed_port: int,
) -> None:
    profile_dir = tmp_path / "profile"
    profile = ProfileSettings(name="kiosk", user_data_dir=profile_dir, url=sim.url)
    with managed_browser(browser_executable, profile_dir, sim.url, port=managed_port):
        endpoint = running_endpoint(profile_dir)
        assert endpoint
        asyncio.run(link_managed(profile_dir, sim))
        before = page_targets(endpoint)
        linked = status(profile_dir, sim.url, tmp_path)
        assert (linked["linked"], linked["source"]) == ("linked", "page"), linked
        assert linked["browser"]["page"] == "chats", linked
        assert page_targets(endpoint) == before  # no client tab opened for it
        wait_for_disk(profile_dir, sim.url, Linked.LINKED)  # the disk now holds the session

        async def warm_logout() -> None:
            service = SessionService(settings_for(tmp_path, sim))
            try:
                outcome = await service.logout(profile, Trigger.MANUAL, 60.0)
            finally:
                await service.close()
            assert outcome.result is Result.LOGGED_OUT and outcome.path == "warm", outcome

        asyncio.run(warm_logout())
        after = status(profile_dir, sim.url, tmp_path)
        assert (after["linked"], after["source"]) == ("not_linked", "page"), after
        assert (
            after["browser"]["page"] in {"qr", "logged_out"} and after["browser"]["keys"] == []
        ), after
    # No browser: the stored data alone. (A browser stopped seconds after the logout may not
    # have written it: the disk can still hold the keys, which a browser-closed logout handles.)
    closed = status(profile_dir, sim.url, tmp_path)
    assert closed["source"] == "disk" and closed["browser"] == {"running": False}, closed
    on_disk = combine(probe_user_data_dir(profile_dir, sim.url), "", "").linked.value
    assert closed["linked"] == on_disk, closed


def test_status_verdict_prefers_the_page_and_keeps_the_disk_as_detail() -> None:
    disk = [ProbeResult("Default", "https://x", Linked.NOT_LINKED)]
    page = PageReading(running=True, endpoint="ws://x", linked=Linked.LINKED)
    assert verdict(page, disk) == ("linked", "page")
    unread = PageReading(running=True, endpoint="ws://x", error="no answer")
    assert verdict(unread, disk) == ("not_linked", "disk")
    stored = [ProbeResult("Default", "https://x", Linked.LINKED)]
    assert verdict(PageReading(running=False), stored) == ("linked", "disk")


@pytest.mark.browser
def test_fleet_status_reports_the_live_page_right_after_link_and_warm_logout(
    tmp_path: Path, sim: SimulatorHandle, browser_executable: Browser
) -> None:
    """The kiosk's retained fleet status reads the page too (no broker needed to refresh it)."""
    profile_dir = tmp_path / "profile"
    settings = settings_for(
        tmp_path,
        sim,
        profiles=[{"name": "kiosk", "user_data_dir": str(profile_dir), "url": sim.url}],
        fleet={"enabled": True, "site": "lib", "host": "k1", "tls": False},
    )
    fleet = FleetLink(settings)
    service = SessionService(settings)

    async def linked() -> list[str]:
        await fleet.refresh_linked()
        return [entry["linked"] for entry in fleet.status()["profiles"]]

    async def scenario() -> None:
        fleet.daemon = Daemon(settings, service, SystemClock(UTC), hooks=[fleet.record_outcome])
        profile = fleet.daemon.profiles[0]
        try:
            with managed_browser(browser_executable, profile_dir, sim.url):
                await link_managed(profile_dir, sim)
                assert await linked() == ["linked"]
                await asyncio.to_thread(wait_for_disk, profile_dir, sim.url, Linked.LINKED)
                outcome = await service.logout(profile, Trigger.MANUAL, 60.0)
                assert outcome.result is Result.LOGGED_OUT and outcome.path == "warm", outcome
                assert await linked() == ["not_linked"]
        finally:
            await service.close()

    asyncio.run(scenario())


def test_status_last_logout_finds_the_profile_s_last_record_past_a_cut_line(
    tmp_path: Path,
) -> None:
    profile = ProfileSettings(name="cli", user_data_dir=tmp_path / "profile")
    audit = tmp_path / "audit.jsonl"
    mine = {
        "at": "2026-11-22T04:07:25.000+00:00",
        "profile": "managed",
        "trigger": "browser_closed",
        "result": "local_only",
        "verified": False,
        "error": "the session was live at 04:07:25 but never reached the disk",
        "notes": [f"user data dir: {profile.user_data_dir}"],
    }
    other = {**mine, "profile": "desk", "result": "logged_out", "notes": []}
    audit.write_text('ut": "x"}\n' + json.dumps(mine) + "\n" + json.dumps(other) + "\n")
    record = last_logout(audit, profile)
    assert record == mine
    lines = logout_lines(mine)
    assert lines[0].startswith("last logout: local_only (browser_closed) at 2026-11-22T04:07")
    assert "never reached the disk" in lines[1] and LOCAL_ONLY_NOTE in lines[2]
    assert last_logout(tmp_path / "missing.jsonl", profile) is None
