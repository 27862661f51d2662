"""``kioskguard simulator`` as a user runs it: one address line, serves, exits 0 on SIGTERM."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def start(*arguments: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "agent", "simulator", *arguments],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def test_serves_after_printing_its_address_and_exits_0_on_sigterm(tmp_path: Path) -> None:
    process = start("--port", "0", "--db", str(tmp_path / "db.sqlite3"), "--layout", "classic")
    assert process.stdout is not None
    line = process.stdout.readline()
    assert line.startswith("simulator: serving on http://127.0.0.1:")
    url = line.split(" on ")[1].strip()
    with urllib.request.urlopen(url + "api/sim/config", timeout=10) as response:
        assert json.loads(response.read())["layout"] == "classic"
    process.send_signal(signal.SIGTERM)
    assert process.wait(timeout=20) == 0


def test_bad_arguments_exit_2() -> None:
    process = start("--port", "70000")
    _, error = process.communicate(timeout=20)
    assert process.returncode == 2
    assert "port" in error
