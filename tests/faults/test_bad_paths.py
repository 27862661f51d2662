"""Bad paths and foreign origins are refused before any browser starts (issue 16).

Reported: `--profile` as a symlink to `/` (or `''`) relaunched Chromium with `/` as its user
data dir (it wrote `/Default`, and the command said nothing_to_do, exit 0); check-config took
`user_data_dir = "/"`; `--url` of another origin answered nothing_to_do, verified, exit 0 for a
linked profile. Here the installed `kioskguard` runs as a user runs it, with a browser that
records every start (a wrapper around the real Chromium): a refused input exits 2 with the
source, the value, what it resolves to and what is allowed, and starts and writes nothing.
"""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from agent.browser.discovery import Browser
from agent.browser.locks import read_lock
from agent.profile_paths import ALLOWED
from agent.simulator.testing import SimulatorHandle
from tests.conftest import PersistentLauncher
from tests.faults.browser_helpers import HANG_GUARD_S, link_closed_profile

KIOSKGUARD = Path(sys.executable).parent / "kioskguard"
CLIENT_VARIABLE = "KIOSKGUARD_GENERAL__CLIENT_URL"
COMMANDS = ("logout", "status", "browser")


class Kiosk:
    """A home, a configuration naming a browser that records its starts, and the CLI."""

    def __init__(self, root: Path, browser: Browser, client: str) -> None:
        self.root, self.client = root, client
        self.home = root / "home"
        self.home.mkdir()
        self.starts = root / "browser-starts.log"
        wrapper = root / "recording-browser"
        wrapper.write_text(
            f'#!/bin/sh\necho "$*" >> "{self.starts}"\nexec "{browser.path}" "$@"\n',
            encoding="utf-8",
        )
        wrapper.chmod(0o755)
        self.config = root / "kioskguard.toml"
        self.config.write_text(
            f'[general]\nclient_url = "{client}"\nstate_dir = "{root / "state"}"\n'
            f'[browser]\nexecutable = "{wrapper}"\nheadless_shell = false\n',
            encoding="utf-8",
        )

    def run(self, *arguments: str) -> subprocess.CompletedProcess[str]:
        """Run the installed `kioskguard ARGUMENTS --config CONFIG`; return the result."""
        command, *rest = arguments
        return subprocess.run(
            [str(KIOSKGUARD), command, "--config", str(self.config), *rest],
            capture_output=True,
            text=True,
            timeout=HANG_GUARD_S,
            cwd=self.home,
            env={"PATH": "/usr/bin:/bin", "HOME": str(self.home)},
        )

    def check_config(self, config: Path) -> subprocess.CompletedProcess[str]:
        """Run the installed `kioskguard check-config CONFIG`; return the result."""
        return subprocess.run(
            [str(KIOSKGUARD), "check-config", str(config)],
            capture_output=True,
            text=True,
            timeout=HANG_GUARD_S,
            env={"PATH": "/usr/bin:/bin", "HOME": str(self.home)},
        )

    def browser_starts(self) -> list[str]:
        """Return the command lines the recording browser was started with."""
        return self.starts.read_text().splitlines() if self.starts.exists() else []


@pytest.fixture
def kiosk(tmp_path: Path, browser_executable: Browser, sim: SimulatorHandle) -> Kiosk:
    return Kiosk(tmp_path, browser_executable, sim.url)


def snapshot(directory: Path) -> list[str]:
    """Return every path under directory (not following symlinks), sorted."""
    return sorted(str(path.relative_to(directory)) for path in directory.rglob("*"))


@pytest.fixture
def started_browsers() -> Iterator[list[int]]:
    pids: list[int] = []
    yield pids
    for pid in pids:
        try:
            os.kill(pid, signal.SIGTERM)
        except ProcessLookupError:
            continue


def browser_pids(result: subprocess.CompletedProcess[str]) -> list[int]:
    """Return the PID `kioskguard browser` printed for the browser it started, if any."""
    return [int(pid) for pid in re.findall(r" pid (\d+) on ", result.stdout)]


# name -> (make the value in the kiosk, what the message says of it)
BAD_PROFILES: dict[str, tuple[Callable[[Kiosk], str], str]] = {
    "root": (lambda kiosk: "/", "'/': is the root directory"),
    "empty string": (lambda kiosk: "", "'': is empty"),
    "symlink to root": (
        lambda kiosk: _symlink(kiosk.root / "innocent", Path("/")),
        "innocent': resolves to /: is the root directory",
    ),
    "home directory": (lambda kiosk: str(kiosk.home), "is a home directory"),
    "parent of home": (lambda kiosk: str(kiosk.root), "is a parent of a home directory"),
    "a file": (lambda kiosk: str(kiosk.config), "is a file, not a directory"),
    "directory of other files": (
        lambda kiosk: _documents(kiosk.root / "documents"),
        "is not a Chromium user data directory and not empty (it holds letter.txt)",
    ),
}


def _symlink(link: Path, target: Path) -> str:
    link.symlink_to(target)
    return str(link)


def _documents(directory: Path) -> str:
    directory.mkdir(parents=True)
    (directory / "letter.txt").write_text("dear visitor", encoding="utf-8")
    return str(directory)


@pytest.mark.parametrize("command", COMMANDS)
@pytest.mark.parametrize("case", BAD_PROFILES)
def test_a_bad_profile_is_refused_with_exit_2_and_nothing_started_or_written(
    kiosk: Kiosk, case: str, command: str, started_browsers: list[int]
) -> None:
    make, said = BAD_PROFILES[case]
    value = make(kiosk)
    before = snapshot(kiosk.root)
    root_entries = sorted(os.listdir("/"))
    extra = ("--headless", "--port", "0") if command == "browser" else ("--json",)
    result = kiosk.run(command, "--profile", value, *extra)
    started_browsers.extend(browser_pids(result))  # stopped at the end, should the rule fail
    assert result.returncode == 2, result
    assert result.stderr.startswith(f"kioskguard {command}: --profile "), result.stderr
    assert said in result.stderr and ALLOWED in result.stderr, result.stderr
    assert result.stdout == ""
    assert kiosk.browser_starts() == []  # no browser started, not even asked its version
    assert snapshot(kiosk.root) == before  # no Default/, no state dir, no audit file
    assert sorted(os.listdir("/")) == root_entries  # no /Default


@pytest.mark.parametrize("case", BAD_PROFILES)
def test_check_config_refuses_the_same_values_in_a_file(kiosk: Kiosk, case: str) -> None:
    make, said = BAD_PROFILES[case]
    value = make(kiosk)
    config = kiosk.root / "site.toml"
    config.write_text(f'[[profiles]]\nname = "desk"\nuser_data_dir = "{value}"\n')
    result = kiosk.check_config(config)
    assert result.returncode == 2, result
    line = f"{config}: profiles[0].user_data_dir: {value!r}: "
    assert line in result.stderr and said in result.stderr and ALLOWED in result.stderr, result
    assert f"{config}: 1 error" in result.stderr


def test_check_config_refuses_the_managed_profile_under_a_bad_state_dir(kiosk: Kiosk) -> None:
    _documents(kiosk.root / "state" / "browser-profile")
    config = kiosk.root / "site.toml"
    config.write_text(f'[general]\nstate_dir = "{kiosk.root / "state"}"\n')
    result = kiosk.check_config(config)
    assert result.returncode == 2, result
    assert f"{config}: general.state_dir: '{kiosk.root / 'state' / 'browser-profile'}':" in (
        result.stderr
    )
    assert "the managed profile: is not a Chromium user data directory" in result.stderr


def test_the_daemon_refuses_to_start_on_a_bad_profile(kiosk: Kiosk) -> None:
    config = kiosk.config.read_text() + '[[profiles]]\nname = "desk"\nuser_data_dir = "/"\n'
    kiosk.config.write_text(config)
    result = kiosk.run("run")
    assert result.returncode == 2, result
    assert f"{kiosk.config}: profiles[0].user_data_dir: '/': is the root directory" in (
        result.stderr
    )
    assert kiosk.browser_starts() == []


def test_the_daemon_refuses_to_start_on_a_bad_managed_profile(kiosk: Kiosk) -> None:
    (kiosk.root / "state").mkdir(exist_ok=True)
    (kiosk.root / "state" / "browser-profile").symlink_to("/")
    result = kiosk.run("run")  # no profile configured: the daemon guards the managed one
    assert result.returncode == 2, result
    assert "general.state_dir: the managed profile" in result.stderr
    assert "resolves to /: is the root directory" in result.stderr
    assert kiosk.browser_starts() == []


def test_check_config_accepts_a_missing_an_empty_and_a_chromium_directory(kiosk: Kiosk) -> None:
    (kiosk.root / "empty").mkdir()
    (kiosk.root / "used" / "Default").mkdir(parents=True)
    config = kiosk.root / "site.toml"
    config.write_text(
        "".join(
            f'[[profiles]]\nname = "{name}"\nuser_data_dir = "{kiosk.root / name}"\n'
            for name in ("missing", "empty", "used")
        )
    )
    result = kiosk.check_config(config)
    assert result.returncode == 0, result
    assert "profiles: missing, empty, used" in result.stdout


@pytest.fixture
async def linked(kiosk: Kiosk, launch_persistent: PersistentLauncher, sim: SimulatorHandle) -> Path:
    """Return a profile linked to the simulator, its browser closed."""
    profile = kiosk.root / "linked"
    await link_closed_profile(launch_persistent, profile, sim)
    assert len(sim.devices()) == 1
    return profile


@pytest.mark.browser
@pytest.mark.parametrize("command", COMMANDS)
async def test_a_foreign_url_is_refused_for_a_linked_profile(
    kiosk: Kiosk, linked: Path, sim: SimulatorHandle, command: str, started_browsers: list[int]
) -> None:
    before = snapshot(linked)
    extra = ("--headless", "--port", "0") if command == "browser" else ("--json",)
    result = kiosk.run(command, "--profile", str(linked), "--url", "https://example.org/", *extra)
    started_browsers.extend(browser_pids(result))
    assert result.returncode == 2, result
    assert "--url https://example.org/: origin https://example.org is not the configured" in (
        result.stderr
    )
    assert "--allow-other-origin" in result.stderr and result.stdout == ""
    assert kiosk.browser_starts() == []
    assert snapshot(linked) == before
    assert len(sim.devices()) == 1  # still linked: nothing claimed otherwise


@pytest.mark.browser
async def test_the_configured_client_s_url_and_an_explicit_other_origin_still_work(
    kiosk: Kiosk, linked: Path, sim: SimulatorHandle
) -> None:
    status = kiosk.run("status", "--profile", str(linked), "--url", sim.url + "?x=1", "--json")
    assert status.returncode == 0, status.stderr
    assert json.loads(status.stdout)["linked"] == "linked"
    other = kiosk.run(
        "status", "--profile", str(linked), "--url", "https://example.org/",
        "--allow-other-origin", "--json",
    )  # fmt: skip
    assert other.returncode == 0, other.stderr
    assert json.loads(other.stdout)["url"] == "https://example.org/"
    assert kiosk.browser_starts() == []  # status never starts a browser


@pytest.mark.browser
async def test_a_linked_profile_through_a_symlink_is_logged_out(
    kiosk: Kiosk, linked: Path, sim: SimulatorHandle
) -> None:
    link = Path(_symlink(kiosk.root / "seat", linked))
    result = kiosk.run("logout", "--profile", str(link), "--json")
    assert result.returncode == 0, result.stderr
    outcome = json.loads(result.stdout.strip().splitlines()[-1])
    assert (outcome["result"], outcome["verified"]) == ("logged_out", True), outcome
    assert outcome["user_data_dir"] == str(linked)  # the resolved directory
    assert sim.devices() == []
    assert any(f"--user-data-dir={linked}" in line for line in kiosk.browser_starts())


def test_an_empty_or_missing_profile_is_accepted_and_logout_needs_no_browser(
    kiosk: Kiosk,
) -> None:
    empty = kiosk.root / "empty"
    empty.mkdir()
    result = kiosk.run("logout", "--profile", str(empty), "--json")
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["result"] == "nothing_to_do"
    status = kiosk.run("status", "--profile", str(empty), "--json")
    assert status.returncode == 0, status.stderr
    assert json.loads(status.stdout)["linked"] == "not_linked"
    missing = kiosk.run("logout", "--profile", str(kiosk.root / "missing"))
    assert missing.returncode == 2 and "no such directory" in missing.stderr  # nothing to log out
    assert kiosk.browser_starts() == []
    assert snapshot(empty) == []


def test_browser_creates_a_missing_profile_and_starts_there(
    kiosk: Kiosk, started_browsers: list[int]
) -> None:
    profile = kiosk.root / "new" / "profile"
    result = kiosk.run("browser", "--profile", str(profile), "--headless", "--port", "0")
    started_browsers.extend(browser_pids(result))
    assert result.returncode == 0, result.stderr
    assert read_lock(profile).pid == started_browsers[0]
    assert f"on {profile}" in result.stdout
    assert any(f"--user-data-dir={profile}" in line for line in kiosk.browser_starts())
