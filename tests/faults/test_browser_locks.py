"""Faults: a closed profile held for the whole cold logout, and one logout per profile.

Reported: the headless shell takes no SingletonLock, so a visitor's browser opened the profile
during a logout ("Database IO error"); two logout runs on one profile both launched it, one
answered nothing_to_do while linked, and the lock of a live holder was deleted.
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from agent.browser.discovery import QUIET_ARGS, Browser
from agent.browser.locks import SINGLETON_NAMES, LockState, read_lock
from agent.outcome import Linked, Result, Trigger
from agent.probe.probe import probe_profile
from agent.session.service import SessionService
from agent.settings import ProfileSettings
from agent.simulator.testing import SimulatorHandle
from tests.conftest import PersistentLauncher
from tests.faults.browser_helpers import HANG_GUARD_S, link_closed_profile, start_kioskguard

pytestmark = pytest.mark.browser


async def wait_for_lock(user_data_dir: Path, wanted: LockState, task: asyncio.Task[object]) -> None:
    """Wait until the profile's lock is in the wanted state (fail if the task ends first)."""
    deadline = time.monotonic() + HANG_GUARD_S
    while read_lock(user_data_dir).state is not wanted:
        assert not task.done(), f"the logout ended before the lock was {wanted}: {task.result()}"
        assert time.monotonic() < deadline, f"the lock never became {wanted}"
        await asyncio.sleep(0.02)


def singleton_entries(user_data_dir: Path) -> list[str]:
    return [name for name in SINGLETON_NAMES if (user_data_dir / name).is_symlink()]


@pytest.mark.usefixtures("xvfb_display")
async def test_visitors_browser_cannot_open_the_profile_during_a_cold_logout(
    launch_persistent: PersistentLauncher,
    profile: ProfileSettings,
    service: SessionService,
    sim: SimulatorHandle,
    browser_executable: Browser,
) -> None:
    user_data_dir = profile.user_data_dir
    await link_closed_profile(launch_persistent, user_data_dir, sim)
    sim.configure(startup_delay_ms=4000)  # the client loads slowly: the logout takes a while
    logout = asyncio.create_task(service.logout(profile, Trigger.BROWSER_CLOSED, 60.0))
    await wait_for_lock(user_data_dir, LockState.AGENT, logout)
    sandbox = ["--no-sandbox"] if os.geteuid() == 0 else []
    visitor = subprocess.Popen(
        [str(browser_executable.path), f"--user-data-dir={user_data_dir}", *QUIET_ARGS,
         *sandbox, sim.url],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        # A browser that finds the profile in use hands over its command line and exits.
        await asyncio.to_thread(visitor.wait, HANG_GUARD_S)
    finally:
        if visitor.poll() is None:
            visitor.kill()
            visitor.wait()
    outcome = await logout
    assert outcome.result is Result.LOGGED_OUT and outcome.verified, outcome
    assert any("refused (1 time(s))" in note for note in outcome.notes), outcome.notes
    assert sim.devices() == []
    assert read_lock(user_data_dir).state is LockState.NONE
    assert singleton_entries(user_data_dir) == []  # no lock left behind
    assert probe_profile(user_data_dir / "Default", sim.url).linked is Linked.NOT_LINKED


HOLDER = """
import sys, time
from pathlib import Path
from agent.browser.singleton import hold_profile
with hold_profile(Path(sys.argv[1])):
    print("held", flush=True)
    time.sleep(600)
"""


async def test_live_holders_lock_is_never_removed_and_a_killed_ones_is_cleared(
    launch_persistent: PersistentLauncher,
    profile: ProfileSettings,
    service: SessionService,
    sim: SimulatorHandle,
) -> None:
    user_data_dir = profile.user_data_dir
    await link_closed_profile(launch_persistent, user_data_dir, sim)
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLDER, str(user_data_dir)], stdout=subprocess.PIPE, text=True
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "held"
        lock = read_lock(user_data_dir)
        assert (lock.state, lock.pid) == (LockState.AGENT, holder.pid)
        outcome = await service.logout(profile, Trigger.MANUAL, 20.0)
        assert outcome.result is Result.FAILED and "busy" in (outcome.error or ""), outcome
        assert read_lock(user_data_dir).pid == holder.pid  # still there
        assert len(sim.devices()) == 1
    finally:
        holder.send_signal(signal.SIGKILL)
        holder.wait()
    assert read_lock(user_data_dir).state is LockState.STALE
    outcome = await service.logout(profile, Trigger.MANUAL, 30.0)
    assert outcome.result is Result.LOGGED_OUT, outcome
    assert singleton_entries(user_data_dir) == [] and sim.devices() == []


async def test_two_concurrent_logout_commands_give_one_logout_and_one_queued_answer(
    tmp_path: Path,
    launch_persistent: PersistentLauncher,
    profile: ProfileSettings,
    sim: SimulatorHandle,
) -> None:
    await link_closed_profile(launch_persistent, profile.user_data_dir, sim)
    sim.configure(startup_delay_ms=5000)  # the first logout holds the profile for a while
    arguments = ("logout", "--profile", str(profile.user_data_dir), "--json")
    runs = [start_kioskguard(*arguments, home=tmp_path, client=sim.url) for _ in range(2)]
    try:
        outputs = [await asyncio.to_thread(run.communicate, None, HANG_GUARD_S) for run in runs]
    finally:
        for run in runs:
            if run.poll() is None:
                run.kill()
    outcomes = [json.loads(stdout.strip().splitlines()[-1]) for stdout, _ in outputs]
    logged_out = [o for o in outcomes if o["result"] == "logged_out"]
    assert len(logged_out) == 1, outcomes
    assert logged_out[0]["action"] == "in_page_logout" and logged_out[0]["verified"]
    other = next(o for o in outcomes if o is not logged_out[0])
    queued = other["result"] == "nothing_to_do" and any("waited" in n for n in other["notes"])
    busy = other["result"] == "failed" and "another logout" in (other["error"] or "")
    assert queued or busy, other
    relaunches = [n for o in outcomes for n in o["notes"] if n.startswith("relaunched with")]
    assert len(relaunches) == 1, outcomes  # the profile was launched once
    assert sim.devices() == []
    assert singleton_entries(profile.user_data_dir) == []
