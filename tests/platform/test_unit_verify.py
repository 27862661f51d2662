"""systemd-analyze verify accepts both shipped units (as the installer writes them).

The installer rewrites the two paths of ExecStart= (the kioskguard executable and --config);
these tests do the same with this checkout's executable, then let systemd check every key.
systemd-analyze comes from the Debian package systemd (tools/bootstrap.py installs it): a
machine without it FAILS these tests, it never skips them.
"""

from __future__ import annotations

import configparser
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.platform.test_service_files import read_ini

SYSTEMD = Path(__file__).resolve().parents[2] / "config" / "systemd"
EXEC_START = re.compile(r"^ExecStart=(\S+) run --config (\S+)$", re.MULTILINE)


def systemd_analyze() -> str:
    found = shutil.which("systemd-analyze")
    if found is None:
        pytest.fail("systemd-analyze is missing: run `make bootstrap` (Debian package systemd)")
    return found


def installed(unit: Path, directory: Path) -> Path:
    """Write unit into directory with ExecStart pointing at this checkout, as installed."""
    text = unit.read_text(encoding="utf-8")
    assert len(EXEC_START.findall(text)) == 1, "ExecStart= must be one line: EXE run --config F"
    kioskguard = Path(sys.executable).with_name("kioskguard")
    config = directory / "kioskguard.toml"
    config.write_text("", encoding="utf-8")
    text = EXEC_START.sub(f"ExecStart={kioskguard} run --config {config}", text)
    target = directory / "kioskguard.service"
    target.write_text(text, encoding="utf-8")
    return target


def verify(unit: Path, tmp_path: Path, user: bool) -> subprocess.CompletedProcess[str]:
    runtime = tmp_path / "runtime"
    runtime.mkdir(mode=0o700, exist_ok=True)
    command = [systemd_analyze(), *(["--user"] if user else []), "verify", str(unit)]
    return subprocess.run(
        command,
        capture_output=True,
        text=True,
        timeout=120,
        env={"PATH": "/usr/sbin:/usr/bin:/sbin:/bin", "XDG_RUNTIME_DIR": str(runtime)},
    )


def complaints(result: subprocess.CompletedProcess[str], unit: Path) -> list[str]:
    """Return systemd's lines about this unit (it exits 0 even when it ignores a bad key)."""
    lines = (result.stdout + result.stderr).splitlines()
    return [line for line in lines if unit.name in line or str(unit.parent) in line]


@pytest.mark.parametrize(
    ("name", "user"), [("kioskguard.service", True), ("kioskguard-system.service", False)]
)
def test_systemd_analyze_verify_accepts_the_unit(name: str, user: bool, tmp_path: Path) -> None:
    unit = installed(SYSTEMD / name, tmp_path)
    result = verify(unit, tmp_path, user)
    assert result.returncode == 0 and complaints(result, unit) == [], result.stderr


def test_systemd_analyze_verify_would_report_an_ignored_key(tmp_path: Path) -> None:
    unit = installed(SYSTEMD / "kioskguard-system.service", tmp_path)
    unit.write_text(unit.read_text().replace("RestartSec=5", "RestartSec=soon"))
    assert complaints(verify(unit, tmp_path, user=False), unit) != []


@pytest.mark.parametrize("name", ["kioskguard.service", "kioskguard-system.service"])
def test_units_never_restart_a_bad_configuration_and_reload_on_sighup(name: str) -> None:
    service = read_ini(SYSTEMD / name)["Service"]
    assert service["RestartPreventExitStatus"] == "2"
    assert (service["Type"], service["Restart"]) == ("notify", "on-failure")
    assert service["ExecReload"] == "/bin/kill -HUP $MAINPID"


def test_system_unit_runs_as_its_own_user_with_system_directories() -> None:
    parser: configparser.ConfigParser = read_ini(SYSTEMD / "kioskguard-system.service")
    service = parser["Service"]
    assert (service["User"], service["StateDirectory"], service["LogsDirectory"]) == (
        "kioskguard",
        "kioskguard",
        "kioskguard",
    )
    assert service["ConfigurationDirectory"] == "kioskguard"
    assert service["ExecStart"].endswith(" run --config /etc/kioskguard/kioskguard.toml")
    assert parser["Install"]["WantedBy"] == "multi-user.target"
