"""The daemon's small state file: which logouts were in progress, to finish them after a crash.

JSON in STATE_DIR/state.json, always written whole to a temporary file and renamed over the old
one (os.replace), so a crash leaves either the old or the new file, never half of one.
A state file that cannot be written (a directory in its place, a read-only disk) is a
StateFileError naming the path: the daemon reports it and its logouts still run.
"""

from __future__ import annotations

import json
import os
import tempfile
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from agent.errors import KioskguardError
from agent.outcome import Trigger


class StateFileError(KioskguardError):
    default_message = "the state file cannot be read"


@dataclass(frozen=True)
class LogoutInProgress:
    """A logout that started and has not finished."""

    profile: str
    trigger: Trigger
    started_at: datetime

    def to_dict(self) -> dict[str, str]:
        return {"trigger": self.trigger.value, "started_at": self.started_at.isoformat()}


class StateFile:
    """Records logouts in progress, one entry per profile."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def in_progress(self) -> list[LogoutInProgress]:
        """Return the recorded logouts in progress. Raise StateFileError if the file is bad."""
        try:
            data: Any = json.loads(self.path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return []
        except (OSError, ValueError) as exc:
            raise StateFileError(f"{self.path}: cannot be read: {exc}") from exc
        try:
            return [
                LogoutInProgress(
                    profile=name,
                    trigger=Trigger(entry["trigger"]),
                    started_at=datetime.fromisoformat(entry["started_at"]),
                )
                for name, entry in data["in_progress"].items()
            ]
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            raise StateFileError(f"{self.path}: unexpected content: {exc!r}") from exc

    def begin(self, record: LogoutInProgress) -> None:
        """Record that a logout started."""
        entries = {entry.profile: entry for entry in self._readable_entries()}
        entries[record.profile] = record
        self._write(entries)

    def finish(self, profile: str) -> None:
        """Record that the profile's logout ended."""
        entries = {entry.profile: entry for entry in self._readable_entries()}
        if entries.pop(profile, None) is not None:
            self._write(entries)

    def clear(self) -> None:
        """Forget every record (after a recovery handled a bad file)."""
        self._write({})

    def _readable_entries(self) -> list[LogoutInProgress]:
        try:
            return self.in_progress()
        except StateFileError:
            return []

    def check(self) -> None:
        """Raise StateFileError if the state file could not be written (checked at start)."""
        if self.path.is_dir():
            raise StateFileError(f"{self.path}: is a directory, not the state file; remove it")
        if self.path.exists() and not os.access(self.path.parent, os.W_OK):
            raise StateFileError(f"{self.path.parent}: not writable by this user")

    def _write(self, entries: dict[str, LogoutInProgress]) -> None:
        """Write the entries whole. Raise StateFileError naming the path if that fails."""
        payload = {"in_progress": {name: entry.to_dict() for name, entry in entries.items()}}
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            descriptor, temporary = tempfile.mkstemp(
                prefix=".state-", suffix=".tmp", dir=self.path.parent
            )
        except OSError as exc:
            raise StateFileError(f"{self.path}: cannot be written: {exc}") from exc
        try:
            with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
                json.dump(payload, handle, indent=2, sort_keys=True)
                handle.flush()
                os.fsync(handle.fileno())
            os.replace(temporary, self.path)
        except OSError as exc:
            Path(temporary).unlink(missing_ok=True)
            raise StateFileError(f"{self.path}: cannot be written: {exc}") from exc
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise
