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
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import tomllib
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

S = "tests/session/"
LOOP = (S + "test_logout_loop.py", S + "test_logout_steps.py")
READER = (
    S + "test_reader_screens.py",
    S + "test_reader_openers.py",
    S + "test_reader_evidence.py",
    S + "test_reader_decoys.py",
)
REPLICAS = (S + "test_reader_replica.py", S + "test_reader_redteam.py")
PAGE = (S + "test_page_reading.py",)
EDGES = (S + "test_logout_edges.py",)
COVERING = (S + "test_covering.py",)
CLAIMS = (S + "test_structure_claims.py",)

# the tiers of tests each kind of mutant runs (the reader's all in one process, in this order)
FOR_READER = (READER, REPLICAS, COVERING + PAGE + CLAIMS)
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


@dataclass
class Row:
    """One mutant's result: killed (by detail, a test), survived (detail: the reason), not run."""

    mutant: Mutant
    verdict: str
    detail: str


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
    path = os.pathsep.join((str(copy), str(ROOT / "tools")))
    return {**os.environ, "PYTHONPATH": path, "PYTHONDONTWRITEBYTECODE": "1"}


def pytest_command(*arguments: str) -> list[str]:
    return [sys.executable, "-m", "pytest", *arguments, "-q", "-rf", "-p", "no:cacheprovider"]


def run_tier(copy: Path, tests: tuple[str, ...], *select: str) -> tuple[bool, str]:
    """Run one tier's tests in the copy. Return (passed, the first failing test or why)."""
    command = pytest_command(*tests, "-x", *select)
    try:
        done = subprocess.run(
            command, cwd=copy, env=environment(copy), capture_output=True, text=True, timeout=900
        )
    except subprocess.TimeoutExpired:
        return False, "timed out (900 s)"
    if done.returncode in (0, 5):  # 5: a hint that selects nothing any more
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


def known_killers(report: Path | None) -> dict[str, str]:
    """Given the last report, return each killed mutant's killing test (node id, maybe cut at
    its first space): that test runs first next time. The committed report fills in the
    mutants the last one did not reach."""
    if report is None or not report.exists():
        return {}
    committed = (
        subprocess.run(
            ["git", "show", f"HEAD:{report.resolve().relative_to(ROOT).as_posix()}"],
            cwd=ROOT,
            capture_output=True,
            text=True,
            check=False,
        ).stdout
        if report.resolve().is_relative_to(ROOT)
        else ""
    )
    killers = {}
    for text in (committed, report.read_text(encoding="utf-8")):
        for line in text.splitlines():
            cells = [cell.strip() for cell in line.strip("|").split(" | ")]
            found = re.search(r"tests/[^`\s|]+", cells[-1]) if len(cells) == 4 else None
            if found and cells[2].startswith("killed"):
                killers[cells[0]] = found.group(0)
    return killers


def report_rows(report: Path | None) -> tuple[dict[str, tuple[str, str]], str]:
    """Given the last report, return each mutant's (result, detail) and its line on the run's
    time ("" when there is none)."""
    if report is None or not report.exists():
        return {}, ""
    rows, seconds = {}, 0
    for line in report.read_text(encoding="utf-8").splitlines():
        cells = [cell.strip() for cell in line.strip().strip("|").split(" | ")]
        if len(cells) == 4 and cells[1].startswith("`agent/"):
            rows[cells[0]] = (cells[2], cells[3].strip("`").replace("\\|", "|"))
        elif line.startswith(("This run", "The earlier run", "Then the mutants")):
            seconds += sum(int(found) for found in re.findall(r"\((\d+) s\)", line))
    if not seconds:
        return rows, ""
    return rows, f"The earlier runs: {seconds / 60:.0f} min ({seconds} s) in all, same machine."


def verdict(mutant: Mutant, killer: str) -> Row:
    """Given a mutant and the test that killed it ("" when none did), return its row."""
    if killer:
        return Row(mutant, "killed", killer)
    if mutant.survives:
        return Row(mutant, "survived", mutant.survives)
    return Row(mutant, "SURVIVED (unexplained)", "")


def run_loop_mutant(copy: Path, mutant: Mutant, first: str, limit: int | None) -> Row:
    """Apply one loop mutant in the copy, run its last killer, then its tiers; restore."""
    original = apply(copy, mutant)
    try:
        if first:  # the last run's killer alone: most mutants die here, in seconds
            test_file, _, name = first.partition("::")
            passed, why = run_tier(copy, (test_file,), "-k", name.split("[")[0])
            if not passed:
                return verdict(mutant, why)
        for tier in mutant.tiers[:limit]:
            passed, why = run_tier(copy, tier)
            if not passed:
                return verdict(mutant, why)
        return verdict(mutant, "")
    finally:
        (copy / mutant.path).write_text(original, encoding="utf-8")


def run_reader(
    copy: Path, mutants: list[Mutant], killers: dict[str, str], limit: int | None, done: Results
) -> None:
    """Run the reader's mutants in one pytest process on one browser (tools/mutation_plugin.py),
    each mutant's last killer first; record each result in done as it comes."""
    plan = [
        {
            "name": mutant.name,
            "path": mutant.path,
            "find": mutant.find,
            "replace": mutant.replace,
            "first": [killers[mutant.name]] if mutant.name in killers else [],
        }
        for mutant in mutants
    ]
    (copy / "mutation-plan.json").write_text(json.dumps(plan), encoding="utf-8")
    out = copy / "mutation-out.jsonl"
    out.write_text("", encoding="utf-8")
    tiers = [test for mutant in mutants for tier in mutant.tiers[:limit] for test in tier]
    tests = list(dict.fromkeys(tiers))  # in tier order, each once
    env = {
        **environment(copy),
        "KIOSKGUARD_MUTATION_PLAN": str(copy / "mutation-plan.json"),
        "KIOSKGUARD_MUTATION_OUT": str(out),
    }
    by_name = {mutant.name: mutant for mutant in mutants}
    log = (copy / "mutation-pytest.log").open("w", encoding="utf-8")
    process = subprocess.Popen(
        pytest_command(*tests, "-p", "mutation_plugin"), cwd=copy, env=env, stdout=log, stderr=log
    )
    seen = 0
    while True:
        finished = process.poll() is not None
        lines = out.read_text(encoding="utf-8").splitlines()
        for line in lines[seen:]:
            result = json.loads(line)
            done.add(verdict(by_name[result["name"]], result["killer"]))
        seen = len(lines)
        if finished:
            break
        time.sleep(2)
    log.close()
    if process.returncode not in (0, 5) or seen < len(mutants):
        tail = (copy / "mutation-pytest.log").read_text(encoding="utf-8").splitlines()[-5:]
        done.fail(f"the reader's pytest exited {process.returncode}: {' / '.join(tail)}")


class Results:
    """The rows so far, from both workers; the report is rewritten after every row."""

    def __init__(
        self, chosen: list[Mutant], report: Path | None, title: str, keep: bool = False
    ) -> None:
        self.chosen, self.report, self.title = chosen, report, title
        self.rows: dict[str, Row] = {}
        self.kept: dict[str, Row] = {}
        self.timing = ""
        if keep:  # the other mutants' rows as the last report has them
            names = {mutant.name for mutant in chosen}
            previous, self.timing = report_rows(report)
            self.kept = {
                mutant.name: Row(mutant, *previous[mutant.name])
                for mutant in MUTANTS
                if mutant.name not in names and mutant.name in previous
            }
            self.chosen = [m for m in MUTANTS if m.name in names or m.name in self.kept]
        self.errors: list[str] = []
        self.started = time.monotonic()
        self.lock = threading.Lock()

    def add(self, row: Row) -> None:
        with self.lock:
            self.rows[row.mutant.name] = row
            print(f"{row.verdict:>24}  {row.mutant.name}: {row.detail}", flush=True)
            self.write()

    def fail(self, why: str) -> None:
        with self.lock:
            self.errors.append(why)
            print(f"mutate_rules: {why}", file=sys.stderr, flush=True)

    def all_rows(self) -> list[Row]:
        pending = "the run was stopped first"
        rows = {**self.kept, **self.rows}
        return [rows.get(m.name, Row(m, "not run", pending)) for m in self.chosen]

    def write(self) -> None:
        if self.report:
            seconds = time.monotonic() - self.started
            write_report(self.report, self.all_rows(), seconds, self.title, self.timing)


def parse_options() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
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
        "--keep-others",
        action="store_true",
        help="with --only: keep the other mutants' rows of the report as they are",
    )
    parser.add_argument(
        "--skip-baseline",
        action="store_true",
        help="do not first run the unmutated tests (when they were just run green)",
    )
    return parser.parse_args()


def choose(only: list[str]) -> list[Mutant]:
    """Return the mutants whose name holds any of only (all when only is empty)."""
    return [mutant for mutant in MUTANTS if not only or any(text in mutant.name for text in only)]


def baseline(copies: tuple[Path, Path], chosen: list[Mutant], limit: int | None) -> str:
    """Run every tier the chosen mutants use, unmutated; return why one fails ("" if none)."""
    for copy in copies:
        check_copy(copy)
    tiers = sorted({tier for mutant in chosen for tier in mutant.tiers[:limit]})
    for tier in tiers:
        passed, why = run_tier(copies[0], tier)
        if not passed:
            return why
    return ""


def run_all(
    copies: tuple[Path, Path], chosen: list[Mutant], limit: int | None, results: Results
) -> None:
    """Run the reader's mutants (one process, a thread waiting on it) beside the loop's (one
    process per mutant): two workers at most."""
    killers = known_killers(results.report)
    readers = [mutant for mutant in chosen if mutant.tiers == FOR_READER]
    worker = threading.Thread(
        target=run_reader, args=(copies[1], readers, killers, limit, results), daemon=True
    )
    if readers:
        worker.start()
    for mutant in chosen:
        if mutant.tiers != FOR_READER:
            results.add(run_loop_mutant(copies[0], mutant, killers.get(mutant.name, ""), limit))
    if readers:
        worker.join()


def main() -> int:
    options = parse_options()
    chosen = choose(options.only)
    if not chosen:
        print(f"mutate_rules: no mutant matches {options.only!r}", file=sys.stderr)
        return 2
    with tempfile.TemporaryDirectory(prefix="kioskguard-mutate-") as folder:
        copies = (Path(folder) / "loop", Path(folder) / "reader")
        for copy in copies:
            copy_checkout(copy)
        for mutant in chosen:  # every find is there exactly once, before anything runs
            (copies[0] / mutant.path).write_text(apply(copies[0], mutant), encoding="utf-8")
        if options.list:
            print("\n".join(mutant.name for mutant in chosen))
            return 0
        limit = options.tiers or None
        why = "" if options.skip_baseline else baseline(copies, chosen, limit)
        if why:
            print(f"mutate_rules: unmutated tests fail: {why}", file=sys.stderr)
            return 2
        title = " ".join(f"--only {text!r}" for text in options.only[:3])
        title += f" (and {len(options.only) - 3} more --only)" if len(options.only) > 3 else ""
        title += " --keep-others" if options.keep_others else ""
        title += f" --tiers {options.tiers}" if options.tiers else ""
        keep = options.keep_others and bool(options.only)
        results = Results(chosen, options.report, title, keep)
        run_all(copies, chosen, limit, results)
    rows = results.all_rows()
    killed = sum(1 for row in rows if row.verdict == "killed")
    unexplained = [row.mutant.name for row in rows if row.verdict.startswith("SURVIVED")]
    print(
        f"{killed} killed, {len(rows) - killed} not killed ({len(unexplained)} unexplained), "
        f"{time.monotonic() - results.started:.0f} s"
    )
    return 1 if unexplained or results.errors else 0


def tier_of(row: Row) -> str:
    """Given a killed row, return which tier's file holds the killing test."""
    test_file = row.detail.split("::")[0]
    for number, tier in enumerate(row.mutant.tiers, start=1):
        if test_file in tier:
            return f"tier {number}"
    return "another test"


def figures(rows: list[Row]) -> list[str]:
    """Return the report's figures: per kind of mutant, killed (per tier), survived with a
    reason, unexplained, not run, of the total."""
    lines = [
        "| mutants | killed | of which tier 1 / 2 / 3 | survive (reason given) |"
        " unexplained | not run | total |",
        "| --- | --- | --- | --- | --- | --- | --- |",
    ]
    for kind in TIERS:
        mine = [row for row in rows if row.mutant.name.startswith(f"{kind}: ")]
        killed = [row for row in mine if row.verdict == "killed"]
        per_tier = " / ".join(
            str(sum(1 for row in killed if tier_of(row) == f"tier {n}")) for n in (1, 2, 3)
        )
        count = {v: sum(1 for row in mine if row.verdict == v) for v in ("survived", "not run")}
        unexplained = sum(1 for row in mine if row.verdict.startswith("SURVIVED"))
        lines.append(
            f"| {kind} | {len(killed)} | {per_tier} | {count['survived']} | {unexplained} |"
            f" {count['not run']} | {len(mine)} |"
        )
    return lines


def timing_lines(seconds: float, kept_timing: str) -> list[str]:
    """Return the report's lines on the run's time: this run's, after the last full run's when
    the other mutants' rows were kept from it."""
    this = (
        f"{seconds / 60:.0f} min ({seconds:.0f} s) on the shared 2-core machine,"
        f" load average {os.getloadavg()[0]:.0f} at its end."
    )
    if not kept_timing:
        return [f"This run: {this}"]
    return [
        f"{kept_timing}",
        "",
        f"Then the mutants the `--only` texts name were run ({this.rstrip('.')}); the other rows",
        "are the earlier run's, as it wrote them.",
    ]


def write_report(
    path: Path, rows: list[Row], seconds: float, title: str, kept_timing: str = ""
) -> None:
    """Write the run as Markdown: the figures, then every mutant with what killed it or why it
    survives."""
    tiers = "; ".join(
        f"{kind}: "
        + ", then ".join(
            f"tier {n} `{' '.join(Path(t).name for t in tier)}`"
            for n, tier in enumerate(tiers, start=1)
        )
        for kind, tiers in TIERS.items()
    )
    lines = [
        "# Mutation check: the reader's rules and the logout loop's steps",
        "",
        "Written by `make mutation` (`tools/mutate_rules.py" + (f" {title}" if title else "") + "`)"
        ": each rule or step below, one row of `tools/mutants.toml`, was removed in a copy of the",
        "checkout, one at a time, and its tests run until one fails. The last run's killer runs",
        "first; then the tiers, cheapest first (" + tiers + "). The reader's mutants run in one",
        "pytest process on one browser (`tools/mutation_plugin.py`: the reader is read again from",
        "disk for each mutant), beside the loop's mutants (one pytest process each): two workers.",
        "A mutant no test kills must carry its reason (`survives` in `tools/mutants.toml`), else",
        "the run fails. Do not edit by hand.",
        "",
        "How to run: `make mutation` (every mutant: about the time below). Some of them, keeping",
        "the other rows: `make mutation MUTATION_ARGS=\"--only 'reader: confirm' --keep-others",
        '--skip-baseline"` (`--only` repeats; without `--keep-others` the report holds only',
        "those). A mutant killed last time runs its killer first, so a rerun is quick.",
        "",
        *timing_lines(seconds, kept_timing),
        "",
        *figures(rows),
        "",
        "| mutant | file | result | killed by / why it survives |",
        "| --- | --- | --- | --- |",
    ]
    for row in rows:
        cell = row.detail.replace("|", "\\|")
        cell = f"`{cell}`" if row.verdict == "killed" else cell
        lines.append(f"| {row.mutant.name} | `{row.mutant.path}` | {row.verdict} | {cell} |")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


if __name__ == "__main__":
    raise SystemExit(main())
