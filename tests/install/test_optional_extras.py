"""Commands whose optional dependencies are not installed say which extra to install."""

from __future__ import annotations

import subprocess
import sys

import pytest

# Runs the command line in a fresh interpreter in which segno cannot be imported.
WITHOUT_SEGNO = (
    "import sys; sys.modules['segno'] = None; from agent.cli import main; sys.exit(main())"
)


@pytest.mark.parametrize("command", ["simulator", "demo"])
def test_simulator_commands_without_the_extra_name_it_and_exit_1(command: str) -> None:
    completed = subprocess.run(
        [sys.executable, "-c", WITHOUT_SEGNO, command],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert completed.returncode == 1
    assert completed.stderr == (
        f"kioskguard {command}: needs the optional package segno, which this installation"
        " lacks: pip install 'kioskguard[simulator]'\n"
    )
