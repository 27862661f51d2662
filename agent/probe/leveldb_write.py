"""Write a fresh LevelDB database (one log of write batches, one MANIFEST) for Chromium to open.

A database LevelDB opens needs only ``CURRENT`` -> ``MANIFEST-M`` (one version edit: bytewise
comparator, log number L, next file number, last sequence) and ``L.log`` (write batches): on open
LevelDB replays the log into its memtable and writes its own tables. Nothing of the database it
replaces is copied: only the records handed in.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from agent.probe.leveldb_format import (
    BLOCK_SIZE,
    BYTEWISE_COMPARATOR,
    FIRST,
    FULL,
    HEADER_SIZE,
    LAST,
    MIDDLE,
    TAG_COMPARATOR,
    TAG_LAST_SEQUENCE,
    TAG_LOG_NUMBER,
    TAG_NEXT_FILE,
    TAG_PREV_LOG_NUMBER,
    TYPE_VALUE,
    crc32c,
    length_prefixed,
    mask,
    varint,
)

BATCH_BYTES = 1 << 20  # records per write batch, up to about this many bytes


def log_file(payloads: Iterable[bytes]) -> bytes:
    """Given record payloads, return a log file holding them (fragmented across blocks)."""
    out = bytearray()
    for payload in payloads:
        remaining = memoryview(payload)
        first = True
        while True:
            left = BLOCK_SIZE - len(out) % BLOCK_SIZE
            if left < HEADER_SIZE:
                out += bytes(left)  # a block's tail too short for a header is zero-filled
                left = BLOCK_SIZE
            room = left - HEADER_SIZE
            fragment, remaining = remaining[:room], remaining[room:]
            last = len(remaining) == 0
            kind = (FULL if last else FIRST) if first else (LAST if last else MIDDLE)
            data = bytes(fragment)
            checksum = mask(crc32c(data, crc32c(bytes([kind]))))
            out += checksum.to_bytes(4, "little") + len(data).to_bytes(2, "little")
            out.append(kind)
            out += data
            first = False
            if last:
                break
    return bytes(out)


def write_batch(sequence: int, records: list[tuple[bytes, bytes]]) -> bytes:
    """Given a first sequence number and (key, value) pairs, return one write batch."""
    body = bytearray(sequence.to_bytes(8, "little") + len(records).to_bytes(4, "little"))
    for key, value in records:
        body.append(TYPE_VALUE)
        body += length_prefixed(key) + length_prefixed(value)
    return bytes(body)


def batches(first_sequence: int, records: Iterable[tuple[bytes, bytes]]) -> list[bytes]:
    """Given the first sequence number and (key, value) pairs, return write batches of about
    BATCH_BYTES each, numbered on from first_sequence."""
    result: list[bytes] = []
    pending: list[tuple[bytes, bytes]] = []
    size = 0
    sequence = first_sequence
    for key, value in records:
        pending.append((key, value))
        size += len(key) + len(value)
        if size >= BATCH_BYTES:
            result.append(write_batch(sequence, pending))
            sequence += len(pending)
            pending, size = [], 0
    if pending:
        result.append(write_batch(sequence, pending))
    return result


def version_edit(log_number: int, next_file: int, last_sequence: int) -> bytes:
    """Return the version edit of a database with no tables whose live log is log_number."""
    return b"".join(
        (
            varint(TAG_COMPARATOR) + length_prefixed(BYTEWISE_COMPARATOR),
            varint(TAG_LOG_NUMBER) + varint(log_number),
            varint(TAG_PREV_LOG_NUMBER) + varint(0),
            varint(TAG_NEXT_FILE) + varint(next_file),
            varint(TAG_LAST_SEQUENCE) + varint(last_sequence),
        )
    )


@dataclass(frozen=True)
class FreshDatabase:
    """The files of a fresh database: names and contents, CURRENT's content apart."""

    log_name: str
    log: bytes
    manifest_name: str
    manifest: bytes
    current: bytes


def fresh_database(
    records: list[tuple[bytes, bytes]], first_number: int, first_sequence: int
) -> FreshDatabase:
    """Given (key, value) pairs, the lowest file number to use and the first sequence number,
    return a database holding exactly those records (log first_number, MANIFEST the next)."""
    log_number, manifest_number = first_number, first_number + 1
    log = log_file(batches(first_sequence, records))
    last_sequence = first_sequence + len(records) - 1 if records else first_sequence - 1
    edit = version_edit(log_number, manifest_number + 1, max(last_sequence, 0))
    manifest_name = f"MANIFEST-{manifest_number:06d}"
    return FreshDatabase(
        log_name=f"{log_number:06d}.log",
        log=log,
        manifest_name=manifest_name,
        manifest=log_file([edit]),
        current=f"{manifest_name}\n".encode("ascii"),
    )
