"""One set of paths per platform (agent/platform/paths.py): the daemon's defaults, the one-shot
commands' default --config and the installed service agree. Windows is faked: its environment
variables and sys.platform."""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path

import pytest

from agent.commands.common import resolve
from agent.errors import ConfigError
from agent.install.targets import Installation, locate
from agent.platform import paths
from agent.settings import Settings, default_config_file


@pytest.fixture
def windows(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    """A Windows user's environment under tmp_path, with sys.platform faked."""
    environ = {
        "USERPROFILE": str(tmp_path / "Users/visitor"),
        "APPDATA": str(tmp_path / "Users/visitor/AppData/Roaming"),
        "LOCALAPPDATA": str(tmp_path / "Users/visitor/AppData/Local"),
        "ProgramData": str(tmp_path / "ProgramData"),
        "USERNAME": "visitor",
    }
    for name, value in environ.items():
        monkeypatch.setenv(name, value)
    for name in ("XDG_STATE_HOME", "XDG_CONFIG_HOME", "STATE_DIRECTORY", "CONFIGURATION_DIRECTORY"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setattr(sys, "platform", "win32")
    return environ


def expanded(value: str, environ: dict[str, str]) -> Path:
    """Expand %NAME% as the Task Scheduler does when the task starts."""
    return Path(re.sub(r"%(\w+)%", lambda match: environ[match.group(1)], value).replace("\\", "/"))


def test_windows_state_is_in_local_app_data(windows: dict[str, str]) -> None:
    state = Path(windows["LOCALAPPDATA"]) / "kioskguard"
    assert Settings().general.state_dir == state
    assert Settings().general.audit_path == state / "audit.jsonl"
    assert ".local" not in str(state)


def test_windows_default_config_is_the_users_then_the_machines(windows: dict[str, str]) -> None:
    user = Path(windows["APPDATA"]) / "kioskguard/kioskguard.toml"
    machine = Path(windows["ProgramData"]) / "kioskguard/kioskguard.toml"
    assert default_config_file() is None
    machine.parent.mkdir(parents=True)
    machine.write_text("")
    assert default_config_file() == machine
    user.parent.mkdir(parents=True)
    user.write_text("")
    assert default_config_file() == user


def test_windows_status_and_logout_read_the_file_the_machine_wide_task_names(
    windows: dict[str, str],
) -> None:
    installation = Installation("windows", Path("C:/pf/pythonw.exe"), windows, Path("."))
    target = locate(installation, "system")
    target.config_file.parent.mkdir(parents=True)
    target.config_file.write_text(
        '[[profiles]]\nname = "desk"\nuser_data_dir = "/nonexistent/desk"\n'
    )
    arguments = argparse.Namespace(config=None, profile=None, url=None)
    with pytest.raises(ConfigError, match=re.escape(f"{target.config_file}: profiles[0]")):
        resolve(arguments)


def test_windows_per_user_task_and_daemon_agree_on_config_and_state(
    windows: dict[str, str],
) -> None:
    installation = Installation("windows", Path("C:/venv/pythonw.exe"), windows, Path("."))
    target = locate(installation, "user")
    assert expanded(target.config_argument, windows) == expanded(
        str(paths.config_candidates(windows)[0]), windows
    )
    assert target.config_file == paths.config_candidates(windows)[0]
    assert target.service_file.parent == paths.state_dir(windows)
    machine = locate(installation, "system")
    assert machine.config_file == paths.config_candidates(windows)[1]


def test_windows_without_the_variables_falls_back_to_the_profile_folders(tmp_path: Path) -> None:
    environ = {"USERPROFILE": str(tmp_path)}
    assert paths.state_dir(environ, "win32") == tmp_path / "AppData/Local/kioskguard"
    assert paths.config_candidates(environ, "win32")[0] == (
        tmp_path / "AppData/Roaming/kioskguard/kioskguard.toml"
    )


def test_linux_paths_are_xdg_and_systemd_as_before(tmp_path: Path) -> None:
    environ = {"XDG_STATE_HOME": str(tmp_path / "state"), "XDG_CONFIG_HOME": str(tmp_path / "c")}
    assert paths.state_dir(environ, "linux") == tmp_path / "state/kioskguard"
    assert paths.config_candidates(environ, "linux") == [tmp_path / "c/kioskguard/kioskguard.toml"]
    system = {
        "STATE_DIRECTORY": "/var/lib/kioskguard",
        "CONFIGURATION_DIRECTORY": "/etc/kioskguard",
    }
    assert paths.state_dir(system, "linux") == Path("/var/lib/kioskguard")
    assert paths.config_candidates(system, "linux")[0] == Path("/etc/kioskguard/kioskguard.toml")
