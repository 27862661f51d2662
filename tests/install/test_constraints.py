"""constraints.txt pins every declared dependency at a version inside its declared range."""

from __future__ import annotations

import re
import tomllib

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

from tests.install.conftest import ROOT

PIN = re.compile(r"^([A-Za-z0-9_.-]+)==([^\s;]+)(?:\s*;\s*(.+))?$")


def declared() -> list[Requirement]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    extras = [line for group in project["optional-dependencies"].values() for line in group]
    return [Requirement(line) for line in [*project["dependencies"], *extras]]


def pins() -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for line in (ROOT / "constraints.txt").read_text().splitlines():
        match = PIN.match(line.strip())
        if match:
            found.setdefault(canonicalize_name(match.group(1)), []).append(match.group(2))
    return found


def test_every_declared_dependency_is_pinned_within_its_range() -> None:
    pinned = pins()
    stale = [
        str(requirement)
        for requirement in declared()
        if canonicalize_name(requirement.name) not in pinned
    ]
    assert stale == [], "constraints.txt is stale: run `make constraints` and commit it"
    outside = {
        requirement.name: pinned[canonicalize_name(requirement.name)]
        for requirement in declared()
        if not any(
            requirement.specifier.contains(version)
            for version in pinned[canonicalize_name(requirement.name)]
        )
    }
    assert outside == {}, "pins outside the declared ranges: run `make constraints`"


def test_constraints_cover_the_windows_only_dependencies() -> None:
    # loguru needs colorama and win32-setctime on Windows, tzlocal needs tzdata: a file compiled
    # for Linux alone would leave Windows kiosks unpinned.
    pinned = pins()
    assert {"colorama", "win32-setctime", "tzdata"} <= pinned.keys()
