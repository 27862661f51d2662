"""The units `kioskguard install` writes: Documentation= names the guide installed with the
package (the wheel's copy: tests/install/test_wheel.py), and the template's by-hand install
comment is left out."""

from __future__ import annotations

import re
import urllib.parse
from pathlib import Path

import pytest

from agent.install.actions import Options, install
from agent.install.fakes import FakeServiceManager
from agent.install.render import render_unit
from agent.install.targets import Installation
from tests.install.conftest import CONFIG


def documentation_uris(unit: str) -> list[str]:
    return [
        line.split("=", 1)[1] for line in unit.splitlines() if line.startswith("Documentation=")
    ]


@pytest.mark.parametrize(
    ("mode", "unit"),
    [
        ("user", ".config/systemd/user/kioskguard.service"),
        ("system", "etc/systemd/system/kioskguard.service"),
    ],
)
def test_installed_unit_names_an_existing_guide_and_no_by_hand_instructions(
    linux_installation: Installation, mode: str, unit: str
) -> None:
    options = Options(mode=mode, config=CONFIG / "hotel.toml", dry_run=False, files_only=True)  # type: ignore[arg-type]
    install(linux_installation, options, FakeServiceManager(), print)
    base = linux_installation.home if mode == "user" else linux_installation.root
    text = (base / unit).read_text()
    assert "Install (as" not in text and "install -Dm644" not in text
    (uri,) = documentation_uris(text)
    path = Path(urllib.parse.unquote(uri.removeprefix("file://")))
    assert path.is_file() and path.name == "install-linux.md", uri


def test_shipped_templates_name_only_urls_as_documentation() -> None:
    for template in (CONFIG / "systemd").glob("*.service"):
        for uri in documentation_uris(template.read_text()):
            assert re.match(r"https?://", uri), f"{template.name}: {uri}"


def test_documentation_path_is_a_uri_with_specifiers_escaped() -> None:
    template = (CONFIG / "systemd/kioskguard.service").read_text()
    unit = render_unit(
        template, "t", Path("/usr/bin/kioskguard"), "/c.toml", "0", Path("/opt/k g/50%/guide.md")
    )
    assert documentation_uris(unit) == ["file:///opt/k%%20g/50%%25/guide.md"]
    assert unit.index("Documentation=") > unit.index("Description=")
