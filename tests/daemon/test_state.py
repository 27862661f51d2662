"""The state file: records survive a restart, writes are whole, bad content is reported."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import pytest

from agent.daemon.state import LogoutInProgress, StateFile, StateFileError
from agent.outcome import Trigger

from .conftest import SATURDAY_EVENING


def record(profile: str) -> LogoutInProgress:
    return LogoutInProgress(profile, Trigger.CLOSING_TIME, SATURDAY_EVENING)


def test_records_are_read_back_by_a_new_instance(tmp_path: Path) -> None:
    StateFile(tmp_path / "state.json").begin(record("desk"))
    (read,) = StateFile(tmp_path / "state.json").in_progress()
    assert read == record("desk")
    assert isinstance(read.started_at, datetime) and read.started_at.tzinfo is not None


def test_finish_removes_only_that_profile(tmp_path: Path) -> None:
    state = StateFile(tmp_path / "state.json")
    state.begin(record("desk"))
    state.begin(record("lobby"))
    state.finish("desk")
    assert [entry.profile for entry in state.in_progress()] == ["lobby"]


def test_no_file_means_nothing_in_progress(tmp_path: Path) -> None:
    assert StateFile(tmp_path / "absent" / "state.json").in_progress() == []


def test_writes_leave_no_temporary_files(tmp_path: Path) -> None:
    state = StateFile(tmp_path / "state.json")
    state.begin(record("desk"))
    state.finish("desk")
    assert sorted(path.name for path in tmp_path.iterdir()) == ["state.json"]


def test_corrupt_file_is_a_clear_error(tmp_path: Path) -> None:
    (tmp_path / "state.json").write_text("{not json")
    with pytest.raises(StateFileError, match=r"state\.json: cannot be read"):
        StateFile(tmp_path / "state.json").in_progress()


def test_unexpected_content_is_a_clear_error(tmp_path: Path) -> None:
    (tmp_path / "state.json").write_text('{"in_progress": {"desk": {"trigger": "nap"}}}')
    with pytest.raises(StateFileError, match="unexpected content"):
        StateFile(tmp_path / "state.json").in_progress()


def test_a_disk_that_refuses_is_reported_once_counted_and_written_when_it_takes_it(
    tmp_path: Path,
) -> None:
    blocker = tmp_path / "state"
    blocker.write_text("a file where the state directory goes: every write fails")
    errors: list[None] = []
    state = StateFile(blocker / "state.json", on_write_error=lambda: errors.append(None))
    with pytest.raises(StateFileError, match="cannot be written"):
        state.begin(record("desk"))
    state.begin(record("lobby"))  # already reported: held quietly
    state.finish("desk")
    assert len(errors) == 3 and state.unwritten
    assert state.retry() is False
    blocker.unlink()  # the disk takes writes again
    assert state.retry() is True and not state.unwritten
    assert [entry.profile for entry in StateFile(blocker / "state.json").in_progress()] == ["lobby"]
