"""The guarded desktop mode's system unit (config/systemd/kioskguard-guarded.service).

systemd is not PID 1 here: systemd-analyze checks every key (verify) and rates the sandbox
(security --offline=true); the sandbox lines must be the system unit's, whose Chromium trace
(tests/platform/test_unit_security.py) then covers this unit too.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

from agent.daemon.open_request import DEFAULT_SOCKET
from tests.platform.test_unit_security import EXPOSURE
from tests.platform.test_unit_verify import SYSTEMD, complaints, systemd_analyze, verify

UNIT = SYSTEMD / "kioskguard-guarded.service"
EXEC_START = re.compile(r"^ExecStart=(\S+) run --config (\S+) --open-socket (\S+)$", re.MULTILINE)
SANDBOX = (
    "NoNewPrivileges", "CapabilityBoundingSet", "AmbientCapabilities", "ProtectSystem",
    "ProtectHome", "PrivateTmp", "PrivateDevices", "ProtectKernelTunables",
    "ProtectKernelModules", "ProtectKernelLogs", "ProtectControlGroups", "ProtectClock",
    "ProtectHostname", "ProtectProc", "RestrictSUIDSGID", "RestrictRealtime", "LockPersonality",
    "RemoveIPC", "UMask", "RestrictAddressFamilies", "RestrictNamespaces",
    "SystemCallArchitectures", "SystemCallFilter", "SystemCallErrorNumber",
    "MemoryDenyWriteExecute", "User", "Group",
)  # fmt: skip


def values(unit: Path, key: str) -> list[str]:
    return [
        value.strip()
        for name, equals, value in (line.partition("=") for line in unit.read_text().splitlines())
        if equals and name.strip() == key
    ]


def installed(directory: Path) -> Path:
    """Write the unit with ExecStart naming this checkout's kioskguard, as installed."""
    text = UNIT.read_text(encoding="utf-8")
    assert len(EXEC_START.findall(text)) == 1, "ExecStart=EXE run --config F --open-socket S"
    config = directory / "kioskguard.toml"
    config.write_text("", encoding="utf-8")
    kioskguard = Path(sys.executable).with_name("kioskguard")
    text = EXEC_START.sub(
        lambda found: f"ExecStart={kioskguard} run --config {config} --open-socket {found[3]}",
        text,
    )
    target = directory / "kioskguard.service"
    target.write_text(text, encoding="utf-8")
    return target


def test_systemd_analyze_verify_accepts_the_guarded_unit(tmp_path: Path) -> None:
    unit = installed(tmp_path)
    result = verify(unit, tmp_path, user=False)
    assert result.returncode == 0 and complaints(result, unit) == [], result.stderr


def test_systemd_rates_the_guarded_unit_5_or_lower(tmp_path: Path) -> None:
    completed = subprocess.run(
        [systemd_analyze(), "security", "--offline=true", "--no-pager", str(installed(tmp_path))],
        capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    found = EXPOSURE.search(completed.stdout + completed.stderr)
    assert found, completed.stdout[-2000:] + completed.stderr[-2000:]
    assert float(found.group(1)) <= 5.0, completed.stdout


def test_the_guarded_unit_has_the_system_units_sandbox() -> None:
    system = SYSTEMD / "kioskguard-system.service"
    for key in SANDBOX:
        assert values(UNIT, key) == values(system, key), key
    assert values(UNIT, "User") == ["kioskguard"]


def test_the_guarded_unit_listens_where_the_launcher_asks() -> None:
    (found,) = EXEC_START.findall(UNIT.read_text())
    assert Path(found[2]) == DEFAULT_SOCKET
    assert values(UNIT, "RuntimeDirectory") == [DEFAULT_SOCKET.parent.name]
    assert values(UNIT, "RuntimeDirectoryMode") == ["0755"]
    assert values(UNIT, "Environment")[-1].startswith("DISPLAY=")
