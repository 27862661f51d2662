"""The offline probe on broken, unknown and unusual profile layouts."""

from __future__ import annotations

import json
import os
import sqlite3
import tempfile
from pathlib import Path

import pytest

from agent.errors import ProbeError
from agent.outcome import Linked
from agent.probe import find_profiles, probe_profile, probe_user_data_dir
from agent.probe.leveldb_write import log_file, write_batch


def _leveldb(user_data_dir: Path) -> Path:
    return user_data_dir / "Default" / "Local Storage" / "leveldb"


def _log_with_one_record(sequence: int, key: bytes, value: bytes) -> bytes:
    """Return a LevelDB log file holding one batch that puts key=value at sequence."""
    return log_file([write_batch(sequence, [(key, value)])])


def test_garbage_log_file_gives_unknown_with_detail(linked_copy: Path, client_url: str) -> None:
    for log in _leveldb(linked_copy).glob("*.log"):
        log.write_bytes(b"\xff" * 4096)
    result = probe_profile(linked_copy / "Default", client_url)
    assert result.linked == Linked.UNKNOWN
    assert "unreadable LevelDB file 000003.log" in result.detail


def test_garbage_table_file_gives_unknown_with_detail(linked_copy: Path, client_url: str) -> None:
    (_leveldb(linked_copy) / "000099.ldb").write_bytes(bytes(range(256)) * 4)
    result = probe_profile(linked_copy / "Default", client_url)
    assert result.linked == Linked.UNKNOWN
    assert "unreadable LevelDB file 000099.ldb" in result.detail


def test_leveldb_without_current_file_gives_unknown(linked_copy: Path, client_url: str) -> None:
    (_leveldb(linked_copy) / "CURRENT").unlink()
    result = probe_profile(linked_copy / "Default", client_url)
    assert result.linked == Linked.UNKNOWN
    assert "no LevelDB CURRENT file" in result.detail


def test_newer_storage_schema_version_gives_unknown(linked_copy: Path, client_url: str) -> None:
    (_leveldb(linked_copy) / "000999.log").write_bytes(
        _log_with_one_record(10**6, b"VERSION", b"2")
    )
    result = probe_profile(linked_copy / "Default", client_url)
    assert result.linked == Linked.UNKNOWN
    assert "VERSION b'2'" in result.detail


def test_sqlite_dom_storage_gives_unknown_layout(tmp_path: Path, client_url: str) -> None:
    (tmp_path / "Local Storage").mkdir()
    sqlite3.connect(tmp_path / "Local Storage" / "storage.db").execute("create table t (x)").close()
    result = probe_profile(tmp_path, client_url)
    assert result.linked == Linked.UNKNOWN
    assert "SQLite DOM storage storage.db" in result.detail


def _detail_as_nobody(profile: Path, origin: str) -> str:
    """Probe in a forked child that has dropped root to nobody; return the result's detail."""
    read_end, write_end = os.pipe()
    child = os.fork()
    if child == 0:  # pragma: no cover - runs in the child
        os.close(read_end)
        try:
            os.setgid(65534)
            os.setuid(65534)
            os.write(write_end, probe_profile(profile, origin).detail.encode())
        finally:
            os._exit(0)
    os.close(write_end)
    with os.fdopen(read_end, "rb") as pipe:
        detail = pipe.read().decode()
    os.waitpid(child, 0)
    return detail


def test_unreadable_local_storage_gives_unknown(client_url: str) -> None:
    assert os.geteuid() == 0, "this test drops root to nobody to make a directory unreadable"
    with tempfile.TemporaryDirectory() as directory:  # under /tmp: nobody may traverse it
        profile = Path(directory)
        profile.chmod(0o755)
        (profile / "Local Storage").mkdir(mode=0o700)
        detail = _detail_as_nobody(profile, client_url)
    assert detail == f"permission denied reading {profile / 'Local Storage'}"


def test_profile_behind_an_unreadable_parent_gives_unknown(tmp_path: Path, client_url: str) -> None:
    tmp_path.chmod(0o700)
    (tmp_path / "Local Storage").mkdir()
    assert _detail_as_nobody(tmp_path, client_url).startswith("permission denied reading")


def test_data_file_that_cannot_be_opened_gives_unknown(tmp_path: Path, client_url: str) -> None:
    (tmp_path / "Local Storage" / "leveldb").mkdir(parents=True)
    (tmp_path / "Local Storage" / "leveldb" / "000003.log").mkdir()  # cannot be opened as a file
    (tmp_path / "Local Storage" / "leveldb" / "CURRENT").write_text("MANIFEST-000001\n")
    assert probe_profile(tmp_path, client_url).linked == Linked.UNKNOWN


def test_profile_without_local_storage_is_not_linked(tmp_path: Path, client_url: str) -> None:
    (tmp_path / "Preferences").write_text("{}")
    result = probe_profile(tmp_path, client_url)
    assert result.linked == Linked.NOT_LINKED
    assert result.detail == "no Local Storage"


def test_missing_profile_dir_raises_probe_error(tmp_path: Path, client_url: str) -> None:
    with pytest.raises(ProbeError, match="does not exist"):
        probe_profile(tmp_path / "absent", client_url)


def test_directory_of_neither_kind_raises_probe_error(tmp_path: Path, client_url: str) -> None:
    with pytest.raises(ProbeError, match="neither a browser user data dir"):
        probe_user_data_dir(tmp_path, client_url)


def test_profile_dir_given_directly_is_probed_alone(linked_copy: Path, client_url: str) -> None:
    results = probe_user_data_dir(linked_copy / "Default", client_url)
    assert [result.linked for result in results] == [Linked.LINKED]


def test_profiles_listed_in_local_state_are_found_in_order(tmp_path: Path) -> None:
    for name in ("Default", "Profile 10", "Profile 2", "Work", "Unlisted", "Crashpad"):
        (tmp_path / name).mkdir()
    cache: dict[str, dict[str, str]] = {"Work": {}, "Gone": {}, "Profile 2": {}}
    (tmp_path / "Local State").write_text(json.dumps({"profile": {"info_cache": cache}}))
    names = [path.name for path in find_profiles(tmp_path)]
    assert names == ["Default", "Profile 2", "Profile 10", "Work"]


def test_unreadable_local_state_still_finds_numbered_profiles(tmp_path: Path) -> None:
    (tmp_path / "Default").mkdir()
    (tmp_path / "Profile 1").mkdir()
    (tmp_path / "Local State").write_text("{not json")
    assert [path.name for path in find_profiles(tmp_path)] == ["Default", "Profile 1"]
