"""Cold relaunch without a driver process (agent.browser.coldlaunch) on a real Chromium.

Launched over the DevTools pipe: no TCP port is opened; closing ends every process of that
browser, also when the browser does not answer or the logout hit its deadline.
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from agent.browser import portspawn, spawn
from agent.browser.coldlaunch import launch_cold
from agent.browser.discovery import Browser
from agent.browser.driver import Driver
from agent.outcome import Result, Trigger
from agent.session.service import SessionService
from agent.settings import ProfileSettings
from agent.simulator.testing import SimulatorHandle
from tests.conftest import PersistentLauncher
from tests.faults.browser_helpers import link_closed_profile
from tests.session.helpers import settings_for

pytestmark = pytest.mark.browser


def session_members(leader: int) -> list[int]:
    """Return the live processes in the session led by leader (a launched browser's tree)."""
    members = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        fields = stat[stat.rindex(")") + 2 :].split()
        if fields[0] != "Z" and int(fields[3]) == leader:  # state, ..., session id
            members.append(int(entry.name))
    return members


def listening_sockets(pids: list[int]) -> set[str]:
    """Return the listening TCP sockets (socket:[inode]) that pids hold open."""
    listening = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        for line in Path(table).read_text().splitlines()[1:]:
            fields = line.split()
            if fields[3] == "0A":  # TCP_LISTEN
                listening.add(f"socket:[{fields[9]}]")
    held = set()
    for pid in pids:
        try:
            descriptors = list(Path(f"/proc/{pid}/fd").iterdir())
        except OSError:  # ended meanwhile
            continue
        for descriptor in descriptors:
            try:  # one closed meanwhile must not hide the others (a busy browser opens many)
                target = os.readlink(descriptor)
            except OSError:
                continue
            if target in listening:
                held.add(target)
    return held


@pytest.fixture
def launched(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Record the pid of every browser the cold path starts (over its pipe or a port)."""
    pids: list[int] = []
    real_pipe, real_port = spawn.spawn_with_pipe, portspawn.spawn_with_port

    def with_pipe(command: list[str]) -> spawn.Spawned:
        spawned = real_pipe(command)
        pids.append(spawned.pid)
        return spawned

    def with_port(command: list[str]) -> portspawn.PortProcess:
        process = real_port(command)
        pids.append(process.pid)
        return process

    monkeypatch.setattr(spawn, "spawn_with_pipe", with_pipe)
    monkeypatch.setattr(portspawn, "spawn_with_port", with_port)
    return pids


async def test_a_browser_that_stops_answering_is_killed_with_its_whole_tree(
    tmp_path: Path, sim: SimulatorHandle, browser_executable: Browser, launched: list[int]
) -> None:
    session = await Driver().launch(tmp_path / "profile", sim.url, browser_executable, 60.0)
    try:
        assert session.pid == launched[0]
        members = session_members(session.pid)
        assert len(members) > 1, members  # the browser and its helpers (zygote, renderer, ...)
        assert listening_sockets(members) == set()  # the pipe: nothing to connect to
        assert await session.tab.evaluate("() => location.origin") == sim.url.rstrip("/")
        os.kill(session.pid, signal.SIGSTOP)  # it will not answer Browser.close, nor exit
    finally:
        await session.close(1.0)
    assert session_members(launched[0]) == []


async def test_without_posix_spawn_the_browser_is_driven_over_a_loopback_port_and_closed(
    tmp_path: Path, sim: SimulatorHandle, browser_executable: Browser, launched: list[int]
) -> None:
    """The route where posix_spawn is missing (Windows), run here by choice."""
    tab, browser, release = await launch_cold(
        tmp_path / "profile", sim.url, browser_executable, 60.0, True, pipe=False
    )
    try:
        assert launched == [browser.pid]
        assert listening_sockets(session_members(browser.pid))  # the DevTools port
        assert await tab.evaluate("() => location.origin") == sim.url.rstrip("/")
    finally:
        await release(5.0)
    assert session_members(launched[0]) == []


async def test_no_process_of_the_browser_survives_a_logout_that_hit_its_deadline(
    tmp_path: Path,
    sim: SimulatorHandle,
    launch_persistent: PersistentLauncher,
    launched: list[int],
) -> None:
    profile = ProfileSettings(name="kiosk", user_data_dir=tmp_path / "profile", url=sim.url)
    await link_closed_profile(launch_persistent, profile.user_data_dir, sim)
    sim.configure(startup_delay_ms=60_000)  # the client never gets past its progress bar
    service = SessionService(settings_for(tmp_path, sim))
    try:
        outcome = await service.logout(profile, Trigger.MANUAL, 8.0)
    finally:
        await service.close()
    assert outcome.result is not Result.LOGGED_OUT, outcome
    assert outcome.error is not None and "deadline" in outcome.error, outcome
    assert len(launched) == 1, outcome  # launched (on a loaded machine the deadline may come
    # during the launch itself: that browser must be gone too)
    assert session_members(launched[0]) == [], outcome


COLD_LOGOUT_ALONE = """
import asyncio, json, sys
from pathlib import Path
from agent.outcome import Trigger
from agent.session.service import SessionService
from agent.settings import ProfileSettings, Settings

state, profile, url = sys.argv[1:4]
settings = Settings.model_validate({"general": {"state_dir": state, "client_url": url}})
service = SessionService(settings)
outcome = asyncio.run(
    service.logout(ProfileSettings(name="p", user_data_dir=Path(profile), url=url),
                   Trigger.MANUAL, 60.0)
)
print(json.dumps({"result": outcome.result.value, "path": outcome.path.value,
                  "playwright": sorted(m for m in sys.modules if m.startswith("playwright"))}))
"""


async def test_a_cold_logout_loads_no_playwright_and_starts_no_node(
    tmp_path: Path, sim: SimulatorHandle, launch_persistent: PersistentLauncher
) -> None:
    """What the daemon and `kioskguard logout` run for a closed profile, in a process of its own."""
    profile = tmp_path / "profile"
    await link_closed_profile(launch_persistent, profile, sim)
    done = await asyncio.to_thread(
        subprocess.run,
        [sys.executable, "-c", COLD_LOGOUT_ALONE, str(tmp_path / "state"), str(profile), sim.url],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout.strip().splitlines()[-1])
    assert report == {"result": "logged_out", "path": "cold", "playwright": []}, done.stderr
    assert sim.devices() == []
