"""The layers' arrows point down (docs/architecture.md): nothing below the daemon imports it.

Every module of agent/fleet, agent/session, agent/browser and agent/probe is parsed (ast, so
a lazy import inside a function counts too) and any import of agent.daemon fails the test.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

AGENT = Path(__file__).resolve().parent.parent / "agent"
BELOW_THE_DAEMON = ("fleet", "session", "browser", "probe")
FORBIDDEN = "agent.daemon"


def module_name(path: Path, root: Path) -> str:
    """Given a file under root, return its dotted module name (a package: its __init__)."""
    parts = path.relative_to(root).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imported_modules(path: Path, root: Path) -> list[tuple[int, str]]:
    """Given a Python file, return (line, absolute module name) of each module it imports;
    `from X import Y` yields X and X.Y, since Y may be a module (relative imports resolved)."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    package = module_name(path, root)
    if path.name != "__init__.py":
        package = package.rpartition(".")[0]
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*anchor, *([base] if base else [])])
            found.append((node.lineno, base))
            found += [(node.lineno, f"{base}.{alias.name}") for alias in node.names]
    return found


def daemon_imports(package: Path, root: Path = AGENT.parent) -> list[str]:
    """Return "file:line module" for each import of agent.daemon under package (in root)."""
    return [
        f"{path.relative_to(root)}:{line} imports {name}"
        for path in sorted(package.rglob("*.py"))
        for line, name in imported_modules(path, root)
        if name == FORBIDDEN or name.startswith(FORBIDDEN + ".")
    ]


@pytest.mark.parametrize("layer", BELOW_THE_DAEMON)
def test_no_layer_below_the_daemon_imports_it(layer: str) -> None:
    package = AGENT / layer
    assert list(package.rglob("*.py")), f"{package}: no modules (moved?)"
    assert daemon_imports(package) == []


def test_the_walk_sees_every_spelling_of_a_daemon_import(tmp_path: Path) -> None:
    package = tmp_path / "agent" / "fleet"
    package.mkdir(parents=True)
    (package / "__init__.py").write_text("")
    (package / "spelled.py").write_text(
        "import agent.daemon.ports\n"
        "from agent.daemon.coordinator import LogoutCoordinator\n"
        "from agent import daemon\n"
        "from ..daemon import clock\n"
        "def later():\n"
        "    from agent.daemon import daemon\n"
        "import agent.daemonic\n"  # not the daemon package
    )
    found = daemon_imports(package, tmp_path)
    lines = [entry.split(" imports ")[0].rsplit(":", 1)[1] for entry in found]
    assert sorted(set(lines)) == ["1", "2", "3", "4", "6"]
