"""The daemon's small state file: which logouts were in progress, to finish them after a crash.

JSON in STATE_DIR/state.json, always written whole to a temporary file and renamed over the old
one (os.replace), so a crash leaves either the old or the new file, never half of one.
A state file that cannot be written (a directory in its place, a read-only or full disk) is a
StateFileError naming the path, raised by the first change that fails: the daemon logs it once
and its logouts still run. Until a write succeeds again the records live in memory (later
changes apply there, each counted by ``on_write_error``, quietly), and ``retry()`` (the daemon calls
it every few seconds) writes them once the disk takes them. If the daemon dies meanwhile, the
file on disk is the last one written: the next start's check of every profile (a stored session
with no browser running is logged out) covers what it misses.
"""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from loguru import logger

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

    def __init__(self, path: Path, on_write_error: Callable[[], None] | None = None) -> None:
        self.path = path
        self.on_write_error = on_write_error  # counts each change the disk did not take
        self._unwritten: dict[str, LogoutInProgress] | None = None  # what the disk lacks

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
        """Record that a logout started. Raise StateFileError if the disk did not take it and
        had taken the previous change (see the module's docstring)."""
        entries = self._current()
        entries[record.profile] = record
        self._change(entries)

    def finish(self, profile: str) -> None:
        """Record that the profile's logout ended (StateFileError as begin)."""
        entries = self._current()
        if entries.pop(profile, None) is not None:
            self._change(entries)

    def clear(self) -> None:
        """Forget every record (after a recovery handled a bad file; StateFileError as begin)."""
        self._change({})

    @property
    def unwritten(self) -> bool:
        """Return whether the file on disk lacks changes held in memory."""
        return self._unwritten is not None

    def retry(self) -> bool:
        """Write the changes the disk did not take; return True if none is left unwritten."""
        if self._unwritten is None:
            return True
        try:
            self._write(self._unwritten)
        except StateFileError:
            return False
        self._written_again()
        return True

    def _written_again(self) -> None:
        logger.info("{}: written again, the held changes are on disk", self.path)
        self._unwritten = None

    def _current(self) -> dict[str, LogoutInProgress]:
        if self._unwritten is not None:
            return dict(self._unwritten)
        try:
            return {entry.profile: entry for entry in self.in_progress()}
        except StateFileError:
            return {}

    def _change(self, entries: dict[str, LogoutInProgress]) -> None:
        failing = self._unwritten is not None
        try:
            self._write(entries)
        except StateFileError as exc:
            self._unwritten = entries
            if self.on_write_error is not None:
                self.on_write_error()
            if failing:  # already reported: once per episode, the rest at debug level
                logger.debug("{} (held in memory)", exc)
                return
            raise
        if failing:
            self._written_again()

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
