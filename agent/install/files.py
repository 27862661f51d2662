"""The files install writes: each planned against what is on disk, written atomically."""

from __future__ import annotations

import os
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from agent.install.runner import InstallError

State = Literal["new", "changed", "unchanged"]
_ROOT_HINT = " (--system needs root or an administrator)"


@dataclass(frozen=True)
class PlannedFile:
    """One file the service needs: where, what, and how it compared with the disk when planned."""

    path: Path
    content: bytes
    what: str
    state: State
    mode: int = 0o644  # 0o640 for the guarded mode's secrets (root:kioskguard)


def planned_file(path: Path, content: bytes, what: str, mode: int = 0o644) -> PlannedFile:
    """Given a file's path, wanted content and mode, return it planned against what is on disk.

    Raise InstallError if the file exists but cannot be read.
    """
    try:
        current = path.read_bytes()
    except (FileNotFoundError, NotADirectoryError):
        return PlannedFile(path, content, what, "new", mode)
    except OSError as exc:
        raise InstallError(f"cannot read {path}: {exc.strerror}{_ROOT_HINT}") from exc
    return PlannedFile(path, content, what, "unchanged" if current == content else "changed", mode)


def write_file(planned: PlannedFile) -> None:
    """Write one planned file atomically (with its mode, 0644 unless planned otherwise),
    creating its directory.

    Raise InstallError if it cannot be written (for example --system without root).
    """
    try:
        planned.path.parent.mkdir(parents=True, exist_ok=True)
        handle, temporary = tempfile.mkstemp(dir=planned.path.parent, prefix=".kioskguard-")
    except OSError as exc:
        raise InstallError(f"cannot write {planned.path}: {exc.strerror}{_ROOT_HINT}") from exc
    try:
        with os.fdopen(handle, "wb") as stream:
            stream.write(planned.content)
        os.chmod(temporary, planned.mode)
        os.replace(temporary, planned.path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def remove_file(path: Path) -> None:
    """Remove one installed file. Raise InstallError if it cannot be removed."""
    try:
        path.unlink()
    except OSError as exc:
        raise InstallError(f"cannot remove {path}: {exc.strerror}{_ROOT_HINT}") from exc
