"""The scrub's rules on synthetic databases (no browser): what is dropped, kept, left alone."""

from __future__ import annotations

import contextlib
import os
import socket
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from agent.browser import leveldb_rewrite, scrub
from agent.browser.leveldb_rewrite import LeftAlone, rewrite_without
from agent.browser.origin_stores import (
    indexeddb_identifier,
    local_storage_selector,
    session_storage_selector,
)
from agent.browser.scrub import scrub_closed_profile
from agent.probe.leveldb import file_entries, newest
from agent.probe.leveldb_manifest import live_files, read_version
from agent.probe.leveldb_write import fresh_database, log_file, write_batch
from tests.faults.disk_scan import find_values

CLIENT = "http://127.0.0.1:8080"
OTHER = "http://localhost:8080"


def item(origin: str, name: str) -> bytes:
    return b"_" + origin.encode() + b"\x00\x01" + name.encode()


def make_database(
    directory: Path, records: list[tuple[bytes, bytes]], extra_log: bytes = b""
) -> None:
    """Write a database of records, plus an older log holding extra_log's batch if given."""
    directory.mkdir(parents=True, exist_ok=True)
    database = fresh_database(records, first_number=3, first_sequence=10)
    (directory / database.log_name).write_bytes(database.log + extra_log)
    (directory / database.manifest_name).write_bytes(database.manifest)
    (directory / "CURRENT").write_bytes(database.current)


def read_all(directory: Path) -> dict[bytes, bytes]:
    version = read_version(directory)
    entries = (e for path in live_files(directory, version) for e in file_entries(path))
    return {key: entry.value for key, entry in newest(entries).items() if entry.live}


def local_storage_records() -> list[tuple[bytes, bytes]]:
    return [
        (b"VERSION", b"1"),
        (b"META:" + CLIENT.encode(), b"meta"),
        (item(CLIENT, "WANoiseInfo"), b"\x01secret-noise-value"),
        (b"META:" + OTHER.encode(), b"meta2"),
        (item(OTHER, "kept"), b"\x01other-origin-value"),
    ]


def test_rewrite_drops_the_origin_and_its_old_versions_and_keeps_the_rest(tmp_path: Path) -> None:
    removed_later = log_file(
        [write_batch(100, [(item(CLIENT, "last-wid-md"), b"\x014915112345678")])]
    )
    make_database(tmp_path, local_storage_records(), removed_later)
    done = rewrite_without(tmp_path, local_storage_selector(CLIENT))
    assert (done.dropped, done.kept) == (3, 3)
    assert read_all(tmp_path) == {
        b"VERSION": b"1",
        b"META:" + OTHER.encode(): b"meta2",
        item(OTHER, "kept"): b"\x01other-origin-value",
    }
    assert find_values(tmp_path, {"noise": "secret-noise-value", "wid": "4915112345678"}) == []
    assert rewrite_without(tmp_path, local_storage_selector(CLIENT)).dropped == 0  # idempotent
    version = read_version(tmp_path)
    assert version.last_sequence > 100  # above every old sequence


def test_a_crash_before_current_is_replaced_leaves_the_old_database(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    make_database(tmp_path, local_storage_records())
    before = read_all(tmp_path)
    real_replace = os.replace

    def crash_on_current(source: Path, target: Path) -> None:
        if Path(target).name == "CURRENT":
            raise OSError(28, "No space left on device")
        real_replace(source, target)

    monkeypatch.setattr(leveldb_rewrite.os, "replace", crash_on_current)
    with pytest.raises(OSError):
        rewrite_without(tmp_path, local_storage_selector(CLIENT))
    monkeypatch.undo()
    assert read_all(tmp_path) == before  # the old MANIFEST still rules; the new log is newer
    assert rewrite_without(tmp_path, local_storage_selector(CLIENT)).dropped == 2


def test_unreadable_log_bytes_leave_the_database_alone(tmp_path: Path) -> None:
    make_database(tmp_path, local_storage_records())
    log = next(tmp_path.glob("*.log"))
    data = bytearray(log.read_bytes())
    data[20] ^= 0xFF
    log.write_bytes(bytes(data))
    files = {path.name: path.read_bytes() for path in tmp_path.iterdir()}
    with pytest.raises(LeftAlone, match="unreadable bytes"):
        rewrite_without(tmp_path, local_storage_selector(CLIENT))
    assert {path.name: path.read_bytes() for path in tmp_path.iterdir()} == files


def test_session_storage_drops_the_origins_namespaces_and_maps_only(tmp_path: Path) -> None:
    records = [
        (b"version", b"1"),
        (b"next-map-id", b"3"),
        (b"namespace-aaaa-" + CLIENT.encode() + b"/", b"1"),
        (b"namespace-bbbb-" + OTHER.encode() + b"/", b"2"),
        (b"map-1-secret", b"client value"),
        (b"map-2-kept", b"other value"),
    ]
    make_database(tmp_path, records)
    rewrite_without(tmp_path, session_storage_selector(CLIENT))
    assert set(read_all(tmp_path)) == {
        b"version",
        b"next-map-id",
        b"namespace-bbbb-" + OTHER.encode() + b"/",
        b"map-2-kept",
    }


def test_indexeddb_identifier_uses_port_zero_for_the_default_port() -> None:
    assert indexeddb_identifier("https://web.whatsapp.com") == "https_web.whatsapp.com_0"
    assert indexeddb_identifier(CLIENT) == "http_127.0.0.1_8080"


def profile_with(tmp_path: Path) -> Path:
    user_data_dir = tmp_path / "user-data"
    (user_data_dir / "Default").mkdir(parents=True)
    (user_data_dir / "Local State").write_text("{}")
    return user_data_dir


def test_scrub_removes_the_origins_indexeddb_and_keeps_other_origins(tmp_path: Path) -> None:
    user_data_dir = profile_with(tmp_path)
    indexeddb = user_data_dir / "Default" / "IndexedDB"
    for name in ("http_127.0.0.1_8080.indexeddb.leveldb", "http_localhost_8080.indexeddb.leveldb"):
        (indexeddb / name).mkdir(parents=True)
        (indexeddb / name / "000003.log").write_bytes(b"4915112345678")
    (indexeddb / "http_127.0.0.1_8080.indexeddb.blob").mkdir()
    report = scrub_closed_profile(user_data_dir, CLIENT + "/")
    assert report.clean, report.notes
    assert sorted(path.name for path in indexeddb.iterdir()) == [
        "http_localhost_8080.indexeddb.leveldb"
    ]


def test_sqlite_dom_storage_is_left_alone_with_a_note(tmp_path: Path) -> None:
    user_data_dir = profile_with(tmp_path)
    local_storage = user_data_dir / "Default" / "Local Storage"
    local_storage.mkdir()
    with sqlite3.connect(local_storage / "http_127.0.0.1_8080.localstorage") as database:
        database.execute("CREATE TABLE ItemTable (key TEXT, value BLOB)")
    before = (local_storage / "http_127.0.0.1_8080.localstorage").read_bytes()
    report = scrub_closed_profile(user_data_dir, CLIENT)
    assert not report.clean
    assert any("SQLite DOM storage" in note for note in report.notes), report.notes
    assert (local_storage / "http_127.0.0.1_8080.localstorage").read_bytes() == before


def test_a_database_whose_lock_another_process_holds_is_left_alone(tmp_path: Path) -> None:
    user_data_dir = profile_with(tmp_path)
    leveldb = user_data_dir / "Default" / "Local Storage" / "leveldb"
    make_database(leveldb, local_storage_records())
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import fcntl, os, sys, time\n"
            "fd = os.open(sys.argv[1], os.O_RDWR | os.O_CREAT)\n"
            "fcntl.lockf(fd, fcntl.LOCK_EX)\nprint('held', flush=True)\ntime.sleep(60)",
            str(leveldb / "LOCK"),
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "held"
        report = scrub_closed_profile(user_data_dir, CLIENT)
    finally:
        holder.kill()
        holder.wait()
    assert not report.clean
    assert any("open in another process" in note for note in report.notes), report.notes
    assert find_values(user_data_dir, {"noise": "secret-noise-value"}) != []


def test_nothing_to_scrub_never_holds_the_profile(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    user_data_dir = profile_with(tmp_path)
    leveldb = user_data_dir / "Default" / "Local Storage" / "leveldb"
    make_database(leveldb, [(b"VERSION", b"1"), (item(OTHER, "kept"), b"\x01other")])
    holds: list[Path] = []
    real_hold = scrub.hold_profile

    def recording_hold(path: Path) -> contextlib.AbstractContextManager[object]:
        holds.append(path)
        return real_hold(path)

    monkeypatch.setattr(scrub, "hold_profile", recording_hold)
    report = scrub_closed_profile(user_data_dir, CLIENT)
    assert report.clean and report.notes[0].startswith("scrubbed nothing"), report.notes
    assert holds == []
    make_database(leveldb, [(item(CLIENT, "WANoiseInfo"), b"\x01secret")])
    assert any(
        n.startswith("scrubbed Default") for n in scrub_closed_profile(user_data_dir, CLIENT).notes
    )
    assert holds == [user_data_dir]


def test_a_browser_refused_during_the_scrub_is_noted(tmp_path: Path) -> None:
    report = scrub.ScrubReport()
    # a browser starting on the profile while the scrub holds it
    with scrub.profile_closed(tmp_path, report), socket.socket(socket.AF_UNIX) as client:
        client.settimeout(10)
        client.connect(os.readlink(tmp_path / "SingletonSocket"))
        client.sendall(b"START\0/home\0chromium\0")
        assert client.recv(16) == b"ACK"
    assert report.notes == [
        "a browser tried to open the profile during the scrub and was refused (1 time(s))"
    ]
