"""The live files of a LevelDB directory: ``CURRENT`` names a MANIFEST, whose version edits
(db/version_edit.cc) list the live tables and the oldest live log. Read-only.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from agent.probe.leveldb import TABLE_SUFFIXES, read_log
from agent.probe.leveldb_format import (
    TAG_COMPACT_POINTER,
    TAG_COMPARATOR,
    TAG_DELETED_FILE,
    TAG_LAST_SEQUENCE,
    TAG_LOG_NUMBER,
    TAG_NEW_FILE,
    TAG_NEXT_FILE,
    TAG_PREV_LOG_NUMBER,
    FormatError,
    read_slice,
    read_varint,
)


@dataclass
class Version:
    """What a MANIFEST says: the comparator, the live tables and logs, the counters."""

    comparator: bytes | None = None
    log_number: int = 0
    prev_log_number: int = 0
    next_file: int = 0
    last_sequence: int = 0
    tables: dict[int, int] = field(default_factory=dict)  # file number -> level


def _apply_edit(version: Version, edit: bytes) -> None:
    position = 0
    while position < len(edit):
        tag, position = read_varint(edit, position)
        if tag == TAG_COMPARATOR:
            version.comparator, position = read_slice(edit, position)
        elif tag in (TAG_LOG_NUMBER, TAG_PREV_LOG_NUMBER, TAG_NEXT_FILE, TAG_LAST_SEQUENCE):
            number, position = read_varint(edit, position)
            name = {
                TAG_LOG_NUMBER: "log_number",
                TAG_PREV_LOG_NUMBER: "prev_log_number",
                TAG_NEXT_FILE: "next_file",
                TAG_LAST_SEQUENCE: "last_sequence",
            }[tag]
            setattr(version, name, number)
        elif tag == TAG_COMPACT_POINTER:
            _level, position = read_varint(edit, position)
            _key, position = read_slice(edit, position)
        elif tag == TAG_DELETED_FILE:
            _level, position = read_varint(edit, position)
            number, position = read_varint(edit, position)
            version.tables.pop(number, None)
        elif tag == TAG_NEW_FILE:
            level, position = read_varint(edit, position)
            number, position = read_varint(edit, position)
            _size, position = read_varint(edit, position)
            _smallest, position = read_slice(edit, position)
            _largest, position = read_slice(edit, position)
            version.tables[number] = level
        else:
            raise FormatError(f"unknown version edit tag {tag}")


def current_manifest(directory: Path) -> Path:
    """Given a LevelDB directory, return the MANIFEST its CURRENT names. Raise FormatError if
    CURRENT does not name one."""
    name = (directory / "CURRENT").read_bytes().decode("ascii", "replace")
    if not name.endswith("\n") or not name.startswith("MANIFEST-") or "/" in name:
        raise FormatError(f"CURRENT in {directory} does not name a MANIFEST: {name[:40]!r}")
    return directory / name[:-1]


def read_version(directory: Path) -> Version:
    """Given a LevelDB directory, return the version its live MANIFEST describes.

    Raise FormatError if the MANIFEST has a skipped (corrupt) record or an unknown tag, OSError
    if a file cannot be read.
    """
    reading = read_log(current_manifest(directory).read_bytes())
    if reading.skipped:
        raise FormatError(f"MANIFEST in {directory} has {reading.skipped} unreadable bytes")
    version = Version()
    for edit in reading.payloads:
        _apply_edit(version, edit)
    return version


def file_number(path: Path) -> int | None:
    """Given a file of a LevelDB directory, return its number if it is a log or a table."""
    if path.suffix not in (".log", *TABLE_SUFFIXES) or not path.stem.isdigit():
        return None
    return int(path.stem)


def live_files(directory: Path, version: Version) -> list[Path]:
    """Given a LevelDB directory and its version, return the live tables and logs, oldest
    first. Raise FormatError if a table the version lists is missing."""
    found: dict[int, Path] = {}
    for path in directory.iterdir():
        number = file_number(path)
        if number is not None:
            found[number] = path
    live: list[Path] = []
    for number in sorted(version.tables):
        table = found.get(number)
        if table is None or table.suffix not in TABLE_SUFFIXES:
            raise FormatError(f"table {number} of {directory} is missing")
        live.append(table)
    for number, path in sorted(found.items()):
        is_log = path.suffix == ".log"
        if is_log and (number >= version.log_number or number == version.prev_log_number):
            live.append(path)
    return live
