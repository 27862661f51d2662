"""`kioskguard demo` as a user runs it: a real browser against the simulator, and its output is
the timeline only (no log lines of the agent interleaved). Slow: one run."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

REPOSITORY = Path(__file__).resolve().parents[1]
TIMELINE_LINE = re.compile(r"^\[ *\d+\.\d\d s \| \+ *\d+ ms\] +\S")
HEADER_LINE = re.compile(r"^== .+ ==$")


@pytest.mark.browser
@pytest.mark.timeout(400)
def test_demo_prints_its_timeline_only() -> None:
    finished = subprocess.run(
        [sys.executable, "-m", "agent", "demo", "--port", "0"],
        cwd=REPOSITORY,
        capture_output=True,
        text=True,
        timeout=360,
        check=False,
    )
    output = finished.stdout + finished.stderr
    assert finished.returncode == 0, output
    lines = [line for line in output.splitlines() if line.strip()]
    strays = [
        line
        for line in lines
        if not (TIMELINE_LINE.match(line) or HEADER_LINE.match(line) or line == "demo: done")
    ]
    assert strays == [], output
    assert sum(bool(TIMELINE_LINE.match(line)) for line in lines) >= 10
    assert finished.stdout.rstrip().endswith("demo: done")
