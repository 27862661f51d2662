"""A pytest plugin that runs the reader's mutants in one pytest process, on one browser.

The reader (agent/session/reader/*.js) is read from disk and cached once per process
(agent.session.pagestate.inspect_script), so a JavaScript mutant needs no new process: for each
mutant of the plan, the plugin writes the mutated file, clears those caches, runs the collected
tests (the tests the plan names first), stops at the first that fails, and restores the file.
Session fixtures (Playwright, the browser, the simulator) live for the whole run; function
fixtures are set up and torn down around every test as usual.

Active only when KIOSKGUARD_MUTATION_PLAN names the plan (JSON: a list of objects with name,
path, find, replace, first); each mutant's result is appended to KIOSKGUARD_MUTATION_OUT as one
JSON line: name, verdict ("killed" or "survived"), the killing test, the tests run.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest
from _pytest.runner import runtestprotocol

PLAN = "KIOSKGUARD_MUTATION_PLAN"
OUT = "KIOSKGUARD_MUTATION_OUT"


class _SessionOnly:
    """Stands for "the next test" at teardown: every node but the session is torn down, so
    session fixtures (the browser, the simulator) stay up between the mutants' tests."""

    def __init__(self, session: pytest.Session) -> None:
        self.session = session

    def listchain(self) -> list[pytest.Session]:
        return [self.session]


def clear_reader_caches() -> None:
    """Forget the reader read from disk, so the next reading reads the mutated file."""
    from agent.session import pagestate

    for cached in (pagestate.inspect_script, pagestate.read_script):
        cached.cache_clear()
    pagestate.wait_then_inspect_script.cache_clear()


def ordered(items: list[pytest.Item], first: list[str]) -> list[pytest.Item]:
    """Given the collected tests and node id prefixes, return the tests those prefixes name
    first (in the prefixes' order), then the others in collection order."""
    front: dict[str, pytest.Item] = {}
    for prefix in first:
        front.update({item.nodeid: item for item in items if item.nodeid.startswith(prefix)})
    return [*front.values(), *(item for item in items if item.nodeid not in front)]


def run_mutant(session: pytest.Session, mutant: dict[str, Any]) -> dict[str, Any]:
    """Apply one mutant, run its tests until one fails, restore the file; return the result."""
    path = Path(session.config.rootpath) / mutant["path"]
    original = path.read_text(encoding="utf-8")
    if original.count(mutant["find"]) != 1:
        raise pytest.UsageError(f"mutant {mutant['name']!r}: find is not once in {path}")
    path.write_text(original.replace(mutant["find"], mutant["replace"]), encoding="utf-8")
    clear_reader_caches()
    keep = _SessionOnly(session)
    killer, run = "", 0
    try:
        for item in ordered(session.items, mutant.get("first", [])):
            run += 1
            reports = runtestprotocol(item, log=False, nextitem=keep)  # type: ignore[arg-type]
            if any(report.failed for report in reports):
                killer = item.nodeid
                break
    finally:
        path.write_text(original, encoding="utf-8")
        clear_reader_caches()
    verdict = "killed" if killer else "survived"
    return {"name": mutant["name"], "verdict": verdict, "killer": killer, "tests_run": run}


@pytest.hookimpl(tryfirst=True)
def pytest_runtestloop(session: pytest.Session) -> bool | None:
    plan_path = os.environ.get(PLAN)
    if not plan_path:
        return None
    plan = json.loads(Path(plan_path).read_text(encoding="utf-8"))
    out = Path(os.environ[OUT])
    for mutant in plan:
        result = run_mutant(session, mutant)
        with out.open("a", encoding="utf-8") as stream:
            stream.write(json.dumps(result) + "\n")
    session._setupstate.teardown_exact(None)  # the session fixtures, once
    return True
