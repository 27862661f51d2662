#!/usr/bin/env python3
"""Remove each evidence rule of the reader and each step of the logout loop in turn, run the fast
tests that exercise it, and show that a test fails (`make mutation`).

Every mutant is one exact text replacement in one file of a copy of the checkout (never in the
checkout itself): ``find`` must occur exactly once, so a rule that moved makes the tool fail
loudly instead of testing nothing. Its tests run in tiers, cheapest first (the loop's fake-tab
tests, the reader's HTML fixtures on one browser, then replicas or the simulator); the first
failing test kills the mutant and the later tiers are skipped. A mutant no tier kills survives:
it must be listed in SURVIVORS with the reason, else the run fails. The report (Markdown) lists
every mutant with the test that killed it or the reason it survives (docs/mutation.md).

Usage: mutate_rules.py [--only TEXT] [--list] [--report PATH]
Exit status: 0 when every mutant is killed or a known survivor, 1 otherwise, 2 on bad usage or
when the unmutated copy fails its own tests.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
import tomllib
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

S = "tests/session/"
LOOP = (S + "test_logout_loop.py", S + "test_logout_steps.py")
READER = (S + "test_reader_evidence.py", S + "test_reader_decoys.py")
REPLICAS = (S + "test_reader_replica.py", S + "test_reader_redteam.py")
PAGE = (S + "test_page_reading.py",)
EDGES = (S + "test_logout_edges.py",)
COVERING = (S + "test_covering.py",)

# the tiers of tests each kind of mutant runs
FOR_READER = (READER, REPLICAS)
FOR_LOOP = (LOOP, EDGES + COVERING, REPLICAS)

TABLE = ROOT / "tools" / "mutants.toml"
TIERS = {"reader": FOR_READER, "loop": FOR_LOOP}


@dataclass(frozen=True)
class Mutant:
    """One rule removed: ``find`` (exactly once in ``path``) becomes ``replace``; ``survives`` is
    the reason no fast test kills it (empty when a test must)."""

    name: str
    path: str
    find: str
    replace: str
    tiers: tuple[tuple[str, ...], ...]
    survives: str = ""


def load_mutants(table: Path = TABLE) -> tuple[Mutant, ...]:
    """Given the mutants' table (tools/mutants.toml), return its mutants in order.

    Raise SystemExit naming the row and field if a row lacks a field or names an unknown kind."""
    rows = tomllib.loads(table.read_text(encoding="utf-8")).get("mutant", [])
    mutants = []
    for number, row in enumerate(rows, start=1):
        try:
            kind, name, path, find = row["kind"], row["name"], row["file"], row["find"]
        except KeyError as missing:
            raise SystemExit(f"mutate_rules: {table}: mutant {number} has no {missing}") from None
        if kind not in TIERS:
            raise SystemExit(
                f"mutate_rules: {table}: mutant {number} ({name!r}): kind {kind!r},"
                f" allowed: {', '.join(TIERS)}"
            )
        mutants.append(
            Mutant(
                f"{kind}: {name}",
                path,
                find,
                row.get("replace", ""),
                TIERS[kind],
                row.get("survives", ""),
            )
        )
    return tuple(mutants)


MUTANTS = load_mutants()
# Mutants that no fast test kills, each with the reason (docs/mutation.md).
SURVIVORS: dict[str, str] = {mutant.name: mutant.survives for mutant in MUTANTS if mutant.survives}


def copy_checkout(target: Path) -> None:
    """Copy what the tests need (agent, tests, the project files) into target."""
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc", ".pytest_cache")
    for folder in ("agent", "tests", "config"):
        if (ROOT / folder).exists():
            shutil.copytree(ROOT / folder, target / folder, ignore=ignore)
    for name in ("pyproject.toml", "setup.py", "conftest.py"):
        if (ROOT / name).exists():
            shutil.copy2(ROOT / name, target / name)


def environment(copy: Path) -> dict[str, str]:
    return {**os.environ, "PYTHONPATH": str(copy), "PYTHONDONTWRITEBYTECODE": "1"}


def run_tier(copy: Path, tests: tuple[str, ...]) -> tuple[bool, str]:
    """Run one tier's tests in the copy. Return (passed, the first failing test or why)."""
    command = [sys.executable, "-m", "pytest", *tests, "-x", "-q", "-rf", "-p", "no:cacheprovider"]
    try:
        done = subprocess.run(
            command, cwd=copy, env=environment(copy), capture_output=True, text=True, timeout=900
        )
    except subprocess.TimeoutExpired:
        return False, "timed out (900 s)"
    if done.returncode == 0:
        return True, ""
    failed = re.findall(r"^FAILED (\S+)", done.stdout, re.MULTILINE)
    if failed:
        return False, failed[0]
    tail = (done.stdout + done.stderr).strip().splitlines()[-3:]
    return False, f"pytest exit {done.returncode}: {' / '.join(tail)}"


def check_copy(copy: Path) -> None:
    """Fail unless the copy's own agent package is the one its tests import."""
    code = "import agent.session.screens as m; print(m.__file__)"
    done = subprocess.run(
        [sys.executable, "-c", code],
        cwd=copy,
        env=environment(copy),
        capture_output=True,
        text=True,
        check=False,
    )
    if not done.stdout.strip().startswith(str(copy)):
        raise SystemExit(f"mutate_rules: the copy imports {done.stdout.strip()!r}, not {copy}")


def apply(copy: Path, mutant: Mutant) -> str:
    """Apply the mutant to the copy; return the original text of the file."""
    path = copy / mutant.path
    text = path.read_text(encoding="utf-8")
    count = text.count(mutant.find)
    if count != 1:
        raise SystemExit(f"mutate_rules: {mutant.name!r}: found {count} times in {mutant.path}")
    path.write_text(text.replace(mutant.find, mutant.replace), encoding="utf-8")
    return text


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--only",
        action="append",
        default=[],
        help="run the mutants whose name holds this text (repeatable: any of them)",
    )
    parser.add_argument("--list", action="store_true", help="list the mutants and check them")
    parser.add_argument("--report", type=Path, help="write the Markdown report here")
    parser.add_argument(
        "--tiers", type=int, default=0, help="run at most this many tiers per mutant (0: all)"
    )
    parser.add_argument(
        "--skip-baseline",
        action="store_true",
        help="do not first run the unmutated tests (when they were just run green)",
    )
    options = parser.parse_args()
    chosen = [
        mutant
        for mutant in MUTANTS
        if not options.only or any(text in mutant.name for text in options.only)
    ]
    if not chosen:
        print(f"mutate_rules: no mutant matches {options.only!r}", file=sys.stderr)
        return 2
    unknown = set(SURVIVORS) - {mutant.name for mutant in MUTANTS}
    if unknown:
        print(f"mutate_rules: SURVIVORS names no mutant: {sorted(unknown)}", file=sys.stderr)
        return 2
    with tempfile.TemporaryDirectory(prefix="kioskguard-mutate-") as folder:
        copy = Path(folder)
        copy_checkout(copy)
        for mutant in chosen:  # every find is there exactly once, before anything runs
            (copy / mutant.path).write_text(apply(copy, mutant), encoding="utf-8")
        if options.list:
            for mutant in chosen:
                print(mutant.name)
            return 0
        check_copy(copy)
        limit = options.tiers or None
        tiers = sorted({tier for mutant in chosen for tier in mutant.tiers[:limit]})
        for tier in [] if options.skip_baseline else tiers:
            passed, why = run_tier(copy, tier)
            if not passed:
                print(f"mutate_rules: unmutated tests fail: {why}", file=sys.stderr)
                return 2
        rows: list[tuple[Mutant, str, str]] = []
        started = time.monotonic()
        for mutant in chosen:
            original = apply(copy, mutant)
            verdict, detail = "survived", SURVIVORS.get(mutant.name, "")
            try:
                for tier in mutant.tiers[:limit]:
                    passed, why = run_tier(copy, tier)
                    if not passed:
                        verdict, detail = "killed", why
                        break
            finally:
                (copy / mutant.path).write_text(original, encoding="utf-8")
            if verdict == "survived" and not detail:
                verdict = "SURVIVED (unexplained)"
            print(f"{verdict:>24}  {mutant.name}: {detail}", flush=True)
            rows.append((mutant, verdict, detail))
            if options.report:  # after every mutant: a run stopped midway still has its report
                pending = [
                    (left, "not run", "the run was stopped first") for left in chosen[len(rows) :]
                ]
                write_report(
                    options.report,
                    rows + pending,
                    time.monotonic() - started,
                    " / ".join(options.only),
                    options.tiers,
                )
        seconds = time.monotonic() - started
    killed = sum(1 for _, verdict, _ in rows if verdict == "killed")
    unexplained = [mutant.name for mutant, verdict, _ in rows if verdict.startswith("SURVIVED")]
    print(
        f"{killed} killed, {len(rows) - killed} survived ({len(unexplained)} unexplained), "
        f"{seconds:.0f} s"
    )
    if options.report:
        write_report(options.report, rows, seconds, " / ".join(options.only), options.tiers)
    return 1 if unexplained else 0


def write_report(
    path: Path, rows: list[tuple[Mutant, str, str]], seconds: float, only: str, tiers: int
) -> None:
    """Write the run as Markdown: every mutant, what killed it or why it survives."""
    killed = sum(1 for _, verdict, _ in rows if verdict == "killed")
    run = sum(1 for _, verdict, _ in rows if verdict != "not run")
    lines = [
        "# Mutation check: the reader's rules and the logout loop's steps",
        "",
        "Written by `make mutation` (`tools/mutate_rules.py`"
        + (f" --only {only!r}" if only else "")
        + (f" --tiers {tiers}" if tiers else "")
        + "): each rule or step below was removed in a copy of the checkout, one at a time, and",
        "its fast tests run (the loop's fake-tab tests, the reader's fixtures on one browser, then",
        "the replicas, the edges and the covering banner on the simulator). Do not edit by hand.",
        "",
        f"**{killed} of {run} run killed**, {run - killed} survived, {len(rows) - run} not run;"
        f" {seconds:.0f} s.",
        "",
        "| mutant | file | result | killed by / why it survives |",
        "| --- | --- | --- | --- |",
    ]
    for mutant, verdict, detail in rows:
        cell = detail.replace("|", "\\|")
        lines.append(f"| {mutant.name} | `{mutant.path}` | {verdict} | {cell} |")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


if __name__ == "__main__":
    raise SystemExit(main())
