"""Faults: deadlines that are deadlines, dialogs, and bad input to `kioskguard logout`.

Reported: an alert() in the client tab made `--deadline 2` never finish; a tiny deadline ran
the origin wipe without trying the page; `--deadline nan` exited 1; a non-browser executable
gave a raw Playwright dump.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from agent.browser.cdp import CdpConnection
from agent.browser.discovery import Browser
from agent.browser.driver import Driver
from agent.browser.managed import running_endpoint, start_managed
from agent.errors import DriverError
from agent.outcome import Linked, Result, Trigger
from agent.probe.probe import probe_profile
from agent.session.service import SessionService
from agent.settings import ProfileSettings
from agent.simulator.testing import SimulatorHandle, stop_process
from agent.urls import origin_of
from tests.conftest import PersistentLauncher
from tests.faults.browser_helpers import HANG_GUARD_S, kioskguard, link_closed_profile
from tests.session.helpers import link_managed, managed_browser


async def client_session(connection: CdpConnection, url: str) -> str:
    """Attach to the browser's client tab; return the flat session id."""
    targets = (await connection.send("Target.getTargets"))["targetInfos"]
    client = next(t for t in targets if t["type"] == "page" and t["url"].startswith(url))
    attached = await connection.send(
        "Target.attachToTarget", {"targetId": client["targetId"], "flatten": True}
    )
    return str(attached["sessionId"])


async def page_answers(endpoint: str, url: str, timeout_s: float = 10.0) -> bool:
    """True if the client tab runs a script within timeout_s (no dialog blocks it)."""
    connection = await CdpConnection.open(endpoint, 10.0)
    try:
        session = await client_session(connection, url)
        reply = await connection.send(
            "Runtime.evaluate", {"expression": "1 + 1", "returnByValue": True}, session,
            timeout_s=timeout_s,
        )  # fmt: skip
        return bool(reply["result"]["value"] == 2)
    except DriverError:
        return False
    finally:
        await connection.close()


async def alert_in_page(endpoint: str, url: str) -> None:
    """Make the client page call alert() itself (no DevTools client listens for dialogs)."""
    connection = await CdpConnection.open(endpoint, 10.0)
    try:
        session = await client_session(connection, url)
        expression = "setTimeout(() => alert('kioskguard test'), 0)"
        await connection.send("Runtime.evaluate", {"expression": expression}, session)
    finally:
        await connection.close()


@pytest.fixture
def headed_managed(
    profile: ProfileSettings, sim: SimulatorHandle, browser_executable: Browser, xvfb_display: str
) -> Iterator[str]:
    """The managed browser with a window (a visitor's alert shows there and blocks the page);
    yield its endpoint."""
    process = start_managed(browser_executable, profile.user_data_dir, sim.url, headless=False)
    try:
        deadline = time.monotonic() + HANG_GUARD_S
        while (endpoint := running_endpoint(profile.user_data_dir, timeout_s=0.2)) is None:
            assert process.poll() is None and time.monotonic() < deadline, "no managed browser"
            time.sleep(0.1)
        yield endpoint
    finally:
        stop_process(process)


@pytest.mark.browser
@pytest.mark.parametrize("deadline", ["2", "60"])
async def test_alert_left_open_in_the_client_tab_is_dismissed_and_the_logout_ends(
    tmp_path: Path,
    profile: ProfileSettings,
    sim: SimulatorHandle,
    headed_managed: str,
    deadline: str,
) -> None:
    """The issue's case (--deadline 2) must end and say so; with a deadline no loaded machine
    misses (60 s) it must dismiss the dialog and log out. (10 s did not always suffice on the
    loaded 2-core machine: an attach cut by the deadline, a wipe after three slow tries.)"""
    await link_managed(profile.user_data_dir, sim)
    origin = origin_of(sim.url)
    await alert_in_page(headed_managed, origin)
    assert not await page_answers(headed_managed, origin, timeout_s=2.0)  # the alert blocks it
    started = time.monotonic()
    result = await asyncio.to_thread(
        kioskguard,
        "logout", "--profile", str(profile.user_data_dir), "--deadline", deadline, "--json",
        home=tmp_path, client=sim.url,
    )  # fmt: skip
    took = time.monotonic() - started
    print(f"logout with an open alert took {took:.2f} s (deadline {deadline})")
    outcome = json.loads(result.stdout.strip().splitlines()[-1])
    assert outcome["path"] in ("warm", "")  # "": the deadline came while attaching
    if outcome["state_before"] != "unknown" or deadline == "60":  # read: the dialog went first
        assert any("dismissed the dialog" in note for note in outcome["notes"]), json.dumps(outcome)
        assert await page_answers(headed_managed, origin)  # the alert is gone
    if outcome["result"] == "logged_out" or deadline == "60":
        assert outcome["result"] == "logged_out", json.dumps(outcome)
        assert result.returncode == 0 and sim.devices() == []
    elif outcome["result"] == "local_only":  # the page was read, then the deadline came
        assert result.returncode == 3 and outcome["fallback_used"], json.dumps(outcome)
    else:  # on a loaded machine 2 s may not suffice: it must still end, and say why
        assert result.returncode == 1 and "deadline" in outcome["error"], json.dumps(outcome)


@pytest.mark.browser
async def test_alert_opening_while_attached_is_dismissed_and_noted(
    profile: ProfileSettings, sim: SimulatorHandle, browser_executable: Browser
) -> None:
    with managed_browser(browser_executable, profile.user_data_dir, sim.url):
        endpoint = running_endpoint(profile.user_data_dir)
        assert endpoint
        async with Driver() as driver:
            session = await driver.attach(endpoint, sim.url, 15.0)
            try:
                await alert_in_page(endpoint, origin_of(sim.url))
                later = "() => new Promise((done) => setTimeout(() => done(2), 200))"
                assert await session.tab.evaluate(later) == 2  # ran after the alert closed
                assert session.tab.dialogs == ["alert dialog in the client tab dismissed"]
            finally:
                await session.close()


@pytest.mark.browser
async def test_tiny_deadline_fails_clearly_and_never_wipes_without_trying_the_page(
    launch_persistent: PersistentLauncher,
    profile: ProfileSettings,
    service: SessionService,
    sim: SimulatorHandle,
) -> None:
    await link_closed_profile(launch_persistent, profile.user_data_dir, sim)
    outcome = await service.logout(profile, Trigger.MANUAL, 0.05)
    assert outcome.result is Result.FAILED, outcome
    assert outcome.error and "deadline" in outcome.error
    assert not outcome.fallback_used and outcome.action == "none"
    assert probe_profile(profile.user_data_dir / "Default", sim.url).linked is Linked.LINKED
    assert len(sim.devices()) == 1


@pytest.mark.parametrize("value", ["nan", "inf", "-1", "0", "601"])
def test_deadline_that_is_not_a_usable_number_exits_2_naming_it(tmp_path: Path, value: str) -> None:
    profile = tmp_path / "profile"  # empty: tmp_path itself is HOME, refused as a profile
    profile.mkdir()
    result = kioskguard("logout", "--profile", str(profile), "--deadline", value, home=tmp_path)
    assert result.returncode == 2, result
    assert f"--deadline {value}" in result.stderr and "seconds" in result.stderr
    assert "Traceback" not in result.stderr


NOT_A_BROWSER = {
    "true": lambda directory: Path("/bin/true"),
    "text file": lambda directory: _write(directory / "notes.txt", "just some text\n", 0o644),
    "script with a version": lambda directory: _write(
        directory / "fake-chrome", "#!/bin/sh\necho 'Chromium 1.2.3.4'\n", 0o755
    ),
}


def _write(path: Path, text: str, mode: int) -> Path:
    path.write_text(text)
    path.chmod(mode)
    return path


@pytest.mark.browser
@pytest.mark.parametrize("kind", sorted(NOT_A_BROWSER))
async def test_non_browser_executable_fails_with_one_clear_line(
    tmp_path: Path,
    kind: str,
    launch_persistent: PersistentLauncher,
    profile: ProfileSettings,
    sim: SimulatorHandle,
) -> None:
    await link_closed_profile(launch_persistent, profile.user_data_dir, sim)
    executable = NOT_A_BROWSER[kind](tmp_path)
    config = tmp_path / "kioskguard.toml"
    config.write_text(f'[browser]\nexecutable = "{executable}"\n')
    result = kioskguard(
        "logout", "--config", str(config), "--profile", str(profile.user_data_dir),
        home=tmp_path, client=sim.url,
    )  # fmt: skip
    output = result.stdout + result.stderr
    assert result.returncode == 1, output
    assert str(executable) in output
    for dump in ("Traceback", "Call log", "Browser logs", "=====", "<launching>"):
        assert dump not in output, output
    error_lines = [line for line in output.splitlines() if str(executable) in line]
    assert len(error_lines) == 1 and len(error_lines[0]) < 400, output
    assert len(sim.devices()) == 1
