"""No dead code in agent/: vulture at 80 % confidence (unused imports, arguments, variables it is
sure of, unreachable lines) reports nothing (issue 18's acceptance)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import agent

AGENT = Path(agent.__file__).parent
CONFIDENCE = "80"


def vulture(*paths: Path) -> subprocess.CompletedProcess[str]:
    """Given paths, return vulture's run over them at the project's confidence."""
    return subprocess.run(
        [sys.executable, "-m", "vulture", "--min-confidence", CONFIDENCE, *map(str, paths)],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def test_vulture_reports_nothing_in_agent() -> None:
    completed = vulture(AGENT)
    assert (completed.returncode, completed.stdout, completed.stderr) == (0, "", "")


def test_vulture_sees_dead_code(tmp_path: Path) -> None:
    module = tmp_path / "dead.py"
    module.write_text(
        "import os\n\n\ndef f(unused_argument):\n    return 1\n    print('never')\n",
        encoding="utf-8",
    )
    completed = vulture(module)
    assert completed.returncode == 3
    reported = completed.stdout
    assert "unused import 'os'" in reported
    assert "unused variable 'unused_argument'" in reported
    assert "unreachable code after 'return'" in reported
