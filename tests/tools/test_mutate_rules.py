"""tools/mutate_rules.py's table and its reading of the last report (no mutant is run here)."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

import pytest

ROOT = Path(__file__).resolve().parents[2]
TOOL = ROOT / "tools" / "mutate_rules.py"


@pytest.fixture(scope="module")
def tool() -> ModuleType:
    spec = importlib.util.spec_from_file_location("mutate_rules", TOOL)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["mutate_rules"] = module  # dataclasses look their module up by name
    spec.loader.exec_module(module)
    return module


def test_every_mutant_finds_its_rule_exactly_once_in_the_checkout(tool: ModuleType) -> None:
    """A rule that moved or was reworded fails here, not only in the next mutation run."""
    wrong = [
        (mutant.name, (ROOT / mutant.path).read_text(encoding="utf-8").count(mutant.find))
        for mutant in tool.MUTANTS
    ]
    assert [entry for entry in wrong if entry[1] != 1] == []
    assert len({mutant.name for mutant in tool.MUTANTS}) == len(tool.MUTANTS)


@pytest.mark.parametrize(
    ("row", "message"),
    [
        ('kind = "reader"\nname = "x"\nfile = "a.js"\n', "mutant 1 has no 'find'"),
        (
            'kind = "page"\nname = "x"\nfile = "a.js"\nfind = "y"\n',
            "mutant 1 ('x'): kind 'page', allowed: reader, loop",
        ),
    ],
)
def test_a_bad_row_of_the_table_is_named_with_its_field(
    tool: ModuleType, tmp_path: Path, row: str, message: str
) -> None:
    table = tmp_path / "mutants.toml"
    table.write_text("[[mutant]]\n" + row, encoding="utf-8")
    with pytest.raises(
        SystemExit, match=f"{table}: " + message.replace("(", r"\(").replace(")", r"\)")
    ):
        tool.load_mutants(table)


def test_the_last_reports_killers_run_first_next_time(tool: ModuleType, tmp_path: Path) -> None:
    report = tmp_path / "mutation.md"
    report.write_text(
        "| mutant | file | result | killed by / why it survives |\n| --- | --- | --- | --- |\n"
        "| reader: a | `x.js` | killed | `tests/session/test_a.py::test_one[p q]` |\n"
        "| reader: b | `x.js` | survived | redundant with tests/session/test_b.py |\n",
        encoding="utf-8",
    )
    assert tool.known_killers(report) == {"reader: a": "tests/session/test_a.py::test_one[p"}


def test_a_partial_run_keeps_the_other_rows_as_the_report_wrote_them(
    tool: ModuleType, tmp_path: Path
) -> None:
    """--keep-others reads back what write_report wrote: result, killer or reason (a | in it
    escaped), and the run's time."""
    first, second = tool.MUTANTS[:2]
    rows = [tool.Row(first, "killed", "tests/x.py::t[a b]"), tool.Row(second, "survived", "a | b")]
    report = tmp_path / "mutation.md"
    tool.write_report(report, rows, 125.0, "")
    previous, timing = tool.report_rows(report)
    assert previous == {
        first.name: ("killed", "tests/x.py::t[a b]"),
        second.name: ("survived", "a | b"),
    }
    assert timing.startswith("The earlier runs: 2 min (125 s)")
