"""What LevelDB's reader and writer share: block sizes, record types, varints, masked CRC32C.

LevelDB's log format (db/log_format.h): 32 KiB blocks of records, each with a 7-byte header
(masked CRC32C of type + payload, payload length, type); a payload larger than what is left of a
block is cut into FIRST, MIDDLE... and LAST fragments. The same framing carries write batches in
``NNNNNN.log`` and version edits in ``MANIFEST-NNNNNN``.
"""

from __future__ import annotations

import google_crc32c

BLOCK_SIZE = 32768
HEADER_SIZE = 7
FULL, FIRST, MIDDLE, LAST = 1, 2, 3, 4  # record types (0 marks zero-filled space)
TYPE_DELETION, TYPE_VALUE = 0, 1
TABLE_MAGIC = 0xDB4775248B80FB57
FOOTER_SIZE = 48
NO_COMPRESSION, SNAPPY_COMPRESSION = 0, 1
BYTEWISE_COMPARATOR = b"leveldb.BytewiseComparator"
# VersionEdit tags (db/version_edit.cc)
TAG_COMPARATOR, TAG_LOG_NUMBER, TAG_NEXT_FILE, TAG_LAST_SEQUENCE = 1, 2, 3, 4
TAG_COMPACT_POINTER, TAG_DELETED_FILE, TAG_NEW_FILE, TAG_PREV_LOG_NUMBER = 5, 6, 7, 9

_MASK_DELTA = 0xA282EAD8
_POLYNOMIAL = 0x82F63B78  # Castagnoli, reflected


class FormatError(ValueError):
    """Bytes that are not what LevelDB writes (a bad CRC, a cut varint, an unknown tag)."""


def _crc_table() -> tuple[int, ...]:
    table = []
    for byte in range(256):
        crc = byte
        for _ in range(8):
            crc = (crc >> 1) ^ _POLYNOMIAL if crc & 1 else crc >> 1
        table.append(crc)
    return tuple(table)


_TABLE = _crc_table()
_FAST = google_crc32c.implementation == "c"


def crc32c(data: bytes, crc: int = 0) -> int:
    """Given bytes (and a running CRC), return their CRC32C (google-crc32c's C code when it
    is built for this machine, else a table in Python: about 0.4 s per MB)."""
    if _FAST:
        return int(google_crc32c.extend(crc, data))
    crc ^= 0xFFFFFFFF
    table = _TABLE
    for byte in data:
        crc = table[(crc ^ byte) & 0xFF] ^ (crc >> 8)
    return crc ^ 0xFFFFFFFF


def mask(crc: int) -> int:
    """Given a CRC, return it masked as LevelDB stores it (crc32c.h Mask)."""
    return (((crc >> 15) | (crc << 17)) + _MASK_DELTA) & 0xFFFFFFFF


def read_varint(data: bytes, offset: int) -> tuple[int, int]:
    """Given bytes and an offset, return (value, next offset) of the varint there.

    Raise FormatError if it is cut off or longer than 64 bits.
    """
    value = shift = 0
    while offset < len(data) and shift <= 63:
        byte = data[offset]
        offset += 1
        value |= (byte & 0x7F) << shift
        if not byte & 0x80:
            return value, offset
        shift += 7
    raise FormatError("cut or overlong varint")


def read_slice(data: bytes, offset: int) -> tuple[bytes, int]:
    """Given bytes and an offset, return (slice, next offset) of a length-prefixed slice."""
    length, offset = read_varint(data, offset)
    end = offset + length
    if end > len(data):
        raise FormatError("slice runs past the end")
    return data[offset:end], end


def varint(value: int) -> bytes:
    """Given a non-negative integer, return its varint encoding."""
    out = bytearray()
    while value >= 0x80:
        out.append((value & 0x7F) | 0x80)
        value >>= 7
    out.append(value)
    return bytes(out)


def length_prefixed(data: bytes) -> bytes:
    """Given bytes, return them prefixed with their varint length."""
    return varint(len(data)) + data
