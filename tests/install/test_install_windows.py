"""`kioskguard install` / `uninstall` on Windows: the task XML templated, schtasks faked."""

from __future__ import annotations

import xml.etree.ElementTree as ElementTree
from pathlib import Path

import pytest

from agent.install.actions import Options, install, uninstall
from agent.install.fakes import FakeServiceManager
from agent.install.runner import InstallError
from agent.install.targets import Installation
from tests.install.conftest import CONFIG

TASK = {"task": "http://schemas.microsoft.com/windows/2004/02/mit/task"}


def options(mode: str = "user", config: Path | None = CONFIG / "library.toml") -> Options:
    return Options(mode=mode, config=config, dry_run=False, files_only=False)  # type: ignore[arg-type]


def exec_element(xml: bytes) -> dict[str, str]:
    task = ElementTree.fromstring(xml.decode("utf-16"))
    action = task.find("task:Actions/task:Exec", TASK)
    assert action is not None
    return {child.tag.split("}")[1]: child.text or "" for child in action}


def test_user_install_registers_the_templated_task_with_schtasks(
    windows_installation: Installation, tmp_path: Path
) -> None:
    manager = FakeServiceManager()
    assert install(windows_installation, options(), manager, print) == 0
    xml_file = tmp_path / "AppData/Local/kioskguard/kioskguard-task.xml"
    assert xml_file.read_bytes()[:2] == b"\xff\xfe"  # UTF-16 LE with a byte-order mark
    assert manager.calls[-1] == (
        "schtasks",
        "/Create",
        "/TN",
        "kioskguard",
        "/XML",
        str(xml_file),
        "/F",
    )
    assert exec_element(manager.tasks["kioskguard"]) == {
        "Command": str(windows_installation.executable),
        "Arguments": r'-m agent run --config "%APPDATA%\kioskguard\kioskguard.toml"',
        "WorkingDirectory": r"%LOCALAPPDATA%\kioskguard",
    }
    copied = tmp_path / "AppData/Roaming/kioskguard/kioskguard.toml"
    assert copied.read_bytes() == (CONFIG / "library.toml").read_bytes()


def installed_task(installation: Installation, mode: str = "user") -> ElementTree.Element:
    manager = FakeServiceManager()
    install(installation, options(mode, CONFIG / "hotel.toml"), manager, print)
    return ElementTree.fromstring(manager.tasks["kioskguard"].decode("utf-16"))


def test_machine_wide_task_keeps_the_shipped_trigger_principal_and_settings(
    windows_installation: Installation,
) -> None:
    task = installed_task(windows_installation, "system")
    shipped = ElementTree.parse(CONFIG / "windows/kioskguard-task.xml").getroot()
    for path in ("task:Triggers", "task:Principals", "task:Settings"):
        written, original = task.find(path, TASK), shipped.find(path, TASK)
        assert written is not None and original is not None
        assert ElementTree.tostring(written) == ElementTree.tostring(original)


def test_per_user_task_starts_at_the_installing_users_logon_and_runs_as_them(
    windows_installation: Installation,
) -> None:
    task = installed_task(windows_installation, "user")
    principal = task.find("task:Principals/task:Principal", TASK)
    assert principal is not None and principal.find("task:GroupId", TASK) is None
    assert principal.findtext("task:UserId", None, TASK) == r"KIOSK-07\visitor"
    assert principal.findtext("task:LogonType", None, TASK) == "InteractiveToken"
    assert principal.findtext("task:RunLevel", None, TASK) == "LeastPrivilege"
    trigger = task.find("task:Triggers/task:LogonTrigger", TASK)
    assert trigger is not None
    assert [child.tag.split("}")[1] for child in trigger] == [
        "Enabled",
        "Repetition",
        "UserId",
        "Delay",
    ]  # fmt: skip  (the schema's order: the trigger's base elements, then UserId, Delay)
    assert trigger.findtext("task:UserId", None, TASK) == r"KIOSK-07\visitor"
    shipped = ElementTree.parse(CONFIG / "windows/kioskguard-task.xml").getroot()
    settings, original = task.find("task:Settings", TASK), shipped.find("task:Settings", TASK)
    assert settings is not None and original is not None
    assert ElementTree.tostring(settings) == ElementTree.tostring(original)


@pytest.mark.parametrize("mode", ["user", "system"])
def test_task_starts_a_daemon_that_exited_again_within_a_minute(
    windows_installation: Installation, mode: str
) -> None:
    task = installed_task(windows_installation, mode)
    repetition = task.find("task:Triggers/task:LogonTrigger/task:Repetition", TASK)
    assert repetition is not None
    assert repetition.findtext("task:Interval", None, TASK) == "PT1M"
    assert repetition.find("task:Duration", TASK) is None  # indefinitely, for the whole session
    assert task.findtext("task:Settings/task:MultipleInstancesPolicy", None, TASK) == "IgnoreNew"
    assert task.find("task:Settings/task:RestartOnFailure", TASK) is not None


def test_per_user_install_without_username_is_an_install_error(tmp_path: Path) -> None:
    installation = Installation(
        "windows",
        tmp_path / "venv/Scripts/pythonw.exe",
        {"APPDATA": str(tmp_path / "Roaming"), "LOCALAPPDATA": str(tmp_path / "Local")},
        tmp_path,
    )
    with pytest.raises(InstallError, match="USERNAME"):
        install(installation, options(), FakeServiceManager(), print)


@pytest.mark.parametrize("folder", ["USERPROFILE", "LOCALAPPDATA", "APPDATA"])
def test_machine_wide_install_refuses_a_kioskguard_inside_one_users_profile(
    tmp_path: Path, folder: str
) -> None:
    profile = r"C:\Users\admin"
    environ = {
        "USERPROFILE": profile,
        "APPDATA": profile + r"\AppData\Roaming",
        "LOCALAPPDATA": profile + r"\AppData\Local",
        "ProgramData": str(tmp_path / "ProgramData"),
        "USERNAME": "admin",
    }
    executable = environ[folder] + r"\KIOSKGUARD\venv\Scripts\pythonw.exe"
    installation = Installation("windows", Path(executable), environ, Path(profile))
    manager = FakeServiceManager()
    with pytest.raises(InstallError, match=rf"inside %{folder}%.*%ProgramFiles%"):
        install(installation, options("system", CONFIG / "hotel.toml"), manager, print)
    assert manager.calls == [] and not (tmp_path / "ProgramData").exists()


def test_machine_wide_install_from_program_files_is_accepted(tmp_path: Path) -> None:
    environ = {
        "USERPROFILE": r"C:\Users\admin",
        "LOCALAPPDATA": r"C:\Users\admin\AppData\Local",
        "ProgramData": str(tmp_path / "ProgramData"),
    }
    executable = Path(r"C:\Program Files\kioskguard\venv\Scripts\pythonw.exe")
    installation = Installation("windows", executable, environ, tmp_path)
    manager = FakeServiceManager()
    assert install(installation, options("system", CONFIG / "hotel.toml"), manager, print) == 0
    assert (tmp_path / "ProgramData/kioskguard/kioskguard.toml").exists()


def test_second_windows_install_only_queries(
    windows_installation: Installation, capsys: pytest.CaptureFixture[str]
) -> None:
    manager = FakeServiceManager()
    install(windows_installation, options(), manager, print)
    capsys.readouterr()
    calls_before = len(manager.calls)
    install(windows_installation, options(), manager, print)
    assert manager.calls[calls_before:] == [("schtasks", "/Query", "/TN", "kioskguard")]
    assert capsys.readouterr().out.splitlines()[-1] == "kioskguard install: nothing changed"


def test_system_install_points_the_task_at_programdata(
    windows_installation: Installation, tmp_path: Path
) -> None:
    manager = FakeServiceManager()
    install(windows_installation, options("system", CONFIG / "hotel.toml"), manager, print)
    config = tmp_path / "ProgramData/kioskguard/kioskguard.toml"
    assert exec_element(manager.tasks["kioskguard"])["Arguments"] == (
        f'-m agent run --config "{config}"'
    )
    assert config.read_bytes() == (CONFIG / "hotel.toml").read_bytes()


def test_windows_uninstall_deletes_the_task_and_its_xml_keeping_the_config(
    windows_installation: Installation, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    manager = FakeServiceManager()
    install(windows_installation, options(), manager, print)
    uninstall(windows_installation, options(config=None), manager, print)
    assert manager.tasks == {}
    assert ("schtasks", "/Delete", "/TN", "kioskguard", "/F") in manager.calls
    assert not (tmp_path / "AppData/Local/kioskguard/kioskguard-task.xml").exists()
    assert (tmp_path / "AppData/Roaming/kioskguard/kioskguard.toml").exists()
    capsys.readouterr()
    uninstall(windows_installation, options(config=None), manager, print)
    assert capsys.readouterr().out.splitlines()[-1] == "kioskguard uninstall: nothing changed"
