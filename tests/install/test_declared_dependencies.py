"""Every third-party module the agent imports is declared in pyproject.toml: core dependencies
for the agent, the simulator extra for what only the simulator (and the demo built on it) uses."""

from __future__ import annotations

import ast
import importlib.metadata
import sys
import tomllib

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

from tests.install.conftest import ROOT

# Imported directly but installed by the named dependency, which pins it exactly.
PROVIDED_BY = {"pydantic-core": "pydantic"}
SIMULATOR_ONLY = ("agent/simulator/", "agent/demo.py")


def imported_distributions(simulator: bool) -> set[str]:
    """Return the distributions whose modules the agent (or only the simulator) imports."""
    owners = importlib.metadata.packages_distributions()
    found: set[str] = set()
    for path in (ROOT / "agent").rglob("*.py"):
        relative = path.relative_to(ROOT).as_posix()
        if relative.startswith(SIMULATOR_ONLY) != simulator:
            continue
        for node in ast.walk(ast.parse(path.read_text(), filename=relative)):
            names = (
                [alias.name for alias in node.names]
                if isinstance(node, ast.Import)
                else [node.module]
                if isinstance(node, ast.ImportFrom) and node.level == 0 and node.module
                else []
            )
            for name in names:
                top = name.partition(".")[0]
                if top in sys.stdlib_module_names or top == "agent":
                    continue
                assert top in owners, (
                    f"{relative} imports {top}, which no installed package provides"
                )
                found.update(canonicalize_name(owner) for owner in owners[top])
    return {PROVIDED_BY.get(name, name) for name in found}


def declared(group: str | None) -> set[str]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    lines = project["dependencies"] if group is None else project["optional-dependencies"][group]
    return {canonicalize_name(Requirement(line).name) for line in lines}


def test_every_module_the_agent_imports_is_a_core_dependency() -> None:
    assert imported_distributions(simulator=False) - declared(None) == set()


def test_simulator_only_modules_are_in_the_simulator_extra_not_the_core() -> None:
    only_simulator = imported_distributions(simulator=True) - imported_distributions(
        simulator=False
    )
    assert only_simulator - (declared(None) | declared("simulator")) == set()
    assert "segno" in declared("simulator") and "segno" not in declared(None)
