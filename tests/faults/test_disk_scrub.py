"""Nothing readable left behind: after a logout with the browser closed, no file of the profile
holds the session's secrets or the account number; other origins' data survives the scrub.

Real Chromium and the simulator: the page stores its session (localStorage and IndexedDB), a
second origin (the simulator under "localhost") stores an item of its own, the browser closes,
SessionService logs the profile out cold, and every file of the profile is searched.
"""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

import pytest

from agent.browser.discovery import Browser
from agent.browser.driver import Driver
from agent.browser.managed import running_endpoint
from agent.outcome import Linked, Result, Trigger
from agent.probe.probe import probe_profile
from agent.session.service import SessionService
from agent.settings import ProfileSettings
from agent.simulator.testing import SimulatorHandle
from tests.conftest import PersistentLauncher
from tests.faults.browser_helpers import kioskguard
from tests.faults.disk_scan import find_values
from tests.session.helpers import (
    link_managed,
    linked_tab,
    managed_browser,
    stored_on_disk,
)

pytestmark = pytest.mark.browser

NEIGHBOUR_KEY, NEIGHBOUR_VALUE = "neighbour-item", "kept by another origin 0123"
SECRETS_JS = """() => {
  const noise = JSON.parse(localStorage.getItem("WANoiseInfo"));
  return {
    secret: noise.secret,
    private_key: noise.staticKeyPair.privKey,
    salt: JSON.parse(localStorage.getItem("WAWebEncKeySalt")),
    wid: JSON.parse(localStorage.getItem("last-wid-md")),
  };
}"""


def neighbour_url(sim: SimulatorHandle) -> str:
    """Return the simulator's address as another origin (localhost instead of 127.0.0.1)."""
    assert "127.0.0.1" in sim.url, sim.url
    return sim.url.replace("127.0.0.1", "localhost").rstrip("/") + "/static/app.css"


async def link_beside_a_neighbour(
    launch_persistent: PersistentLauncher, profile: ProfileSettings, sim: SimulatorHandle
) -> dict[str, str]:
    """Store the neighbour's item, link the client, close the browser; return the secrets the
    page stored (secret, private key, salt, account number)."""
    context = await launch_persistent(profile.user_data_dir)
    page = context.pages[0] if context.pages else await context.new_page()
    await page.goto(neighbour_url(sim))
    await page.evaluate("([k, v]) => localStorage.setItem(k, v)", [NEIGHBOUR_KEY, NEIGHBOUR_VALUE])
    await linked_tab(page, sim)
    stored: dict[str, Any] = await page.evaluate(SECRETS_JS)
    await context.close()
    return secrets_of(stored)


def secrets_of(stored: dict[str, Any]) -> dict[str, str]:
    """Given what SECRETS_JS read, return the values no file may hold after the logout."""
    secrets = {name: str(stored[name]) for name in ("secret", "private_key", "salt")}
    secrets["account number"] = str(stored["wid"]).split(":", 1)[0]
    assert len(secrets["account number"]) >= 8 and all(len(v) >= 8 for v in secrets.values())
    return secrets


async def neighbour_item(
    launch_persistent: PersistentLauncher, profile: ProfileSettings, sim: SimulatorHandle
) -> str | None:
    context = await launch_persistent(profile.user_data_dir)
    page = context.pages[0] if context.pages else await context.new_page()
    await page.goto(neighbour_url(sim))
    value: str | None = await page.evaluate("(k) => localStorage.getItem(k)", NEIGHBOUR_KEY)
    await context.close()
    return value


def corruption_reports(profile_dir: Path) -> list[str]:
    """Return the lines of LevelDB's own LOG files under profile_dir that report corruption."""
    lines = []
    for log in profile_dir.rglob("LOG*"):
        for line in log.read_text(errors="replace").splitlines():
            if "orrupt" in line:
                lines.append(f"{log.name}: {line}")
    return lines


async def assert_scrubbed(
    launch_persistent: PersistentLauncher,
    profile: ProfileSettings,
    sim: SimulatorHandle,
    secrets: dict[str, str],
    notes: list[str],
) -> None:
    """No file holds a secret; the neighbour's item survives a relaunch, no corruption is
    reported, and the probe reads the profile."""
    left = find_values(profile.user_data_dir, secrets)
    assert left == [], "\n".join(left)
    assert any(note.startswith("scrubbed Default/") for note in notes), notes
    assert await neighbour_item(launch_persistent, profile, sim) == NEIGHBOUR_VALUE
    assert corruption_reports(profile.user_data_dir) == []
    probe = probe_profile(profile.user_data_dir / "Default", sim.url)
    assert probe.linked is Linked.NOT_LINKED, probe


@pytest.mark.parametrize(
    ("keys_survive", "result"),
    [(False, Result.LOGGED_OUT), (True, Result.LOCAL_ONLY)],
    ids=["verified", "local_only"],
)
async def test_cold_logout_leaves_no_secret_on_disk_and_keeps_other_origins(
    launch_persistent: PersistentLauncher,
    profile: ProfileSettings,
    service: SessionService,
    sim: SimulatorHandle,
    keys_survive: bool,
    result: Result,
) -> None:
    secrets = await link_beside_a_neighbour(launch_persistent, profile, sim)
    assert find_values(profile.user_data_dir, secrets), "the secrets never reached the disk"
    # keys_survive_logout: the page's logout leaves its keys, so the origin wipe runs
    sim.configure(keys_survive_logout=keys_survive)
    outcome = await service.logout(profile, Trigger.MANUAL, 45.0)
    assert outcome.result is result and outcome.fallback_used is keys_survive, outcome
    await assert_scrubbed(launch_persistent, profile, sim, secrets, outcome.notes)


async def test_warm_logout_then_browser_closed_leaves_no_secret_on_disk(
    profile: ProfileSettings,
    service: SessionService,
    sim: SimulatorHandle,
    browser_executable: Browser,
) -> None:
    with managed_browser(browser_executable, profile.user_data_dir, sim.url):
        endpoint = running_endpoint(profile.user_data_dir)
        assert endpoint
        await link_managed(profile.user_data_dir, sim)
        async with Driver() as driver:
            session = await driver.attach(endpoint, sim.url, 15.0)
            try:
                secrets = secrets_of(await session.tab.evaluate(SECRETS_JS))
            finally:
                await session.close()
        await stored_on_disk(profile.user_data_dir, sim.url)
        warm = await service.logout(profile, Trigger.IDLE, 45.0)
        assert warm.result is Result.LOGGED_OUT and warm.path == "warm", warm
    # the browser closed: the daemon's next look at the profile finds nothing to log out
    closed = await service.logout(profile, Trigger.BROWSER_CLOSED, 45.0)
    assert closed.result is Result.NOTHING_TO_DO, closed
    left = find_values(profile.user_data_dir, secrets)
    assert left == [], "\n".join(left)
    assert any(note.startswith("scrubbed") for note in closed.notes), closed.notes


async def test_logout_command_scrubs_and_its_json_outcome_says_what(
    launch_persistent: PersistentLauncher,
    profile: ProfileSettings,
    sim: SimulatorHandle,
    tmp_path: Path,
) -> None:
    secrets = await link_beside_a_neighbour(launch_persistent, profile, sim)
    arguments = ("logout", "--profile", str(profile.user_data_dir), "--url", sim.url, "--json")
    result = await asyncio.to_thread(kioskguard, *arguments, home=tmp_path, client=sim.url)
    assert result.returncode == 0, result.stderr
    outcome = json.loads(result.stdout.strip().splitlines()[-1])
    assert outcome["result"] == "logged_out", outcome
    await assert_scrubbed(launch_persistent, profile, sim, secrets, outcome["notes"])
