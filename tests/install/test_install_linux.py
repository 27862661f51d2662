"""`kioskguard install` / `uninstall` on Linux, with the service manager faked."""

from __future__ import annotations

import configparser
import os
import subprocess
from pathlib import Path

import pytest

from agent.install.actions import Options, install, uninstall
from agent.install.fakes import FakeServiceManager
from agent.install.render import systemd_quote
from agent.install.runner import InstallError
from agent.install.targets import Installation
from tests.install.conftest import CONFIG, require_tool

UNIT = "kioskguard.service"


def options(
    mode: str = "user", config: Path | None = CONFIG / "library.toml", **flags: bool
) -> Options:
    return Options(
        mode=mode,
        config=config,
        dry_run=flags.get("dry_run", False),  # type: ignore[arg-type]
        files_only=flags.get("files_only", False),
    )


def user_unit(installation: Installation) -> Path:
    return installation.home / ".config" / "systemd" / "user" / UNIT


def exec_start(unit: Path) -> str:
    parser = configparser.ConfigParser(interpolation=None, strict=False)
    parser.optionxform = str  # type: ignore[assignment,method-assign]
    parser.read(unit)
    return parser["Service"]["ExecStart"]


def verify_unit(unit: Path, *, user: bool, tmp_path: Path) -> subprocess.CompletedProcess[str]:
    runtime = tmp_path / "runtime"
    runtime.mkdir(mode=0o700, exist_ok=True)
    command = [require_tool("systemd-analyze"), "verify", *(["--user"] if user else []), str(unit)]
    environment = {**os.environ, "XDG_RUNTIME_DIR": str(runtime)}
    return subprocess.run(command, capture_output=True, text=True, env=environment, timeout=60)


def test_user_install_writes_the_unit_with_this_venv_and_enables_it(
    linux_installation: Installation,
) -> None:
    manager = FakeServiceManager()
    assert install(linux_installation, options(), manager, print) == 0
    config = linux_installation.home / ".config" / "kioskguard" / "kioskguard.toml"
    assert config.read_bytes() == (CONFIG / "library.toml").read_bytes()
    assert exec_start(user_unit(linux_installation)) == (
        f"{linux_installation.executable} run --config {config}"
    )
    assert manager.calls[0] == ("systemctl", "--user", "daemon-reload")
    assert ("systemctl", "--user", "enable", "--now", UNIT) in manager.calls
    assert UNIT in manager.enabled and UNIT in manager.active


def test_second_install_reports_nothing_changed_and_changes_nothing(
    linux_installation: Installation, capsys: pytest.CaptureFixture[str]
) -> None:
    manager = FakeServiceManager()
    install(linux_installation, options(), manager, print)
    capsys.readouterr()
    calls_before = len(manager.calls)
    assert install(linux_installation, options(), manager, print) == 0
    assert capsys.readouterr().out.splitlines()[-1] == "kioskguard install: nothing changed"
    queries = [call[1:3] for call in manager.calls[calls_before:]]
    assert queries == [
        ("--user", "is-enabled"), ("--user", "is-active"), ("get", "default-web-browser"),
    ]  # fmt: skip
    assert manager.reloads == 1 and manager.restarts == 0


def test_changed_unit_is_reloaded_and_the_running_service_restarted(
    linux_installation: Installation,
) -> None:
    manager = FakeServiceManager()
    install(linux_installation, options(), manager, print)
    unit = user_unit(linux_installation)
    unit.write_text(unit.read_text().replace("RestartSec=5", "RestartSec=9"))
    install(linux_installation, options(), manager, print)
    assert "RestartSec=5" in unit.read_text()
    assert (manager.reloads, manager.restarts) == (2, 1)


def test_system_install_writes_unit_and_logind_drop_in_that_systemd_accepts(
    linux_installation: Installation, tmp_path: Path
) -> None:
    manager = FakeServiceManager()
    assert (
        install(linux_installation, options("system", CONFIG / "hotel.toml"), manager, print) == 0
    )
    root = linux_installation.root
    unit = root / "etc/systemd/system" / UNIT
    assert (root / "etc/systemd/logind.conf.d/kioskguard.conf").read_text() == (
        CONFIG / "systemd/logind-kioskguard.conf"
    ).read_text()
    assert exec_start(unit).startswith(f"{linux_installation.executable} run --config {root}/etc/")
    assert manager.calls[:3] == [
        ("getent", "passwd", "kioskguard"),
        ("useradd", "--system", "--user-group", "--no-create-home", "--home-dir",
         "/var/lib/kioskguard", "--shell", "/usr/sbin/nologin", "kioskguard"),
        ("systemctl", "daemon-reload"),
    ]  # fmt: skip
    verified = verify_unit(unit, user=False, tmp_path=tmp_path)
    assert (verified.returncode, verified.stdout + verified.stderr) == (0, "")


def test_user_unit_that_install_writes_passes_systemd_analyze_verify(
    linux_installation: Installation, tmp_path: Path
) -> None:
    install(linux_installation, options(), FakeServiceManager(), print)
    verified = verify_unit(user_unit(linux_installation), user=True, tmp_path=tmp_path)
    assert (verified.returncode, verified.stdout + verified.stderr) == (0, "")


def test_systemd_analyze_verify_rejects_a_unit_whose_program_is_missing(
    linux_installation: Installation, tmp_path: Path
) -> None:
    install(linux_installation, options(), FakeServiceManager(), print)
    unit = user_unit(linux_installation)
    unit.write_text(unit.read_text().replace(str(linux_installation.executable), "/nonexistent/kg"))
    assert verify_unit(unit, user=True, tmp_path=tmp_path).returncode != 0


def test_invalid_configuration_exits_2_and_installs_nothing(
    linux_installation: Installation, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bad = tmp_path / "bad.toml"
    bad.write_text("[idle]\ntimeout_s = -1\ncolour = 'red'\n")
    manager = FakeServiceManager()
    assert install(linux_installation, options(config=bad), manager, print) == 2
    errors = capsys.readouterr().err
    assert "idle.timeout_s" in errors and "idle.colour" in errors
    assert manager.calls == [] and not (linux_installation.home / ".config").exists()


def test_no_configuration_anywhere_installs_the_commented_example_and_says_what_to_edit(
    linux_installation: Installation, capsys: pytest.CaptureFixture[str]
) -> None:
    manager = FakeServiceManager()
    assert install(linux_installation, options(config=None), manager, print) == 0
    config = linux_installation.home / ".config" / "kioskguard" / "kioskguard.toml"
    assert config.read_text() == (CONFIG / "kioskguard.example.toml").read_text()
    out = capsys.readouterr().out
    assert f"{config} is the commented example" in out
    assert f"kioskguard check-config {config}" in out
    assert ("systemctl", "--user", "enable", "--now", UNIT) in manager.calls
    assert install(linux_installation, options(config=None), manager, print) == 0
    assert "commented example" not in capsys.readouterr().out  # the file is now the user's


def test_existing_configuration_is_kept_and_checked(
    linux_installation: Installation, capsys: pytest.CaptureFixture[str]
) -> None:
    config = linux_installation.home / ".config" / "kioskguard" / "kioskguard.toml"
    config.parent.mkdir(parents=True)
    config.write_bytes((CONFIG / "hotel.toml").read_bytes())
    assert install(linux_installation, options(), FakeServiceManager(), print) == 0
    assert config.read_bytes() == (CONFIG / "hotel.toml").read_bytes()
    assert f"kept {config}" in capsys.readouterr().out


def test_dry_run_prints_files_and_commands_and_touches_nothing(
    linux_installation: Installation, capsys: pytest.CaptureFixture[str]
) -> None:
    manager = FakeServiceManager()
    assert install(linux_installation, options(dry_run=True), manager, print) == 0
    out = capsys.readouterr().out
    assert f"would write {user_unit(linux_installation)} (systemd unit, new):" in out
    assert f"    ExecStart={linux_installation.executable} run --config" in out
    assert "would run: systemctl --user enable --now kioskguard.service" in out
    assert manager.calls == [] and not (linux_installation.home / ".config").exists()


def test_refusing_service_manager_is_an_install_error_suggesting_files_only(
    linux_installation: Installation,
) -> None:
    expected = r"enable --now kioskguard\.service failed.*--files-only"
    with pytest.raises(InstallError, match=expected):
        install(linux_installation, options(), FakeServiceManager(fail=["enable"]), print)


def test_files_only_writes_the_unit_and_runs_nothing(linux_installation: Installation) -> None:
    manager = FakeServiceManager()
    install(linux_installation, options(files_only=True), manager, print)
    assert user_unit(linux_installation).exists() and manager.calls == []


def test_uninstall_disables_removes_unit_and_drop_in_but_keeps_config(
    linux_installation: Installation, capsys: pytest.CaptureFixture[str]
) -> None:
    manager = FakeServiceManager()
    install(linux_installation, options("system", CONFIG / "hotel.toml"), manager, print)
    assert uninstall(linux_installation, options("system", None), manager, print) == 0
    root = linux_installation.root
    assert not (root / "etc/systemd/system" / UNIT).exists()
    assert not (root / "etc/systemd/logind.conf.d/kioskguard.conf").exists()
    assert (root / "etc/kioskguard/kioskguard.toml").exists()
    assert ("systemctl", "disable", "--now", UNIT) in manager.calls
    assert UNIT not in manager.enabled and manager.calls[-1] == ("systemctl", "daemon-reload")
    capsys.readouterr()
    calls_before = len(manager.calls)
    uninstall(linux_installation, options("system", None), manager, print)
    assert capsys.readouterr().out.splitlines()[-1] == "kioskguard uninstall: nothing changed"
    assert len(manager.calls) == calls_before


@pytest.mark.parametrize(
    ("word", "quoted"),
    [
        ("/opt/kg/bin/kioskguard", "/opt/kg/bin/kioskguard"),
        ("/home/a b/kg.toml", '"/home/a b/kg.toml"'),
        ("/srv/100%/kg.toml", "/srv/100%%/kg.toml"),
    ],
)
def test_unit_words_are_quoted_and_specifiers_escaped(word: str, quoted: str) -> None:
    assert systemd_quote(word) == quoted


def test_changed_configuration_changes_the_unit_and_restarts_the_service(
    linux_installation: Installation,
) -> None:
    manager = FakeServiceManager()
    install(linux_installation, options(), manager, print)
    config = linux_installation.home / ".config" / "kioskguard" / "kioskguard.toml"
    config.write_text(config.read_text().replace("timeout_s = 300", "timeout_s = 240"))
    before = user_unit(linux_installation).read_text()
    install(linux_installation, options(config=None), manager, print)
    assert user_unit(linux_installation).read_text() != before
    assert (manager.reloads, manager.restarts) == (2, 1)


def test_unwritable_system_path_is_an_install_error_naming_the_file(
    linux_installation: Installation,
) -> None:
    linux_installation.root.mkdir()
    (linux_installation.root / "etc").write_text("a file where a directory belongs")
    with pytest.raises(
        InstallError, match=r"cannot write .*/etc/systemd/system/kioskguard\.service"
    ):
        install(
            linux_installation,
            options("system", CONFIG / "hotel.toml"),
            FakeServiceManager(),
            print,
        )


def test_system_install_keeps_an_existing_service_account(linux_installation: Installation) -> None:
    manager = FakeServiceManager()
    manager.users.add("kioskguard")
    install(linux_installation, options("system", CONFIG / "hotel.toml"), manager, print)
    assert ("getent", "passwd", "kioskguard") in manager.calls
    assert not any(call[0] == "useradd" for call in manager.calls)
