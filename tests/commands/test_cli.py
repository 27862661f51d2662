"""The one-shot commands as a user runs them: exit codes and messages on bad input."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
from pathlib import Path

import pytest
import pytest_asyncio

from agent.simulator.testing import SimulatorHandle
from tests.conftest import PersistentLauncher
from tests.session.helpers import linked_tab


def kioskguard(
    *arguments: str, cwd: Path, client: str | None = None
) -> subprocess.CompletedProcess[str]:
    """Run kioskguard with HOME at cwd and client (if given) as general.client_url."""
    environment = {"PATH": "/usr/bin:/bin", "HOME": str(cwd), "XDG_STATE_HOME": str(cwd / "state")}
    if client is not None:
        environment["KIOSKGUARD_GENERAL__CLIENT_URL"] = client
    return subprocess.run(
        [sys.executable, "-m", "agent", *arguments],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=cwd,
        env=environment,
    )


def test_logout_of_missing_profile_dir_exits_2(tmp_path: Path) -> None:
    result = kioskguard("logout", "--profile", str(tmp_path / "nowhere"), cwd=tmp_path)
    assert result.returncode == 2
    assert "nowhere: no such directory" in result.stderr


def test_logout_with_bad_url_exits_2_naming_it(tmp_path: Path) -> None:
    profile = tmp_path / "profile"
    result = kioskguard("logout", "--profile", str(profile), "--url", "ftp://x", cwd=tmp_path)
    assert result.returncode == 2
    assert "ftp://x" in result.stderr


def test_logout_with_nonpositive_deadline_exits_2(tmp_path: Path) -> None:
    (tmp_path / "profile").mkdir()
    profile = str(tmp_path / "profile")
    result = kioskguard("logout", "--profile", profile, "--deadline", "0", cwd=tmp_path)
    assert result.returncode == 2 and "--deadline" in result.stderr


def test_status_of_unused_profile_says_not_linked(tmp_path: Path) -> None:
    (tmp_path / "profile" / "Default").mkdir(parents=True)
    result = kioskguard("status", "--profile", str(tmp_path / "profile"), "--json", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert [entry["linked"] for entry in report["profiles"]] == ["not_linked"]
    assert report["browser"] == {"running": False}


@pytest_asyncio.fixture
async def linked_profile(
    tmp_path: Path, launch_persistent: PersistentLauncher, sim: SimulatorHandle
) -> Path:
    """Return a profile dir holding a linked session, its browser closed."""
    profile = tmp_path / "profile"
    context = await launch_persistent(profile)
    await linked_tab(context.pages[0], sim)
    await context.close()
    return profile


@pytest.mark.browser
async def test_logout_of_linked_profile_without_browser_exits_1_listing_the_problem(
    tmp_path: Path, linked_profile: Path, sim: SimulatorHandle
) -> None:
    profile = linked_profile
    config = tmp_path / "kioskguard.toml"
    config.write_text(f'[browser]\nexecutable = "{tmp_path / "no-such-chrome"}"\n')
    result = kioskguard(
        "logout", "--config", str(config), "--profile", str(profile), cwd=tmp_path, client=sim.url
    )  # fmt: skip
    assert result.returncode == 1
    assert "no-such-chrome does not exist" in result.stdout + result.stderr
    assert len(sim.devices()) == 1


@pytest.mark.browser
async def test_logout_command_verifies_and_prints_json(
    tmp_path: Path, linked_profile: Path, sim: SimulatorHandle
) -> None:
    profile = linked_profile
    result = kioskguard("logout", "--profile", str(profile), "--json", cwd=tmp_path, client=sim.url)
    assert result.returncode == 0, result.stderr
    outcome = json.loads(result.stdout.strip().splitlines()[-1])
    assert outcome["result"] == "logged_out" and outcome["verified"] is True
    assert outcome["how"] == "ui:settings"  # the simulator's default: rail-2024
    assert "4915112345678" not in result.stdout + result.stderr
    assert sim.devices() == []


def test_browser_on_a_port_another_program_uses_exits_1_naming_the_port(tmp_path: Path) -> None:
    with socket.socket() as other:
        other.bind(("127.0.0.1", 0))
        other.listen()
        port = other.getsockname()[1]
        result = kioskguard(
            "browser", "--headless", "--profile", str(tmp_path / "p"), "--port", str(port),
            cwd=tmp_path,
        )  # fmt: skip
    assert result.returncode == 1, result
    assert f"port {port} on 127.0.0.1 is already in use" in result.stderr


def test_browser_with_a_port_out_of_range_exits_2(tmp_path: Path) -> None:
    result = kioskguard(
        "browser", "--profile", str(tmp_path / "p"), "--port", "70000", cwd=tmp_path
    )
    assert result.returncode == 2 and "--port 70000" in result.stderr


@pytest.mark.browser
async def test_logout_through_the_client_function_only_says_so_in_json(
    tmp_path: Path, linked_profile: Path, sim: SimulatorHandle
) -> None:
    config = tmp_path / "kioskguard.toml"
    config.write_text('[logout]\npaths = ["client_function"]\n')
    result = kioskguard(
        "logout", "--config", str(config), "--profile", str(linked_profile), "--json",
        cwd=tmp_path, client=sim.url,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    outcome = json.loads(result.stdout.strip().splitlines()[-1])
    assert outcome["result"] == "logged_out" and outcome["how"] == "client_function"
    assert any("Socket.logout called" in note for note in outcome["notes"])
    assert sim.devices() == []


def test_unknown_logout_path_in_config_exits_2_naming_the_field(tmp_path: Path) -> None:
    config = tmp_path / "kioskguard.toml"
    config.write_text('[logout]\npaths = ["ui", "wipe"]\n')
    result = kioskguard("check-config", str(config), cwd=tmp_path)
    assert result.returncode == 2
    assert "logout.paths" in result.stdout + result.stderr


def test_status_without_config_reads_the_daemons_file_and_names_its_missing_profile(
    tmp_path: Path,
) -> None:
    config = tmp_path / ".config" / "kioskguard" / "kioskguard.toml"
    config.parent.mkdir(parents=True)
    missing = tmp_path / "seat-1-profile"
    config.write_text(f'[[profiles]]\nname = "seat-1"\nuser_data_dir = "{missing}"\n')
    result = kioskguard("status", cwd=tmp_path)
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    assert (
        f"{config}: profiles[0].user_data_dir (seat-1): {missing}: no such directory"
        in result.stderr
    )


def test_logout_of_a_managed_profile_never_opened_says_how_it_is_made(tmp_path: Path) -> None:
    result = kioskguard("logout", cwd=tmp_path)
    assert result.returncode == 2
    managed = tmp_path / "state" / "kioskguard" / "browser-profile"
    assert f"kioskguard logout: {managed}: no such directory: the managed browser's profile is" in (
        result.stderr
    )  # no --profile was given, so none is blamed
    assert "made the first time `kioskguard browser` opens it" in result.stderr


def test_an_unknown_option_is_reported_with_the_commands_own_usage(tmp_path: Path) -> None:
    result = kioskguard("status", "--jsn", cwd=tmp_path)
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    assert result.stderr.startswith("usage: kioskguard status ")
    assert "kioskguard status: error: unrecognized arguments: --jsn" in result.stderr
