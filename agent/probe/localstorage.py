"""Read one origin's localStorage items from a Chromium profile, read-only (via chromium-reader).

Chromium keeps a profile's localStorage in one LevelDB (``<profile>/Local Storage/leveldb``); an
item's record key is ``"_" + origin + "\\x00" + encoding byte + name``. LevelDB keeps superseded
values and deletion tombstones until a compaction drops them, and chromium-reader 0.1.1 reports
every old live value as live (a removed session would still look linked). Here only the newest
record (highest sequence number) of a key counts.

Reading never writes and never takes the LOCK file, so it works while the browser runs; a file
that a compaction replaces under our feet is retried by the caller. Only records that can belong to
the origin are decoded: table blocks whose key range misses it and log batches that do not contain
its prefix are skipped unparsed.
"""

from __future__ import annotations

import io
import struct
from collections.abc import Iterator
from pathlib import Path

from chromium_reader.leveldb import KeyState, LdbFile, Record, _iter_log_blocks, _read_le_varint
from chromium_reader.localstorage import decode_value

from agent.errors import ProbeError

VERSION_KEY = b"VERSION"
SUPPORTED_VERSION = b"1"
_SQLITE_MAGIC = b"SQLite format 3\x00"
_DATA_SUFFIXES = (".log", ".ldb", ".sst")
_DELETION = 0


def record_prefix(origin: str) -> bytes:
    """Given an origin, return the byte prefix of its item records."""
    return b"_" + origin.encode("latin-1") + b"\x00"


def _may_hold(low: bytes, high: bytes, prefix: bytes) -> bool:
    """True if a user-key range [low, high] can contain VERSION or a key starting with prefix."""
    for start in (VERSION_KEY, prefix):
        if high >= start and (low <= start or low.startswith(start)):
            return True
    return False


def _table_records(table: LdbFile, prefix: bytes) -> Iterator[Record]:
    """Yield a table's records from the blocks whose key range may hold VERSION or prefix."""
    low = b""
    # The index holds, per block, an internal key >= every key in that block (user key + 8 bytes).
    for separator, handle in table._index:
        high = separator[:-8]
        if _may_hold(low, high, prefix):
            block = table._read_block(handle)
            for entry in block:
                yield Record.ldb_record(entry.key, entry.value, table.path, 0, False)
        low = high


def _batch_records(batch: bytes) -> Iterator[tuple[bytes, int, KeyState, bytes]]:
    """Yield (key, sequence, state, value) from one log batch; stop at a torn tail."""
    stream = io.BytesIO(batch)
    header = stream.read(12)
    if len(header) < 12:
        return
    sequence, count = struct.unpack("<QI", header)
    for index in range(count):
        state_byte = stream.read(1)
        key_length = _read_le_varint(stream, is_32bit=True)
        if not state_byte or key_length is None:
            return
        key = stream.read(key_length)
        value = b""
        if state_byte[0] != _DELETION:
            value_length = _read_le_varint(stream, is_32bit=True)
            if value_length is None:
                return
            value = stream.read(value_length)
            if len(value) < value_length:
                return
        if len(key) < key_length:
            return
        state = KeyState.DELETED if state_byte[0] == _DELETION else KeyState.LIVE
        yield key, sequence + index, state, value


def _log_records(path: Path, prefix: bytes) -> Iterator[tuple[bytes, int, KeyState, bytes]]:
    with path.open("rb") as stream:
        for _offset, batch in _iter_log_blocks(stream, path):
            if prefix in batch or VERSION_KEY in batch:
                yield from _batch_records(batch)


def _file_records(path: Path, prefix: bytes) -> Iterator[tuple[bytes, int, KeyState, bytes]]:
    if path.suffix == ".log":
        yield from _log_records(path, prefix)
        return
    table = LdbFile(path)
    try:
        for record in _table_records(table, prefix):
            yield record.user_key, record.seq, record.state, record.value
    finally:
        table.close()


def _all_records(leveldb_dir: Path, prefix: bytes) -> Iterator[tuple[bytes, int, KeyState, bytes]]:
    for entry in leveldb_dir.iterdir():
        if entry.suffix not in _DATA_SUFFIXES or not entry.stem.isdigit():
            continue
        try:
            yield from _file_records(entry, prefix)
        except (ValueError, IndexError, KeyError, struct.error) as exc:
            raise ProbeError(
                f"unreadable LevelDB file {entry.name} in {leveldb_dir}: {exc}"
            ) from exc


def _newest_records(leveldb_dir: Path, prefix: bytes) -> dict[bytes, tuple[int, KeyState, bytes]]:
    newest: dict[bytes, tuple[int, KeyState, bytes]] = {}
    for key, sequence, state, value in _all_records(leveldb_dir, prefix):
        if key != VERSION_KEY and not key.startswith(prefix):
            continue
        known = newest.get(key)
        if known is None or sequence > known[0]:
            newest[key] = (sequence, state, value)
    return newest


def check_layout(leveldb_dir: Path) -> None:
    """Given a localStorage LevelDB dir, return if it looks like one. Raise ProbeError if not."""
    if not leveldb_dir.is_dir():
        raise ProbeError(f"unknown layout: {leveldb_dir} is not a directory")
    if not (leveldb_dir / "CURRENT").is_file():
        raise ProbeError(f"unknown layout: no LevelDB CURRENT file in {leveldb_dir}")


def find_sqlite(directory: Path) -> Path | None:
    """Given a directory, return the first file in it that is an SQLite database, else None."""
    for entry in sorted(directory.iterdir()):
        if entry.is_file():
            with entry.open("rb") as stream:
                if stream.read(len(_SQLITE_MAGIC)) == _SQLITE_MAGIC:
                    return entry
    return None


def read_origin_items(leveldb_dir: Path, origin: str) -> dict[str, bytes]:
    """Given a localStorage LevelDB directory and an origin, return the origin's live items.

    Items map name -> raw value (encoding byte first); the newest record of each name wins, so
    removed items are absent. Raise ProbeError if the files cannot be read or have an unknown
    layout or schema version.
    """
    prefix = record_prefix(origin)
    try:
        check_layout(leveldb_dir)
        newest = _newest_records(leveldb_dir, prefix)
    except ProbeError:
        raise
    except PermissionError as exc:
        raise ProbeError(f"permission denied reading {exc.filename or leveldb_dir}") from exc
    except FileNotFoundError as exc:
        raise ProbeError(f"file vanished while reading {leveldb_dir}: {exc.filename}") from exc
    except OSError as exc:
        raise ProbeError(f"cannot read {exc.filename or leveldb_dir}: {exc.strerror}") from exc
    version = newest.pop(VERSION_KEY, None)
    if version is not None and (version[1] != KeyState.LIVE or version[2] != SUPPORTED_VERSION):
        raise ProbeError(f"unknown localStorage schema VERSION {version[2]!r} in {leveldb_dir}")
    items: dict[str, bytes] = {}
    for key, (_sequence, state, value) in newest.items():
        if state != KeyState.LIVE:
            continue
        try:
            name = decode_value(key[len(prefix) :])
        except (ValueError, UnicodeDecodeError):
            continue  # a name no session key can have
        items[name] = value
    return items


def decode_item(raw: bytes) -> str | None:
    """Given a raw localStorage value, return its text, or None if it cannot be decoded."""
    try:
        return decode_value(raw)
    except (ValueError, UnicodeDecodeError):
        return None
