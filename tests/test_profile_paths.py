"""The user data dir rule (agent/profile_paths.py) and the settings model that applies it."""

from __future__ import annotations

from pathlib import Path

import pytest

from agent.profile_paths import ALLOWED, ProfilePathError, checked_user_data_dir
from agent.settings import InvalidSettings, load_settings


def refused(value: str | Path) -> ProfilePathError:
    with pytest.raises(ProfilePathError) as caught:
        checked_user_data_dir(value)
    return caught.value


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    home = tmp_path / "home" / "visitor"
    home.mkdir(parents=True)
    monkeypatch.setenv("HOME", str(home))
    return home


def test_root_and_the_empty_string_are_refused() -> None:
    assert refused("/").problem == "is the root directory"
    assert refused("").problem == "is empty"
    assert refused("  ").problem == "is empty"


def test_a_symlink_is_judged_by_where_it_leads(tmp_path: Path) -> None:
    link = tmp_path / "innocent-looking"
    link.symlink_to("/")
    error = refused(link)
    assert error.resolved == Path("/") and error.problem == "is the root directory"
    assert f"'{link}': resolves to /: is the root directory; {ALLOWED}" == str(error)


def test_the_home_directory_and_its_parents_are_refused(home: Path) -> None:
    assert refused(home).problem == "is a home directory"
    assert refused(home.parent).problem == "is a parent of a home directory"
    assert refused(home.parent.parent).problem == "is a parent of a home directory"


def test_every_account_s_home_is_refused() -> None:
    assert refused("/root").problem == "is a home directory"


@pytest.mark.parametrize("directory", ["/etc", "/usr", "/var", "/tmp", "/proc/self", "/sys/kernel"])
def test_system_directories_and_pseudo_file_systems_are_refused(directory: str) -> None:
    assert refused(directory).problem in {
        "is a system directory",
        "is inside a pseudo file system of the kernel",
        "is a parent of a home directory",
    }


def test_a_file_is_refused(tmp_path: Path) -> None:
    (tmp_path / "notes.txt").write_text("x")
    assert refused(tmp_path / "notes.txt").problem == "is a file, not a directory"


def test_a_directory_of_other_files_is_refused_naming_some(tmp_path: Path) -> None:
    documents = tmp_path / "documents"
    documents.mkdir()
    for name in ("a.txt", "b.txt", "c.txt", "d.txt"):
        (documents / name).write_text("x")
    problem = refused(documents).problem
    assert problem == (
        "is not a Chromium user data directory and not empty (it holds a.txt, b.txt, c.txt, ...)"
    )
    assert sorted(path.name for path in documents.iterdir()) == ["a.txt", "b.txt", "c.txt", "d.txt"]


def test_a_file_named_default_is_no_profile_marker(tmp_path: Path) -> None:
    (tmp_path / "p").mkdir()
    (tmp_path / "p" / "Default").write_text("not a directory")
    assert "not a Chromium user data directory" in refused(tmp_path / "p").problem


@pytest.mark.parametrize(
    "marker", ["Local State", "SingletonLock", "First Run", "Default/", "Profile 3/", "lockfile"]
)
def test_a_chromium_user_data_dir_is_accepted_by_any_of_its_markers(
    tmp_path: Path, marker: str
) -> None:
    profile = tmp_path / "profile"
    profile.mkdir()
    (profile / "unrelated-cache").mkdir()
    if marker.endswith("/"):
        (profile / marker).mkdir()
    else:
        (profile / marker).write_text("")
    assert checked_user_data_dir(str(profile)) == profile


def test_empty_and_missing_directories_are_accepted_and_nothing_is_created(tmp_path: Path) -> None:
    (tmp_path / "empty").mkdir()
    assert checked_user_data_dir(tmp_path / "empty") == tmp_path / "empty"
    assert checked_user_data_dir(tmp_path / "missing" / "deeper") == tmp_path / "missing/deeper"
    assert not (tmp_path / "missing").exists()


def test_a_symlink_to_a_profile_resolves_to_the_profile(tmp_path: Path) -> None:
    (tmp_path / "real" / "Default").mkdir(parents=True)
    (tmp_path / "link").symlink_to(tmp_path / "real")
    assert checked_user_data_dir(tmp_path / "link") == tmp_path / "real"


def test_the_settings_model_names_file_field_value_and_what_is_allowed(tmp_path: Path) -> None:
    link = tmp_path / "link"
    link.symlink_to("/")
    config = tmp_path / "kioskguard.toml"
    config.write_text(
        f'[browser]\nuser_data_dir = "/"\n[[profiles]]\nname = "a"\nuser_data_dir = ""\n'
        f'[[profiles]]\nname = "b"\nuser_data_dir = "{link}"\n'
    )
    with pytest.raises(InvalidSettings) as caught:
        load_settings(config, use_environment=False)
    assert caught.value.problems == [
        f"{config}: browser.user_data_dir: '/': is the root directory; {ALLOWED}",
        f"{config}: profiles[0].user_data_dir: '': is empty; {ALLOWED}",
        f"{config}: profiles[1].user_data_dir: '{link}': resolves to /: is the root directory;"
        f" {ALLOWED}",
    ]


def test_the_settings_model_keeps_the_resolved_directory(tmp_path: Path) -> None:
    (tmp_path / "real").mkdir()
    (tmp_path / "link").symlink_to(tmp_path / "real")
    config = tmp_path / "kioskguard.toml"
    config.write_text(f'[[profiles]]\nname = "a"\nuser_data_dir = "{tmp_path / "link"}"\n')
    settings = load_settings(config, use_environment=False)
    assert settings.profiles[0].user_data_dir == tmp_path / "real"


def test_one_profile_of_a_user_data_dir_is_refused_naming_its_parent(tmp_path: Path) -> None:
    profile = tmp_path / "chromium" / "Default"
    (profile / "Local Storage").mkdir(parents=True)
    (profile / "Preferences").write_text("{}")
    problem = refused(profile).problem
    assert problem == (
        "is one browser profile, not a user data directory (it holds Local Storage,"
        f" Preferences): name the directory above it, {tmp_path / 'chromium'}"
    )
    assert checked_user_data_dir(tmp_path / "chromium") == tmp_path / "chromium"


def test_a_tilde_that_nothing_expanded_is_refused() -> None:
    assert refused("~/.config/chromium").problem == (
        "starts with ~, which is not expanded: write it out"
    )
