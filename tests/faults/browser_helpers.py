"""Helpers of the browser and session fault tests: the CLI as a user runs it, linked profiles."""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
from pathlib import Path

import psutil

from agent.browser.driver import Driver
from agent.browser.locks import read_lock
from agent.browser.managed import running_endpoint
from agent.outcome import PageState
from agent.session.pagestate import inspect
from agent.simulator.testing import SimulatorHandle
from tests.conftest import PersistentLauncher
from tests.session.helpers import linked_tab

HANG_GUARD_S = 120  # only against hangs: no assertion on speed
CLIENT_VARIABLE = "KIOSKGUARD_GENERAL__CLIENT_URL"  # general.client_url


def _environment(home: Path, client: str | None = None) -> dict[str, str]:
    environment = {"PATH": "/usr/bin:/bin", "HOME": str(home)}
    environment["XDG_STATE_HOME"] = str(home / "state")
    if "DISPLAY" in os.environ:
        environment["DISPLAY"] = os.environ["DISPLAY"]
    if client is not None:  # the configured client: --url of another origin is refused
        environment[CLIENT_VARIABLE] = client
    return environment


def kioskguard(
    *arguments: str, home: Path, timeout_s: float = HANG_GUARD_S, client: str | None = None
) -> subprocess.CompletedProcess[str]:
    """Run `kioskguard ARGUMENTS` with HOME and the state dir under home, and client (if given)
    as general.client_url; return the result."""
    environment = _environment(home, client)
    return subprocess.run(
        [sys.executable, "-m", "agent", *arguments],
        capture_output=True,
        text=True,
        timeout=timeout_s,
        cwd=home,
        env=environment,
    )


def start_kioskguard(
    *arguments: str, home: Path, client: str | None = None
) -> subprocess.Popen[str]:
    """Start `kioskguard ARGUMENTS` like kioskguard() does, without waiting for it."""
    environment = _environment(home, client)
    environment.pop("DISPLAY", None)
    return subprocess.Popen(
        [sys.executable, "-m", "agent", *arguments],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=home,
        env=environment,
    )


async def link_closed_profile(
    launch_persistent: PersistentLauncher, user_data_dir: Path, sim: SimulatorHandle
) -> None:
    """Link a profile to the simulator in a browser, then close that browser."""
    context = await launch_persistent(user_data_dir)
    page = context.pages[0] if context.pages else await context.new_page()
    await linked_tab(page, sim)
    await context.close()


async def page_state(user_data_dir: Path, url: str, port: int | None) -> PageState:
    """Return what the client tab of the managed browser on user_data_dir shows now."""
    endpoint = running_endpoint(user_data_dir, port=port)
    assert endpoint, f"no proven endpoint for {user_data_dir}"
    async with Driver() as driver:
        session = await driver.attach(endpoint, url, 15.0, open_if_missing=False)
        try:
            return (await inspect(session.tab)).state
        finally:
            await session.close()


def stop_detached(profile: Path, pid: int | None = None) -> None:
    """Stop the detached browser on profile (its lock's PID, or pid) and wait for it, so its
    port is free again; nothing to do when none runs."""
    pid = pid or (read_lock(profile).pid if profile.exists() else None)
    if not pid:
        return
    with contextlib.suppress(psutil.NoSuchProcess):
        process = psutil.Process(pid)
        process.terminate()
        try:
            process.wait(timeout=30)
        except psutil.TimeoutExpired:
            process.kill()
            process.wait(timeout=30)
