"""Session-test plumbing: seeds that defeated the UI path are listed after the run."""

from __future__ import annotations

import pytest

# "<generation> mutate=<seed>: <why the UI path gave way>", appended by tests/session/test_drift.py
DEFEATED: list[str] = []


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    if DEFEATED:
        terminalreporter.section("mutator seeds that defeated the UI path (client function did it)")
        for line in DEFEATED:
            terminalreporter.write_line(line)
