"""tools/make_profiles.py: benchmark profile trees, copied from Chromium-made templates."""

from __future__ import annotations

import importlib.util
from pathlib import Path
from types import ModuleType

import pytest

from agent.browser.discovery import Browser
from agent.outcome import Linked
from agent.probe import REAL_CLIENT_ORIGIN, probe_user_data_dir

TOOL = Path(__file__).resolve().parents[2] / "tools" / "make_profiles.py"


@pytest.fixture(scope="module")
def tool() -> ModuleType:
    spec = importlib.util.spec_from_file_location("make_profiles", TOOL)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def templates(
    tool: ModuleType, tmp_path_factory: pytest.TempPathFactory, browser_executable: Browser
) -> Path:
    directory: Path = tool.ensure_templates(
        tmp_path_factory.mktemp("templates"), browser_executable.path
    )
    return directory


def test_tree_of_six_profiles_half_linked_probes_as_such(
    tool: ModuleType, templates: Path, tmp_path: Path
) -> None:
    linked = tool.build_tree(templates, tmp_path / "tree", 6, 3)
    results = probe_user_data_dir(tmp_path / "tree", REAL_CLIENT_ORIGIN)
    assert len(results) == 6
    assert [Path(result.profile) for result in results if result.linked == Linked.LINKED] == linked
    assert [result.linked for result in results].count(Linked.NOT_LINKED) == 3


def test_logged_out_template_keeps_the_client_settings_but_no_session(templates: Path) -> None:
    (result,) = probe_user_data_dir(templates / "not_linked" / "Default", REAL_CLIENT_ORIGIN)
    assert result.linked == Linked.NOT_LINKED and result.keys == ()
    assert "among 16 items" in result.detail


def test_more_linked_than_profiles_is_refused(
    tool: ModuleType, templates: Path, tmp_path: Path
) -> None:
    with pytest.raises(ValueError, match="between 0 and count"):
        tool.build_tree(templates, tmp_path / "tree", 2, 3)
