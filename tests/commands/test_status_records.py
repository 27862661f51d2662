"""`status` shows the last logout of the profile asked about, never another profile's: the
command line's logouts all carried the profile name ``cli`` (issue 16)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from agent.commands.status import last_logout
from agent.settings import ProfileSettings
from tests.commands.test_cli import kioskguard


def record(name: str, at: str, directory: Path | None, *, field: bool = True) -> dict[str, Any]:
    """Return an audit record: with the user_data_dir field (new), or only the note (old)."""
    data: dict[str, Any] = {"at": at, "profile": name, "result": "logged_out", "notes": []}
    if directory is not None:
        data["notes"] = [f"user data dir: {directory}"]
        if field:
            data["user_data_dir"] = str(directory)
    return data


def write(audit: Path, *records: dict[str, Any]) -> None:
    audit.write_text("".join(json.dumps(entry) + "\n" for entry in records), encoding="utf-8")


def test_two_profiles_cli_logouts_each_show_their_own(tmp_path: Path) -> None:
    """Both logouts were `kioskguard logout --profile ...` as a user runs it."""
    first, second = tmp_path / "seat-a", tmp_path / "seat-b"
    first.mkdir()
    second.mkdir()
    for profile in (first, second):
        done = kioskguard("logout", "--profile", str(profile), "--json", cwd=tmp_path)
        assert done.returncode == 0, done.stderr
        assert json.loads(done.stdout)["user_data_dir"] == str(profile)
    reports = {}
    for profile in (first, second):
        shown = kioskguard("status", "--profile", str(profile), "--json", cwd=tmp_path)
        assert shown.returncode == 0, shown.stderr
        reports[profile] = json.loads(shown.stdout)["last_logout"]
    assert reports[first]["user_data_dir"] == str(first)
    assert reports[second]["user_data_dir"] == str(second)
    assert reports[first]["at"] < reports[second]["at"]


def test_a_profile_reached_through_a_symlink_finds_its_records(tmp_path: Path) -> None:
    real, link = tmp_path / "real", tmp_path / "link"
    real.mkdir()
    link.symlink_to(real)
    audit = tmp_path / "audit.jsonl"
    write(audit, record("cli", "1", real), record("cli", "2", tmp_path / "other"))
    profile = ProfileSettings(name="cli", user_data_dir=link)
    found = last_logout(audit, profile)
    assert found is not None and found["at"] == "1"


def test_old_cli_records_match_by_their_note_never_by_the_shared_name(tmp_path: Path) -> None:
    first, second = tmp_path / "seat-a", tmp_path / "seat-b"
    audit = tmp_path / "audit.jsonl"
    write(
        audit,
        record("cli", "1", second, field=False),  # old: only the note
        record("cli", "2", first, field=False),
        record("cli", "3", None),  # older still: no directory at all
    )
    assert last_logout(audit, ProfileSettings(name="cli", user_data_dir=second))["at"] == "1"  # type: ignore[index]
    assert last_logout(audit, ProfileSettings(name="cli", user_data_dir=first))["at"] == "2"  # type: ignore[index]
    third = ProfileSettings(name="cli", user_data_dir=tmp_path / "seat-c")
    assert last_logout(audit, third) is None


def test_a_configured_profile_without_a_recorded_directory_matches_by_name(tmp_path: Path) -> None:
    audit = tmp_path / "audit.jsonl"
    write(audit, record("desk", "1", None), record("other", "2", None))
    desk = ProfileSettings(name="desk", user_data_dir=tmp_path / "desk")
    assert last_logout(audit, desk)["at"] == "1"  # type: ignore[index]


def test_a_record_for_another_directory_under_the_same_name_is_not_shown(tmp_path: Path) -> None:
    audit = tmp_path / "audit.jsonl"
    write(audit, record("desk", "1", tmp_path / "old-desk"))
    assert last_logout(audit, ProfileSettings(name="desk", user_data_dir=tmp_path / "desk")) is None
