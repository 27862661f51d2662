"""The guard lock: one guard per profile directory, whatever the state dir; a holder of another
account (a visitor) cannot keep the guard away."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from agent.browser.profile_guard import ProfileGuards
from agent.errors import ConfigError
from agent.platform.lock_holders import Holder
from agent.settings import ProfileSettings

HOLD = (
    "import fcntl, os, sys, time\n"
    "descriptor = os.open(sys.argv[1], os.O_RDONLY | os.O_DIRECTORY)\n"
    "fcntl.flock(descriptor, fcntl.LOCK_EX)\n"
    "print('held', flush=True)\n"
    "time.sleep(120)\n"
)


def profile(path: Path, name: str = "desk") -> ProfileSettings:
    path.mkdir(parents=True, exist_ok=True)
    return ProfileSettings(name=name, user_data_dir=path)


def test_a_second_guard_of_a_profile_is_refused_whatever_path_names_it(tmp_path: Path) -> None:
    (tmp_path / "profile").mkdir()
    (tmp_path / "alias").symlink_to(tmp_path / "profile")
    first = ProfileGuards()
    first.hold([profile(tmp_path / "profile")])
    with pytest.raises(ConfigError, match=r"profile desk \(.*/profile\) is already guarded by"):
        ProfileGuards().hold([profile(tmp_path / "alias")])
    first.release_all()
    ProfileGuards().hold([profile(tmp_path / "alias")])


def test_the_refusal_names_the_holding_process(tmp_path: Path) -> None:
    (tmp_path / "profile").mkdir()
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLD, str(tmp_path / "profile")], stdout=subprocess.PIPE, text=True
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "held"
        with pytest.raises(ConfigError) as refused:
            ProfileGuards().hold([profile(tmp_path / "profile")])
        assert f"guarded by pid {holder.pid} ({sys.executable} -c import fcntl" in str(
            refused.value
        )
        assert f"uid {os.getuid()}" in str(refused.value)
    finally:
        holder.kill()
        holder.wait()


def test_a_refusal_releases_the_profiles_it_had_taken(tmp_path: Path) -> None:
    first = ProfileGuards()
    first.hold([profile(tmp_path / "b", "b")])
    second = ProfileGuards()
    with pytest.raises(ConfigError):
        second.hold([profile(tmp_path / "a", "a"), profile(tmp_path / "b", "b")])
    assert second.held() == []
    ProfileGuards().hold([profile(tmp_path / "a", "a")])  # a was released


def test_a_holder_of_another_account_does_not_keep_the_guard_away(tmp_path: Path) -> None:
    visitor = ProfileGuards()
    visitor.hold([profile(tmp_path / "profile")])
    someone_else = Holder(4242, os.getuid() + 1000, "flock profile sleep infinity")
    guards = ProfileGuards(holders=lambda _descriptor: [someone_else])
    guards.hold([profile(tmp_path / "profile")])  # no refusal: guarding anyway
    assert guards.held() == []
    assert guards.guard_state(str(tmp_path / "profile")).startswith("contested by pid 4242")
    guards.retry()
    assert guards.held() == []  # still held by the other
    visitor.release_all()
    guards.retry()
    assert guards.held() == [os.path.realpath(tmp_path / "profile")]


def test_a_holder_of_our_account_or_root_or_unknown_is_a_guard(tmp_path: Path) -> None:
    ProfileGuards().hold([profile(tmp_path / "profile")])
    for holders in ([Holder(1, 0, "")], [Holder(1, os.getuid(), "")], [Holder(1, None, "")], []):
        with pytest.raises(ConfigError):
            ProfileGuards(holders=lambda _descriptor, found=holders: found).hold(
                [profile(tmp_path / "profile")]
            )


def test_a_reload_keeps_the_profiles_it_still_guards_and_releases_the_others(
    tmp_path: Path,
) -> None:
    guards = ProfileGuards()
    guards.hold([profile(tmp_path / "a", "a"), profile(tmp_path / "b", "b")])
    guards.hold([profile(tmp_path / "a", "a")])
    guards.keep_only([profile(tmp_path / "a", "a")])
    assert guards.held() == [os.path.realpath(tmp_path / "a")]
    ProfileGuards().hold([profile(tmp_path / "b", "b")])


def test_a_missing_profile_directory_is_not_created_and_is_locked_once_it_appears(
    tmp_path: Path,
) -> None:
    missing = ProfileSettings(name="desk", user_data_dir=tmp_path / "later")
    guards = ProfileGuards()
    guards.hold([missing])
    assert not (tmp_path / "later").exists() and guards.held() == []
    guards.retry()
    (tmp_path / "later").mkdir()  # the browser creates it
    guards.retry()
    assert guards.held() == [os.path.realpath(tmp_path / "later")]
    with pytest.raises(ConfigError):
        ProfileGuards().hold([missing])
