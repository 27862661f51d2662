"""Decompress Snappy blocks (the raw format LevelDB tables use), standard library only.

Format: a varint uncompressed length, then elements whose tag's low two bits say literal (0),
copy with a 1-, 2- or 4-byte offset (1, 2, 3).
"""

from __future__ import annotations

from agent.probe.leveldb_format import FormatError, read_varint


def _copy(out: bytearray, offset: int, length: int) -> None:
    if offset <= 0 or offset > len(out):
        raise FormatError(f"snappy copy offset {offset} outside {len(out)} bytes")
    start = len(out) - offset
    if length <= offset:
        out += out[start : start + length]
        return
    for index in range(length):  # an overlapping copy repeats the last offset bytes
        out.append(out[start + index])


def decompress(data: bytes) -> bytes:
    """Given a raw Snappy block, return the bytes it holds. Raise FormatError if it is bad."""
    expected, position = read_varint(data, 0)
    out = bytearray()
    end = len(data)
    while position < end:
        tag = data[position]
        position += 1
        kind = tag & 3
        if kind == 0:
            length = tag >> 2
            if length >= 60:
                width = length - 59
                length = int.from_bytes(data[position : position + width], "little")
                position += width
            length += 1
            if position + length > end:
                raise FormatError("snappy literal runs past the end")
            out += data[position : position + length]
            position += length
        elif kind == 1:
            if position >= end:
                raise FormatError("snappy copy cut off")
            length = 4 + ((tag >> 2) & 7)
            _copy(out, ((tag >> 5) << 8) | data[position], length)
            position += 1
        else:
            width = 2 if kind == 2 else 4
            if position + width > end:
                raise FormatError("snappy copy cut off")
            offset = int.from_bytes(data[position : position + width], "little")
            _copy(out, offset, (tag >> 2) + 1)
            position += width
    if len(out) != expected:
        raise FormatError(f"snappy block holds {len(out)} bytes, header says {expected}")
    return bytes(out)
