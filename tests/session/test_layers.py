"""The session, browser and probe layers sit below the daemon: none of their modules imports
agent.daemon (at the top or inside a function), so the daemon can use them without a loop."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

import agent

AGENT = Path(agent.__file__).parent
LOWER = ("session", "browser", "probe")
FORBIDDEN = "agent.daemon"


def imported(source: str, package: str) -> set[str]:
    """Given a module's source and its package (for relative imports), return every module it
    imports, absolute, wherever the import statement is."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.rsplit(".", node.level - 1)[0]
                module = f"{base}.{node.module}" if node.module else base
            else:
                module = node.module or ""
            found.add(module)
            found.update(f"{module}.{alias.name}" for alias in node.names)
    return found


def reaches_daemon(modules: set[str]) -> set[str]:
    return {name for name in modules if name == FORBIDDEN or name.startswith(FORBIDDEN + ".")}


@pytest.mark.parametrize("layer", LOWER)
def test_no_module_of_the_layer_imports_the_daemon(layer: str) -> None:
    modules = sorted((AGENT / layer).rglob("*.py"))
    assert modules, f"no modules under agent/{layer}"
    offending = {
        str(path.relative_to(AGENT)): sorted(reaches_daemon(imported(path.read_text(), package)))
        for path in modules
        if (package := "agent." + ".".join(path.relative_to(AGENT).parent.parts))
    }
    assert {path: names for path, names in offending.items() if names} == {}


@pytest.mark.parametrize(
    "source",
    [
        "import agent.daemon.ports",
        "from agent.daemon import ports",
        "from agent import daemon",
        "def later():\n    from agent.daemon.clock import SystemClock\n",
        "from ..daemon import ports",
    ],
)
def test_the_check_sees_every_way_of_importing_the_daemon(source: str) -> None:
    assert reaches_daemon(imported(source, "agent.session")) != set()
