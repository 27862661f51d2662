"""Rewrite a closed LevelDB database without some keys, so that nothing of them stays on disk.

LevelDB keeps a removed value in its log and tables until a compaction happens to drop it, so a
cleared origin stays readable in the files. Here every live record is read (agent.probe.leveldb),
the selected keys are dropped with every old version and tombstone of them, and a fresh
database holding the rest is written beside the old files (agent.probe.leveldb_write):

1. the new log and MANIFEST are written under names LevelDB ignores, synced, then renamed to
   numbers above every existing file (their sequence numbers also above every existing one);
2. ``CURRENT`` is replaced atomically (a synced temporary, then rename): LevelDB's own commit;
3. the old logs, tables and MANIFESTs are removed.

A crash before step 2 leaves the old database, which LevelDB opens as before (a renamed new log
replays the kept records with newer sequence numbers: the same values); after it, the new one.
Anything unexpected (an unknown comparator, unreadable bytes, a missing table) raises LeftAlone
before a byte is written. The caller holds the database's LOCK.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path

from agent.probe.leveldb import Entry, Table, batch_entries, newest, read_log
from agent.probe.leveldb_format import BYTEWISE_COMPARATOR, FormatError
from agent.probe.leveldb_manifest import file_number, live_files, read_version
from agent.probe.leveldb_write import fresh_database

TEMPORARY_SUFFIX = ".kioskguard-tmp"
# Given the newest record of every key, return the predicate "drop this key".
Selector = Callable[[Mapping[bytes, Entry]], Callable[[bytes], bool]]


class LeftAlone(Exception):
    """The database is not what this module can rewrite safely; nothing was written."""


@dataclass(frozen=True)
class Rewrite:
    """What a rewrite did: keys dropped and kept, files removed (0 keys dropped: not needed)."""

    dropped: int
    kept: int
    removed_files: int


def _entries(path: Path) -> list[Entry]:
    data = path.read_bytes()
    if path.suffix == ".log":
        reading = read_log(data)
        if reading.skipped:
            raise LeftAlone(f"{path.name} has {reading.skipped} unreadable bytes")
        return [entry for payload in reading.payloads for entry in batch_entries(payload)]
    return list(Table(data, path.name).entries())


def _numbered(directory: Path) -> int:
    """Return the highest file number used in directory (logs, tables, MANIFESTs)."""
    highest = 0
    for path in directory.iterdir():
        number = file_number(path)
        if number is None and path.name.startswith("MANIFEST-"):
            suffix = path.name.removeprefix("MANIFEST-")
            number = int(suffix) if suffix.isdigit() else None
        highest = max(highest, number or 0)
    return highest


def _obsolete(directory: Path, keep: set[str]) -> list[Path]:
    """Return the database files of directory other than keep: logs, tables, MANIFESTs, and
    the temporaries of a rewrite that a crash interrupted."""
    return [
        path
        for path in directory.iterdir()
        if path.name not in keep
        and (
            file_number(path) is not None
            or path.name.startswith("MANIFEST-")
            or path.name.endswith(TEMPORARY_SUFFIX)
        )
    ]


def _write_synced(path: Path, data: bytes) -> None:
    with path.open("wb") as stream:
        stream.write(data)
        stream.flush()
        os.fsync(stream.fileno())


def _sync_directory(directory: Path) -> None:
    if os.name == "nt":  # Windows cannot open a directory; its renames are journaled
        return
    descriptor = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)


def _read(directory: Path) -> tuple[list[Entry], int, set[str]]:
    """Return every record of the live files, the next sequence number, the live file names."""
    try:
        version = read_version(directory)
        if version.comparator not in (None, BYTEWISE_COMPARATOR):
            raise LeftAlone(f"comparator {version.comparator!r} is not bytewise")
        files = live_files(directory, version)
        entries = [entry for path in files for entry in _entries(path)]
    except (FormatError, IndexError) as exc:
        raise LeftAlone(f"unreadable: {exc}") from exc
    except OSError as exc:
        raise LeftAlone(f"cannot read {exc.filename or directory}: {exc.strerror}") from exc
    last = max([version.last_sequence, *(entry.sequence for entry in entries)])
    manifest = (directory / "CURRENT").read_text("ascii").strip()
    return entries, last + 1, {path.name for path in files} | {manifest}


def rewrite_without(directory: Path, select: Selector, write: bool = True) -> Rewrite:
    """Given a closed LevelDB directory and a selector, drop the selected keys from its files.

    Nothing is written when no record (value or tombstone) of a selected key is in the live
    files and no obsolete file is left (Rewrite with dropped=0), nor with write=False (the
    Rewrite then says what a rewrite would do; no lock needed). Raise LeftAlone if the database
    cannot be read for sure (nothing written), OSError if writing fails (the old database stays
    current unless CURRENT was already replaced).
    """
    entries, next_sequence, live_names = _read(directory)
    latest = newest(iter(entries))
    drop = select(latest)
    dropped = {entry.key for entry in entries if drop(entry.key)}
    leftovers = _obsolete(directory, live_names)
    kept = sorted(
        (key, entry.value) for key, entry in latest.items() if entry.live and not drop(key)
    )
    if not write or (not dropped and not leftovers):
        return Rewrite(dropped=len(dropped), kept=len(kept), removed_files=len(leftovers))
    database = fresh_database(kept, _numbered(directory) + 1, next_sequence)
    for name, data in (
        (database.log_name, database.log),
        (database.manifest_name, database.manifest),
    ):
        temporary = directory / f"{name}{TEMPORARY_SUFFIX}"
        _write_synced(temporary, data)
        os.replace(temporary, directory / name)
    current = directory / f"CURRENT{TEMPORARY_SUFFIX}"
    _write_synced(current, database.current)
    _sync_directory(directory)
    os.replace(current, directory / "CURRENT")  # the commit point
    _sync_directory(directory)
    removed = _obsolete(directory, {database.log_name, database.manifest_name})
    for path in removed:
        path.unlink(missing_ok=True)
    _sync_directory(directory)
    return Rewrite(dropped=len(dropped), kept=len(kept), removed_files=len(removed))
