"""The shipped service definitions say what the daemon and the docs rely on."""

from __future__ import annotations

import configparser
import xml.etree.ElementTree as ElementTree
from pathlib import Path

from agent.settings import LogoutSettings

CONFIG = Path(__file__).resolve().parents[2] / "config"
TASK_NAMESPACE = {"task": "http://schemas.microsoft.com/windows/2004/02/mit/task"}


def read_ini(path: Path) -> configparser.ConfigParser:
    parser = configparser.ConfigParser(interpolation=None, strict=False)
    parser.optionxform = str  # type: ignore[assignment,method-assign]
    parser.read(path)
    return parser


def test_user_unit_is_a_notify_service_with_a_watchdog() -> None:
    service = read_ini(CONFIG / "systemd" / "kioskguard.service")["Service"]
    assert (service["Type"], service["WatchdogSec"], service["Restart"]) == (
        "notify",
        "30",
        "on-failure",
    )
    assert service["ExecStart"].startswith("%h/") and " run --config %h/" in service["ExecStart"]


def test_user_unit_follows_the_graphical_session_and_the_network() -> None:
    unit = read_ini(CONFIG / "systemd" / "kioskguard.service")["Unit"]
    assert unit["PartOf"] == "graphical-session.target"
    assert set(unit["After"].split()) == {"graphical-session.target", "network-online.target"}


def test_stop_timeout_covers_the_shutdown_logout_deadline() -> None:
    service = read_ini(CONFIG / "systemd" / "kioskguard.service")["Service"]
    assert int(service["TimeoutStopSec"]) > 2 * LogoutSettings().shutdown_deadline_s


def test_logind_drop_in_raises_the_delay_above_the_shutdown_deadline() -> None:
    login = read_ini(CONFIG / "systemd" / "logind-kioskguard.conf")["Login"]
    assert int(login["InhibitDelayMaxSec"]) > LogoutSettings().shutdown_deadline_s + 5


def test_windows_task_starts_at_any_logon_and_restarts_on_failure() -> None:
    task = ElementTree.parse(CONFIG / "windows" / "kioskguard-task.xml").getroot()
    assert task.find("task:Triggers/task:LogonTrigger", TASK_NAMESPACE) is not None
    assert task.find("task:Triggers/task:LogonTrigger/task:UserId", TASK_NAMESPACE) is None
    assert task.findtext("task:Principals/task:Principal/task:GroupId", None, TASK_NAMESPACE) == (
        "S-1-5-32-545"
    )
    assert task.find("task:Settings/task:RestartOnFailure", TASK_NAMESPACE) is not None


def test_windows_task_runs_the_daemon_with_a_config_file() -> None:
    task = ElementTree.parse(CONFIG / "windows" / "kioskguard-task.xml").getroot()
    arguments = task.findtext("task:Actions/task:Exec/task:Arguments", "", TASK_NAMESPACE)
    assert arguments.startswith("-m agent run --config ")


def test_windows_task_starts_the_windowless_python_of_the_virtualenv() -> None:
    task = ElementTree.parse(CONFIG / "windows" / "kioskguard-task.xml").getroot()
    command = task.findtext("task:Actions/task:Exec/task:Command", "", TASK_NAMESPACE)
    assert command == r"%LOCALAPPDATA%\kioskguard\venv\Scripts\pythonw.exe"
