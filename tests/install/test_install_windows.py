"""`kioskguard install` / `uninstall` on Windows: the task XML templated, schtasks faked."""

from __future__ import annotations

import xml.etree.ElementTree as ElementTree
from pathlib import Path

import pytest

from agent.install.actions import Options, install, uninstall
from agent.install.fakes import FakeServiceManager
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


def test_task_keeps_the_shipped_trigger_principal_and_settings(
    windows_installation: Installation,
) -> None:
    manager = FakeServiceManager()
    install(windows_installation, options(), manager, print)
    task = ElementTree.fromstring(manager.tasks["kioskguard"].decode("utf-16"))
    shipped = ElementTree.parse(CONFIG / "windows/kioskguard-task.xml").getroot()
    for path in ("task:Triggers", "task:Principals", "task:Settings"):
        written, original = task.find(path, TASK), shipped.find(path, TASK)
        assert written is not None and original is not None
        assert ElementTree.tostring(written) == ElementTree.tostring(original)


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
