"""Session-test plumbing: the guarded profile and service fixtures (tests/session/helpers.py);
the mutator seeds' results are summarised after the run."""

from __future__ import annotations

from collections import Counter

import pytest

from tests.session.helpers import profile, service  # noqa: F401 (fixtures)

# (generation, seed, how, why the UI path gave way or None), appended by test_drift.py
MUTATED: list[tuple[str, int, str, str | None]] = []


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    if not MUTATED:
        return
    terminalreporter.section("mutator seeds: which path logged out")
    counts = Counter((generation, how) for generation, _, how, _ in MUTATED)
    for (generation, how), count in sorted(counts.items()):
        terminalreporter.write_line(f"{generation}: {how} x {count}")
    defeated = [entry for entry in MUTATED if not entry[2].startswith("ui:")]
    terminalreporter.write_line(f"seeds that defeated the UI path: {len(defeated)}")
    for generation, seed, how, why in defeated:
        terminalreporter.write_line(f"  {generation} mutate={seed} -> {how}: {why}")
