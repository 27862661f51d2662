"""`kioskguard install --system --guarded` / `uninstall --system --guarded` (Linux).

The plan and its commands run against the fake service manager (under a scratch root); one test
as root creates a real throw-away system account with the installer's useradd and makes a file
root:account 0640 with its real chown and chmod.
"""

from __future__ import annotations

import os
import secrets
import subprocess
import sys
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path

import pytest

from agent.install.actions import Options, Report, _ensure_service_user, install, uninstall
from agent.install.fakes import FakeServiceManager
from agent.install.guarded import ownership_commands
from agent.install.runner import Completed, InstallError, run_command
from agent.install.targets import Installation
from tests.install.conftest import CONFIG
from tests.install.test_install_linux import exec_start, verify_unit

# The words of the installer's commands that name the account (getent, useradd, chown).
WORDS = {"kioskguard", "root:kioskguard"}
FLEET = """
[fleet]
enabled = true
broker = "mqtt.example.org:8883"
password_file = "{password}"
"""


def guarded(**flags: bool) -> Options:
    return Options(
        mode="system",
        config=CONFIG / "library.toml",
        dry_run=flags.get("dry_run", False),
        files_only=flags.get("files_only", False),
        guarded=True,
    )


@pytest.fixture
def as_root(linux_installation: Installation) -> Installation:
    """The scratch installation, told it runs as root (the fake runner does the rest)."""
    return replace(linux_installation, privileged=True)


def _fleet_config(tmp_path: Path) -> tuple[Path, Path]:
    """Return a configuration naming a fleet password file, and that file (check-config wants
    it to exist where the configuration says)."""
    password = tmp_path / "mqtt-password"
    password.write_text("secret\n")
    config = tmp_path / "site.toml"
    config.write_text((CONFIG / "library.toml").read_text() + FLEET.format(password=password))
    return config, password


def test_guarded_install_writes_section_6_and_secures_the_secrets(
    as_root: Installation, tmp_path: Path
) -> None:
    root = as_root.root
    (root / "etc/chromium.d").mkdir(parents=True)  # Debian's wrapper: no snippet in this mode
    config, password = _fleet_config(tmp_path)
    manager = FakeServiceManager()
    assert install(as_root, replace(guarded(), config=config), manager, print) == 0
    unit = root / "etc/systemd/system/kioskguard.service"
    installed = root / "etc/kioskguard/kioskguard.toml"
    assert "User=kioskguard" in unit.read_text()
    assert exec_start(unit) == (
        f"{as_root.executable} run --config {installed} --open-socket /run/kioskguard/open.sock"
    )
    assert (root / "etc/chromium/policies/managed/kioskguard.json").read_bytes() == (
        CONFIG / "chromium/kioskguard-guarded.json"
    ).read_bytes()
    assert (root / "etc/xdg/autostart/kioskguard-guarded-grant.desktop").read_bytes() == (
        CONFIG / "desktop/kioskguard-guarded-grant.desktop"
    ).read_bytes()
    launcher = root / "usr/share/applications/kioskguard-guarded-browser.desktop"
    assert f"\nExec={as_root.executable} browser --guarded\n" in launcher.read_text()
    assert "MimeType=" in launcher.read_text()
    assert installed.stat().st_mode & 0o777 == 0o640
    assert not (root / "etc/chromium.d/kioskguard").exists()
    # the shutdown logout gets its time in this mode too (section 4)
    assert (root / "etc/systemd/logind.conf.d/kioskguard.conf").exists()
    assert manager.users >= {"kioskguard"}
    assert manager.owners == {str(installed): "root:kioskguard", str(password): "root:kioskguard"}
    assert manager.modes == {str(installed): "0640", str(password): "0640"}
    useradd = next(call for call in manager.calls if call[0] == "useradd")
    first_chown = next(index for index, call in enumerate(manager.calls) if call[0] == "chown")
    assert manager.calls.index(useradd) < first_chown  # the group exists before the chown
    assert {"--system", "/var/lib/kioskguard", "/usr/sbin/nologin"} <= set(useradd)
    assert manager.enabled == manager.active == {"kioskguard.service"}


def test_guarded_unit_passes_systemd_analyze_verify(as_root: Installation, tmp_path: Path) -> None:
    install(as_root, guarded(), FakeServiceManager(), print)
    verified = verify_unit(
        as_root.root / "etc/systemd/system/kioskguard.service", user=False, tmp_path=tmp_path
    )
    assert (verified.returncode, verified.stdout + verified.stderr) == (0, "")


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        ({"privileged": False}, "--guarded needs root"),
        ({"platform": "windows"}, "--guarded is the Linux guarded desktop mode"),
    ],
)
def test_guarded_install_refuses_and_writes_nothing(
    linux_installation: Installation, change: dict[str, object], reason: str
) -> None:
    installation = replace(linux_installation, **change)  # type: ignore[arg-type]
    manager = FakeServiceManager()
    with pytest.raises(InstallError, match=reason):
        install(installation, guarded(), manager, print)
    assert manager.calls == []
    assert not installation.root.exists()


def test_guarded_needs_system_mode(as_root: Installation) -> None:
    with pytest.raises(InstallError, match="--guarded needs --system"):
        install(as_root, replace(guarded(), mode="user"), FakeServiceManager(), print)


def test_guarded_dry_run_shows_the_plan_without_root_and_touches_nothing(
    linux_installation: Installation, capsys: pytest.CaptureFixture[str]
) -> None:
    manager = FakeServiceManager()
    assert install(linux_installation, guarded(dry_run=True), manager, print) == 0
    out = capsys.readouterr().out
    assert "kioskguard-guarded-browser.desktop" in out
    assert "policies/managed/kioskguard.json" in out
    assert "useradd --system --user-group" in out and "chmod 0640" in out
    assert "--open-socket /run/kioskguard/open.sock" in out
    assert manager.calls == []
    assert not linux_installation.root.exists()


def test_guarded_files_only_still_makes_the_account_and_the_owners(
    as_root: Installation,
) -> None:
    manager = FakeServiceManager()
    install(as_root, guarded(files_only=True), manager, print)
    assert "kioskguard" in manager.users
    assert list(manager.owners.values()) == ["root:kioskguard"]
    assert not any(call[0] == "systemctl" for call in manager.calls)


def test_guarded_uninstall_removes_what_install_wrote_and_keeps_config(
    as_root: Installation,
) -> None:
    manager = FakeServiceManager()
    install(as_root, guarded(), manager, print)
    root = as_root.root
    uninstall(as_root, guarded(), manager, print)
    left = sorted(str(path.relative_to(root)) for path in root.rglob("*") if path.is_file())
    assert left == ["etc/kioskguard/kioskguard.toml"]
    assert "kioskguard.service" not in manager.enabled | manager.active
    assert "kioskguard" in manager.users  # the account (and its state) stays


def test_cli_refuses_guarded_for_a_non_root_user_with_the_reason(tmp_path: Path) -> None:
    kioskguard = Path(sys.executable).parent / "kioskguard"
    command = [str(kioskguard), "install", "--system", "--guarded", "--files-only"]
    if os.geteuid() == 0:
        command = ["setpriv", "--reuid=nobody", "--regid=nogroup", "--clear-groups", *command]
    completed = subprocess.run(
        command, capture_output=True, text=True, timeout=120, cwd=tmp_path, env={"HOME": "/"}
    )
    assert completed.returncode == 1, completed.stdout + completed.stderr
    assert "--guarded needs root" in completed.stderr


def test_real_useradd_and_ownership_as_root(tmp_path: Path) -> None:
    if os.geteuid() != 0:
        pytest.fail("this test creates a real system account: run it as root")
    name = f"kgacct{secrets.token_hex(3)}"
    secret = tmp_path / "secret.toml"
    secret.write_text("x = 1\n")
    secret.chmod(0o644)
    report = Report()
    try:
        _ensure_service_user(name, run_command, report, print, dry_run=False)
        entry = subprocess.run(["getent", "passwd", name], capture_output=True, text=True)
        assert entry.returncode == 0
        fields = entry.stdout.strip().split(":")
        assert fields[5:] == ["/var/lib/kioskguard", "/usr/sbin/nologin"]
        assert int(fields[2]) < 1000  # a system account
        for command in ownership_commands(secret, name):
            assert run_command(command).returncode == 0
        status = secret.stat()
        assert (status.st_uid, status.st_gid, status.st_mode & 0o777) == (
            0,
            int(fields[3]),
            0o640,
        )
        assert ownership_commands(secret, name) == []  # a second run changes nothing
        again = Report()
        _ensure_service_user(name, run_command, again, print, dry_run=False)
        assert again.changes == []  # the account exists: no second useradd
    finally:
        subprocess.run(["userdel", name], capture_output=True, check=False)
    assert subprocess.run(["getent", "passwd", name], capture_output=True).returncode != 0


def test_guarded_uninstall_refuses_outside_system_mode(as_root: Installation) -> None:
    manager = FakeServiceManager()
    with pytest.raises(InstallError, match="--guarded needs --system"):
        uninstall(as_root, replace(guarded(), mode="user"), manager, print)
    assert manager.calls == []


def test_real_guarded_install_files_only_into_a_scratch_root_as_root(
    linux_installation: Installation, tmp_path: Path
) -> None:
    """The whole install with the real commands (useradd, getent, chown, chmod; --files-only:
    no systemd here) into a scratch root; the account's name is swapped for a throw-away one
    on its way to the real commands, so no real kioskguard account is made."""
    if os.geteuid() != 0:
        pytest.fail("this test creates a real system account: run it as root")
    name = f"kgacct{secrets.token_hex(3)}"

    def renamed(argv: Sequence[str]) -> Completed:
        swapped = [word.replace("kioskguard", name) if word in WORDS else word for word in argv]
        return run_command(swapped)

    config, password = _fleet_config(tmp_path)
    password.chmod(0o644)
    installation = replace(linux_installation, privileged=True)
    try:
        options = replace(guarded(files_only=True), config=config)
        assert install(installation, options, renamed, print) == 0
        group = int(subprocess.run(["id", "-g", name], capture_output=True, text=True).stdout)
        installed = installation.root / "etc/kioskguard/kioskguard.toml"
        for secret in (installed, password):
            status = secret.stat()
            assert (status.st_uid, status.st_gid, status.st_mode & 0o777) == (0, group, 0o640)
        launcher = installation.root / "usr/share/applications/kioskguard-guarded-browser.desktop"
        assert launcher.stat().st_mode & 0o777 == 0o644
    finally:
        subprocess.run(["userdel", name], capture_output=True, check=False)
    assert subprocess.run(["getent", "passwd", name], capture_output=True).returncode != 0
