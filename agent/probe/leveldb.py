"""Read a LevelDB database as Chromium writes it (log files, tables), read-only.

The project's own reader of the format, used by the offline probe and by the profile scrub
(agent.browser.scrub); which files are live is agent.probe.leveldb_manifest's. Records in logs
(``N.log``) are write batches; records in tables (``N.ldb``, older ``N.sst``) are sorted internal
keys (user key + 8 bytes: sequence << 8 | type) in blocks that Chromium compresses with Snappy.

Every record carries a sequence number: the newest record of a key wins and a deletion tombstone
hides the key. Reading takes no lock and writes nothing.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from agent.probe import snappy
from agent.probe.leveldb_format import (
    BLOCK_SIZE,
    FIRST,
    FOOTER_SIZE,
    FULL,
    HEADER_SIZE,
    LAST,
    MIDDLE,
    NO_COMPRESSION,
    SNAPPY_COMPRESSION,
    TABLE_MAGIC,
    TYPE_DELETION,
    TYPE_VALUE,
    FormatError,
    crc32c,
    mask,
    read_slice,
    read_varint,
)

TABLE_SUFFIXES = (".ldb", ".sst")
BlockFilter = Callable[[bytes, bytes], bool]  # (lowest, highest user key of a block) -> read it?


@dataclass(frozen=True)
class Entry:
    """One record: a key's value (live) or its deletion tombstone (not live), and its sequence."""

    key: bytes
    sequence: int
    live: bool
    value: bytes = b""


@dataclass
class LogReading:
    """The payloads of one log file, and how many bytes were skipped as unreadable."""

    payloads: list[bytes] = field(default_factory=list)
    skipped: int = 0


def read_log(data: bytes, verify: bool = True) -> LogReading:
    """Given a log file's bytes, return its payloads (fragments joined).

    A record with a bad checksum or length, and a payload left incomplete, are skipped as
    LevelDB's own reader does (the rest of that block is dropped); a torn tail ends the file.
    """
    reading = LogReading()
    pending: bytearray | None = None
    block_start = 0
    while block_start < len(data):
        block = data[block_start : block_start + BLOCK_SIZE]
        position = 0
        while position + HEADER_SIZE <= len(block):
            checksum = int.from_bytes(block[position : position + 4], "little")
            length = int.from_bytes(block[position + 4 : position + 6], "little")
            kind = block[position + 6]
            start, end = position + HEADER_SIZE, position + HEADER_SIZE + length
            if kind == 0 and length == 0:  # preallocated zeros: nothing more in this block
                break
            payload = block[start:end]
            bad = end > len(block) or kind not in (FULL, FIRST, MIDDLE, LAST)
            if not bad and verify:
                bad = mask(crc32c(payload, crc32c(bytes([kind])))) != checksum
            if bad:
                reading.skipped += len(block) - position
                pending = None
                break
            position = end
            if kind == FULL:
                reading.payloads.append(payload)
                pending = None
            elif kind == FIRST:
                pending = bytearray(payload)
            elif pending is None:
                reading.skipped += len(payload)
            elif kind == MIDDLE:
                pending += payload
            else:
                reading.payloads.append(bytes(pending + payload))
                pending = None
        block_start += BLOCK_SIZE
    if pending is not None:
        reading.skipped += len(pending)
    return reading


def batch_entries(batch: bytes) -> Iterator[Entry]:
    """Given one write batch (a log payload), yield its records. Raise FormatError if bad."""
    if len(batch) < 12:
        raise FormatError("write batch shorter than its header")
    sequence = int.from_bytes(batch[:8], "little")
    count = int.from_bytes(batch[8:12], "little")
    position = 12
    for index in range(count):
        if position >= len(batch):
            raise FormatError(f"write batch holds fewer than its {count} records")
        kind = batch[position]
        key, position = read_slice(batch, position + 1)
        if kind == TYPE_VALUE:
            value, position = read_slice(batch, position)
            yield Entry(key, sequence + index, True, value)
        elif kind == TYPE_DELETION:
            yield Entry(key, sequence + index, False)
        else:
            raise FormatError(f"unknown record type {kind} in a write batch")


def internal_entry(internal_key: bytes, value: bytes) -> Entry:
    """Given a table's internal key and value, return the record. Raise FormatError if bad."""
    if len(internal_key) < 8:
        raise FormatError("internal key shorter than 8 bytes")
    tag = int.from_bytes(internal_key[-8:], "little")
    kind = tag & 0xFF
    if kind not in (TYPE_VALUE, TYPE_DELETION):
        raise FormatError(f"unknown record type {kind} in a table")
    return Entry(internal_key[:-8], tag >> 8, kind == TYPE_VALUE, value)


def _block_handle(data: bytes, offset: int = 0) -> tuple[int, int, int]:
    block_offset, offset = read_varint(data, offset)
    size, offset = read_varint(data, offset)
    return block_offset, size, offset


def block_entries(contents: bytes) -> Iterator[tuple[bytes, bytes]]:
    """Given a table block's contents, yield its (key, value) pairs (keys prefix-compressed)."""
    if len(contents) < 4:
        raise FormatError("block shorter than its restart count")
    restarts = int.from_bytes(contents[-4:], "little")
    limit = len(contents) - 4 - 4 * restarts
    if limit < 0:
        raise FormatError("block restart array larger than the block")
    key = b""
    position = 0
    while position < limit:
        shared, position = read_varint(contents, position)
        unshared, position = read_varint(contents, position)
        value_length, position = read_varint(contents, position)
        if shared > len(key) or position + unshared + value_length > limit:
            raise FormatError("block entry runs past the block")
        key = key[:shared] + contents[position : position + unshared]
        position += unshared
        yield key, contents[position : position + value_length]
        position += value_length


class Table:
    """One table file (``N.ldb``) read whole into memory.

    Block checksums are checked only with verify=True: LevelDB's own reads skip them by default
    (ReadOptions.verify_checksums), and CRC32C in pure Python costs about 0.4 s per MB.
    """

    def __init__(self, data: bytes, name: str, verify: bool = False) -> None:
        self.data, self.name, self.verify = data, name, verify
        if len(data) < FOOTER_SIZE:
            raise FormatError(f"table {name} shorter than its footer")
        footer = data[-FOOTER_SIZE:]
        if int.from_bytes(footer[-8:], "little") != TABLE_MAGIC:
            raise FormatError(f"table {name} has no LevelDB magic number")
        _meta_offset, _meta_size, offset = _block_handle(footer)
        self._index = _block_handle(footer, offset)[:2]

    def block(self, offset: int, size: int) -> bytes:
        """Given a block handle, return the block's contents, decompressed and checked."""
        end = offset + size
        if end + 5 > len(self.data):
            raise FormatError(f"table {self.name}: block at {offset} runs past the end")
        contents = self.data[offset:end]
        kind = self.data[end]
        if self.verify:
            stored = int.from_bytes(self.data[end + 1 : end + 5], "little")
            if mask(crc32c(bytes([kind]), crc32c(contents))) != stored:
                raise FormatError(f"table {self.name}: bad checksum in the block at {offset}")
        if kind == NO_COMPRESSION:
            return contents
        if kind == SNAPPY_COMPRESSION:
            return snappy.decompress(contents)
        raise FormatError(f"table {self.name}: unknown compression {kind}")

    def handles(self) -> Iterator[tuple[int, int]]:
        """Yield the (offset, size) of every data block, in key order."""
        for _separator, handle in block_entries(self.block(*self._index)):
            yield _block_handle(handle)[:2]

    def raw_blocks(self) -> Iterator[tuple[bytes, bytes]]:
        """Yield every (internal key, value) pair of the table's data blocks."""
        for offset, size in self.handles():
            yield from block_entries(self.block(offset, size))

    def entries(self, wanted: BlockFilter | None = None) -> Iterator[Entry]:
        """Yield the table's records, only from blocks wanted(low, high) accepts when given.

        An index entry's key is an internal key >= every key of its block, so a block's user
        keys lie between the previous separator's user key and its own.
        """
        low = b""
        for separator, handle in block_entries(self.block(*self._index)):
            high = separator[:-8]
            if wanted is None or wanted(low, high):
                offset, size, _ = _block_handle(handle)
                for key, value in block_entries(self.block(offset, size)):
                    yield internal_entry(key, value)
            low = high


def file_entries(
    path: Path, verify: bool = False, wanted: BlockFilter | None = None
) -> Iterator[Entry]:
    """Given a log or table file, yield its records (tables: only wanted blocks, if given).

    Log records are always checked (as LevelDB's log reader does) and unreadable ones skipped;
    table blocks only with verify. Raise FormatError if a table or a batch is malformed.
    """
    data = path.read_bytes()
    if path.suffix == ".log":
        for payload in read_log(data).payloads:
            yield from batch_entries(payload)
    else:
        yield from Table(data, path.name, verify).entries(wanted)


def newest(entries: Iterator[Entry]) -> dict[bytes, Entry]:
    """Given records in any order, return the newest (highest sequence) record of each key."""
    result: dict[bytes, Entry] = {}
    for entry in entries:
        known = result.get(entry.key)
        if known is None or entry.sequence > known.sequence:
            result[entry.key] = entry
    return result
