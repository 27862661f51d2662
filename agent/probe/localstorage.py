"""Read one origin's localStorage items from a Chromium profile, read-only (agent.probe.leveldb).

Chromium keeps a profile's localStorage in one LevelDB (``<profile>/Local Storage/leveldb``); an
item's record key is ``"_" + origin + "\\x00" + encoding byte + name``. LevelDB keeps superseded
values and deletion tombstones until a compaction drops them: only the newest record (highest
sequence number) of a key counts, so a removed session does not look linked.

Reading never writes and never takes the LOCK file, so it works while the browser runs; a file
that a compaction replaces under our feet is retried by the caller. Only records that can belong to
the origin are decoded: table blocks whose key range misses it and log batches that do not contain
its prefix are skipped unparsed.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from agent.errors import ProbeError
from agent.probe.leveldb import Entry, Table, batch_entries, newest, read_log
from agent.probe.leveldb_format import FormatError
from agent.probe.leveldb_manifest import file_number

VERSION_KEY = b"VERSION"
SUPPORTED_VERSION = b"1"
_SQLITE_MAGIC = b"SQLite format 3\x00"
UTF16, LATIN1 = 0, 1  # the encoding byte in front of every key name and value


def record_prefix(origin: str) -> bytes:
    """Given an origin, return the byte prefix of its item records."""
    return b"_" + origin.encode("latin-1") + b"\x00"


def _may_hold(low: bytes, high: bytes, prefix: bytes) -> bool:
    """True if a user-key range [low, high] can contain VERSION or a key starting with prefix."""
    for start in (VERSION_KEY, prefix):
        if high >= start and (low <= start or low.startswith(start)):
            return True
    return False


def _file_entries(path: Path, prefix: bytes) -> Iterator[Entry]:
    data = path.read_bytes()
    if path.suffix == ".log":
        reading = read_log(data, verify=False)  # pure-Python CRC32C would triple the probe's time
        if reading.skipped and not reading.payloads:  # a torn tail alone is normal, garbage not
            raise FormatError(f"no readable record in {reading.skipped} bytes")
        for batch in reading.payloads:
            if prefix in batch or VERSION_KEY in batch:
                yield from batch_entries(batch)
        return
    yield from Table(data, path.name).entries(lambda low, high: _may_hold(low, high, prefix))


def _all_entries(leveldb_dir: Path, prefix: bytes) -> Iterator[Entry]:
    for entry in leveldb_dir.iterdir():
        if file_number(entry) is None:
            continue
        try:
            yield from _file_entries(entry, prefix)
        except (FormatError, IndexError) as exc:
            raise ProbeError(
                f"unreadable LevelDB file {entry.name} in {leveldb_dir}: {exc}"
            ) from exc


def _newest_records(leveldb_dir: Path, prefix: bytes) -> dict[bytes, Entry]:
    entries = _all_entries(leveldb_dir, prefix)
    return newest(e for e in entries if e.key == VERSION_KEY or e.key.startswith(prefix))


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
        records = _newest_records(leveldb_dir, prefix)
    except ProbeError:
        raise
    except PermissionError as exc:
        raise ProbeError(f"permission denied reading {exc.filename or leveldb_dir}") from exc
    except FileNotFoundError as exc:
        raise ProbeError(f"file vanished while reading {leveldb_dir}: {exc.filename}") from exc
    except OSError as exc:
        raise ProbeError(f"cannot read {exc.filename or leveldb_dir}: {exc.strerror}") from exc
    version = records.pop(VERSION_KEY, None)
    if version is not None and (not version.live or version.value != SUPPORTED_VERSION):
        raise ProbeError(f"unknown localStorage schema VERSION {version.value!r} in {leveldb_dir}")
    items: dict[str, bytes] = {}
    for key, entry in records.items():
        name = decode_item(key[len(prefix) :]) if entry.live else None
        if name is not None:  # None: removed, or a name no session key can have
            items[name] = entry.value
    return items


def decode_item(raw: bytes) -> str | None:
    """Given a raw localStorage value, return its text, or None if it cannot be decoded."""
    if raw[:1] == bytes([UTF16]):
        try:
            return raw[1:].decode("utf-16-le")
        except UnicodeDecodeError:
            return None
    if raw[:1] == bytes([LATIN1]):
        return raw[1:].decode("latin-1")
    return None
