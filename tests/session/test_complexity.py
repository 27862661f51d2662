"""The session layer stays readable: no function in agent/session above cyclomatic complexity 20
(radon), so the logout loop cannot grow back into one function of fifty branches."""

from __future__ import annotations

from pathlib import Path

from radon.complexity import cc_visit

import agent.session

LIMIT = 20
SESSION = Path(agent.session.__file__).parent


def complexities(source: str) -> dict[str, int]:
    """Given Python source, return {function or method name: cyclomatic complexity}."""
    found: dict[str, int] = {}
    for block in cc_visit(source):
        found[block.fullname] = block.complexity
        for method in getattr(block, "methods", []):
            found[method.fullname] = method.complexity
    return found


def test_no_function_in_the_session_layer_above_the_limit() -> None:
    modules = sorted(SESSION.glob("*.py"))
    assert len(modules) >= 8
    too_complex = {
        f"{module.name}:{name}": value
        for module in modules
        for name, value in complexities(module.read_text(encoding="utf-8")).items()
        if value > LIMIT
    }
    assert too_complex == {}


def test_the_measure_sees_a_complex_function() -> None:
    branches = "".join(f"    if x == {n}:\n        return {n}\n" for n in range(LIMIT + 1))
    assert complexities(f"def f(x):\n{branches}    return -1\n") == {"f": LIMIT + 2}
