"""The project's own LevelDB reader and writer (agent.probe.leveldb*, agent.probe.snappy)."""

from __future__ import annotations

from pathlib import Path

import pytest

from agent.probe import leveldb_format, snappy
from agent.probe.leveldb import (
    Table,
    batch_entries,
    block_entries,
    file_entries,
    newest,
    read_log,
)
from agent.probe.leveldb_format import (
    BLOCK_SIZE,
    FIRST,
    FULL,
    LAST,
    MIDDLE,
    FormatError,
    crc32c,
    mask,
    read_varint,
    varint,
)
from agent.probe.leveldb_manifest import live_files, read_version
from agent.probe.leveldb_write import fresh_database, log_file, write_batch


def write_fresh(directory: Path, records: list[tuple[bytes, bytes]], first_sequence: int) -> None:
    database = fresh_database(records, first_number=5, first_sequence=first_sequence)
    directory.mkdir(parents=True, exist_ok=True)
    (directory / database.log_name).write_bytes(database.log)
    (directory / database.manifest_name).write_bytes(database.manifest)
    (directory / "CURRENT").write_bytes(database.current)


def test_crc32c_matches_the_published_check_value_and_masks_like_leveldb() -> None:
    assert crc32c(b"123456789") == 0xE3069283  # the CRC-32C check value (RFC 3720)
    assert crc32c(b"") == 0
    assert crc32c(b"6789", crc32c(b"12345")) == crc32c(b"123456789")
    assert mask(0) == 0xA282EAD8


def test_varints_round_trip_and_a_cut_varint_is_an_error() -> None:
    for value in (0, 1, 127, 128, 300, 2**32 - 1, 2**63):
        assert read_varint(varint(value) + b"x", 0) == (value, len(varint(value)))
    with pytest.raises(FormatError):
        read_varint(b"\x80\x80", 0)


def test_fresh_database_round_trips_through_the_reader(tmp_path: Path) -> None:
    records = [(b"VERSION", b"1"), (b"_http://a\x00\x01k", b"\x01value")]
    write_fresh(tmp_path, records, first_sequence=42)
    version = read_version(tmp_path)
    assert version.comparator == b"leveldb.BytewiseComparator"
    assert (version.log_number, version.next_file, version.last_sequence) == (5, 7, 43)
    files = live_files(tmp_path, version)
    assert [path.name for path in files] == ["000005.log"]
    entries = [entry for path in files for entry in file_entries(path)]
    assert [(e.key, e.value, e.sequence, e.live) for e in entries] == [
        (b"VERSION", b"1", 42, True),
        (b"_http://a\x00\x01k", b"\x01value", 43, True),
    ]


def test_records_spanning_blocks_are_fragmented_and_joined() -> None:
    big = bytes(range(256)) * 600  # 150 KiB: FIRST, MIDDLE..., LAST
    small = b"s" * (BLOCK_SIZE - 7 - 3)  # leaves 3 bytes in the block: zero-filled
    data = log_file([small, big, b"after"])
    kinds = []
    position = 0
    while position + 7 <= len(data):
        if BLOCK_SIZE - position % BLOCK_SIZE < 7:  # a block's zero-filled tail
            position += BLOCK_SIZE - position % BLOCK_SIZE
            continue
        length = int.from_bytes(data[position + 4 : position + 6], "little")
        kinds.append(data[position + 6])
        position += 7 + length
    assert kinds[0] == FULL and kinds[1] == FIRST and MIDDLE in kinds and kinds[-2] == LAST
    assert data[BLOCK_SIZE - 3 : BLOCK_SIZE] == bytes(3)
    assert read_log(data).payloads == [small, big, b"after"]


def test_a_bad_checksum_drops_that_block_only_and_is_counted() -> None:
    data = bytearray(log_file([b"a" * 100, b"b" * (BLOCK_SIZE + 10), b"tail"]))
    data[7] ^= 0xFF  # the first record's payload
    reading = read_log(bytes(data))
    assert reading.skipped > 0
    assert reading.payloads == [b"tail"]  # the second record began in the damaged block


def test_a_torn_tail_is_skipped() -> None:
    data = log_file([b"complete", b"x" * 500])
    reading = read_log(data[:-100])
    assert reading.payloads == [b"complete"] and reading.skipped > 0


def test_write_batch_round_trip_and_newest_record_wins() -> None:
    batch = write_batch(10, [(b"k", b"old"), (b"k", b"new"), (b"j", b"")])
    entries = list(batch_entries(batch))
    assert [(e.key, e.sequence) for e in entries] == [(b"k", 10), (b"k", 11), (b"j", 12)]
    assert newest(iter(entries))[b"k"].value == b"new"
    with pytest.raises(FormatError):
        list(batch_entries(batch[:-3] + (99).to_bytes(1, "little")))


def test_snappy_literal_and_overlapping_copies() -> None:
    # "abcd" then a 1-byte-offset copy of 8 bytes at offset 4 (overlapping) and a 2-byte copy
    compressed = varint(16) + bytes([3 << 2]) + b"abcd" + bytes([1 | (4 << 2), 4])
    compressed += bytes([2 | (3 << 2)]) + (12).to_bytes(2, "little")
    assert snappy.decompress(compressed) == b"abcdabcdabcdabcd"
    with pytest.raises(FormatError):
        snappy.decompress(varint(5) + bytes([1 | (4 << 2), 9]))


def test_garbage_is_no_table() -> None:
    with pytest.raises(FormatError):
        Table(bytes(range(256)) * 4, "000099.ldb")


def test_block_entries_share_key_prefixes() -> None:
    block = varint(0) + varint(3) + varint(1) + b"abc" + b"1"
    block += varint(2) + varint(1) + varint(1) + b"x" + b"2"
    block += (0).to_bytes(4, "little") + (1).to_bytes(4, "little")
    assert list(block_entries(block)) == [(b"abc", b"1"), (b"abx", b"2")]


def test_a_table_block_checksum_is_checked_on_request() -> None:
    contents = (
        varint(0) + varint(1) + varint(1) + b"k" + b"v" + bytes(4) + (1).to_bytes(4, "little")
    )
    trailer = bytes([0]) + mask(crc32c(bytes([0]), crc32c(contents))).to_bytes(4, "little")
    table = Table(
        contents + trailer + bytes(48 - 8) + (0xDB4775248B80FB57).to_bytes(8, "little"), "t"
    )
    assert table.block(0, len(contents)) == contents
    damaged = bytearray(table.data)
    damaged[3] ^= 1
    assert Table(bytes(damaged), "t").block(0, len(contents))  # unchecked, like LevelDB's reads
    with pytest.raises(FormatError, match="bad checksum"):
        Table(bytes(damaged), "t", verify=True).block(0, len(contents))


def test_the_python_fallback_matches_the_c_code(monkeypatch: pytest.MonkeyPatch) -> None:
    data = bytes(range(256)) * 40 + b"tail"
    fast = crc32c(data, crc32c(b"seed"))
    monkeypatch.setattr(leveldb_format, "_FAST", False)
    assert crc32c(b"123456789") == 0xE3069283
    assert crc32c(data, crc32c(b"seed")) == fast
