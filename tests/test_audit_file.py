"""The audit file's writer: held lines written in order when the disk takes them again, a file
deleted or replaced under the process reopened at its path, and counted."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from agent import audit_file
from agent.audit import (
    AuditWriteError,
    audit,
    audit_counters,
    configure_logging,
    flush_held,
    held_lines,
)
from agent.outcome import Outcome, Result, Trigger


def outcome(profile: str) -> Outcome:
    return Outcome(profile, Trigger.IDLE, Result.LOGGED_OUT)


def profiles(path: Path) -> list[str]:
    return [json.loads(line)["profile"] for line in path.read_text().splitlines() if line]


@pytest.fixture
def full_audit_file(tmp_path: Path) -> Iterator[Path]:
    """An audit path that is a symbolic link to /dev/full: every write fails with ENOSPC."""
    path = tmp_path / "audit.jsonl"
    path.symlink_to("/dev/full")
    configure_logging("INFO", path)
    yield path
    configure_logging("INFO", None)


@pytest.fixture
def audit_path(tmp_path: Path) -> Iterator[Path]:
    path = tmp_path / "logs" / "audit.jsonl"
    configure_logging("INFO", path)
    yield path
    configure_logging("INFO", None)


def test_lines_the_disk_refuses_are_held_then_written_in_order(full_audit_file: Path) -> None:
    with pytest.raises(AuditWriteError, match="No space left on device; 1 line held"):
        audit(outcome("first"))
    with pytest.raises(AuditWriteError, match="2 lines held"):
        audit(outcome("second"))
    assert [json.loads(line)["profile"] for line in held_lines()] == ["first", "second"]
    with pytest.raises(AuditWriteError, match="2 held lines still not written"):
        flush_held()
    full_audit_file.unlink()  # space is back
    assert flush_held() == 2
    audit(outcome("third"))
    assert profiles(full_audit_file) == ["first", "second", "third"] and held_lines() == []


def test_half_a_line_left_by_a_failed_write_does_not_join_the_next(full_audit_file: Path) -> None:
    with pytest.raises(AuditWriteError):
        audit(outcome("first"))
    full_audit_file.unlink()
    full_audit_file.write_text('{"at": "cut short by the full disk')
    assert flush_held() == 1
    lines = full_audit_file.read_text().splitlines()
    assert lines[0] == '{"at": "cut short by the full disk'
    assert json.loads(lines[1])["profile"] == "first"


def test_held_lines_are_bounded_oldest_dropped_first(
    full_audit_file: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(audit_file, "MAX_HELD", 2)
    for name in ("first", "second", "third"):
        with pytest.raises(AuditWriteError):
            audit(outcome(name))
    assert [json.loads(line)["profile"] for line in held_lines()] == ["second", "third"]
    assert audit_counters().dropped == 1


def test_a_deleted_audit_file_is_reopened_at_its_path_and_counted(audit_path: Path) -> None:
    audit(outcome("before"))
    audit_path.unlink()
    audit(outcome("after"))
    assert profiles(audit_path) == ["after"]
    assert audit_counters().reopened == 1


def test_a_moved_and_replaced_audit_file_gets_the_next_line_at_its_path(audit_path: Path) -> None:
    audit(outcome("before"))
    audit_path.rename(audit_path.with_suffix(".1"))
    audit_path.write_text("")  # logrotate's "create"
    audit(outcome("after"))
    assert profiles(audit_path) == ["after"]
    assert profiles(audit_path.with_suffix(".1")) == ["before"]
    assert audit_counters().reopened == 1


def test_an_untouched_audit_file_is_not_reopened(audit_path: Path) -> None:
    identity = os.stat(audit_path).st_ino
    audit(outcome("one"))
    audit(outcome("two"))
    assert profiles(audit_path) == ["one", "two"] and audit_counters().reopened == 0
    assert os.stat(audit_path).st_ino == identity


def test_a_reload_keeps_the_held_lines_and_the_counts(full_audit_file: Path) -> None:
    with pytest.raises(AuditWriteError):
        audit(outcome("held"))
    full_audit_file.unlink()
    configure_logging("INFO", full_audit_file)  # SIGHUP: logging set up again
    assert flush_held() == 1 and profiles(full_audit_file) == ["held"]


def test_the_writers_own_rotation_is_not_counted_as_a_replaced_file(tmp_path: Path) -> None:
    path = tmp_path / "audit.jsonl"
    configure_logging("INFO", path, rotation="300 B")
    try:
        for number in range(6):
            audit(outcome(f"profile-{number}"))
        assert len(list(tmp_path.iterdir())) > 1  # it rotated
        assert audit_counters().reopened == 0
    finally:
        configure_logging("INFO", None)
