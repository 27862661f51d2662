"""All of agent/ stays readable: no function or method (closures and nested classes included)
above cyclomatic complexity 20 as radon measures it (issue 18's acceptance)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from textwrap import indent
from typing import Any

from radon.visitors import ComplexityVisitor

import agent

LIMIT = 20
AGENT = Path(agent.__file__).parent


def functions(source: str) -> Iterator[tuple[str, int]]:
    """Given Python source, return (qualified name, complexity) of every function in it.

    radon's blocks list classes (whose figure sums their methods) and only the top level's
    methods; closures and the methods of nested classes sit inside their block.
    """
    visitor = ComplexityVisitor.from_code(source)
    for function in visitor.functions:
        yield from _function(function, "")
    for cls in visitor.classes:
        yield from _class(cls, "")


def _function(function: Any, prefix: str) -> Iterator[tuple[str, int]]:
    name = f"{prefix}{function.name}"
    yield name, function.complexity
    for closure in function.closures:
        yield from _function(closure, f"{name}.")


def _class(cls: Any, prefix: str) -> Iterator[tuple[str, int]]:
    name = f"{prefix}{cls.name}"
    for method in cls.methods:
        yield from _function(method, f"{name}.")
    for inner in cls.inner_classes:
        yield from _class(inner, f"{name}.")


def too_complex(source: str) -> dict[str, int]:
    """Given Python source, return {name: complexity} of every function above LIMIT."""
    return {name: value for name, value in functions(source) if value > LIMIT}


def test_no_function_in_agent_above_the_limit() -> None:
    modules = sorted(AGENT.rglob("*.py"))
    assert len(modules) >= 100
    found = {
        f"{module.relative_to(AGENT)}:{name}": value
        for module in modules
        for name, value in too_complex(module.read_text(encoding="utf-8")).items()
    }
    assert found == {}


def test_the_measure_sees_a_complex_function_method_and_closure() -> None:
    body = "".join(f"if x == {n}:\n    return {n}\n" for n in range(LIMIT)) + "return -1\n"
    source = (
        f"def plain(x):\n{indent(body, ' ' * 4)}"
        "class Outer:\n    class Inner:\n"
        f"        def method(self, x):\n{indent(body, ' ' * 12)}"
        f"def outer():\n    def inner(x):\n{indent(body, ' ' * 8)}    return inner\n"
    )
    assert too_complex(source) == {
        "plain": LIMIT + 1,
        "Outer.Inner.method": LIMIT + 1,
        "outer.inner": LIMIT + 1,
    }
