"""Walk every file of a profile and look for secret values, as a visitor with a hex viewer would.

Each value is searched in UTF-8 (Latin-1 alike for ASCII) and UTF-16-LE, in the raw bytes and,
for LevelDB tables, in their blocks decompressed (Snappy is no protection against reading).
"""

from __future__ import annotations

import contextlib
import os
from pathlib import Path

from agent.probe.leveldb import Table
from agent.probe.leveldb_format import FormatError


def encodings(value: str) -> list[bytes]:
    """Given a text, return the byte forms a browser may store it in."""
    forms = {value.encode("utf-8"), value.encode("utf-16-le")}
    with contextlib.suppress(UnicodeEncodeError):
        forms.add(value.encode("latin-1"))
    return sorted(forms)


def _table_text(path: Path, data: bytes) -> bytes:
    """Return a table's decompressed blocks (empty if it is no table)."""
    try:
        table = Table(data, path.name, verify=False)
        return b"".join(key + value for key, value in table.raw_blocks())
    except (FormatError, IndexError, ValueError):
        return b""


def find_values(root: Path, values: dict[str, str]) -> list[str]:
    """Given a directory and {label: secret text}, return "label in path" for every file that
    holds one of the values in readable form."""
    found: list[str] = []
    for directory, _dirs, files in os.walk(root):
        for name in files:
            path = Path(directory, name)
            if path.is_symlink() or not path.is_file():
                continue
            data = path.read_bytes()
            if path.suffix in (".ldb", ".sst"):
                data += _table_text(path, data)
            for label, value in values.items():
                if any(form in data for form in encodings(value)):
                    found.append(f"{label} in {path.relative_to(root)}")
    return found
