"""The audit file's writer: lines kept in order until the disk takes them, and a file that is
replaced or deleted under the daemon noticed and reopened.

Loguru writes the file (rotation, retention); this module opens it through its own opener, so
it knows which file (device and inode) the sink writes to. Before every write it compares that
with what the path names now, as logging.WatchedFileHandler does: a file deleted, moved or
replaced (a cleanup tool, logrotate without copytruncate, a visitor) is reopened at the path
and counted, instead of lines going into a deleted inode. A line that cannot be written (disk
full) is held in memory, in order, at most MAX_HELD lines (the oldest dropped first, counted);
every later write, and ``flush()``, writes the held lines first. Held lines die with the
process: the caller logs them to the console at exit (the journal keeps them).
"""

from __future__ import annotations

import contextlib
import os
from collections import deque
from dataclasses import dataclass
from pathlib import Path

from loguru import logger

MAX_HELD = 1000  # about 500 kB of lines: a day of a busy kiosk, bounded


@dataclass
class AuditCounters:
    """What the writer has seen since the process started."""

    reopened: int = 0  # the path named another file, or none: reopened there
    dropped: int = 0  # held lines dropped because more than MAX_HELD waited


class AuditFile:
    """One audit file, written through loguru's file sink."""

    def __init__(self, path: Path, rotation: str, retention: str) -> None:
        """Open the sink. Raise OSError, ValueError or TypeError if it cannot be opened or the
        rotation/retention are invalid."""
        self.path = path
        self.rotation = rotation
        self.retention = retention
        self.counters = AuditCounters()
        self.held: deque[str] = deque()
        self._identity: tuple[int, int] | None = None
        self._handler: int | None = None
        self._tail_unknown = False  # a failed write may have left half a line
        self._open_sink()

    def submit(self, line: str) -> None:
        """Write the held lines, then line. Raise OSError (line held with the others) if the
        file does not take them."""
        if len(self.held) >= MAX_HELD:
            self.held.popleft()
            self.counters.dropped += 1
        self.held.append(line)
        self.flush()

    def flush(self) -> int:
        """Write the held lines in order; return how many were written. Raise OSError at the
        first one the file does not take (it and the later ones stay held)."""
        written = 0
        while self.held:
            self._write(self.held[0])
            self.held.popleft()
            written += 1
        return written

    def reopen(self) -> None:
        """Close the sink and open the path again (SIGUSR2, after an external rotation)."""
        self._close_sink()
        with contextlib.suppress(OSError, ValueError, TypeError):  # else the next write retries
            self._open_sink()

    def close(self) -> None:
        self._close_sink()

    def replaced(self) -> bool:
        """Return whether the path no longer names the file the sink writes to."""
        try:
            status = os.stat(self.path)
        except OSError:
            return True
        return (status.st_dev, status.st_ino) != self._identity

    def _write(self, line: str) -> None:
        if self._handler is not None and self.replaced():
            self.counters.reopened += 1
            logger.warning("audit log {}: the file was deleted or replaced; reopened", self.path)
            self.reopen()
        if self._handler is None:
            self._open_sink()  # raises OSError when it still cannot be opened
        try:
            logger.bind(audit=True).info(self._after_damage() + line)
        except (OSError, ValueError) as exc:
            self._tail_unknown = True
            self._close_sink()  # drop the broken sink and its unwritten buffer
            raise OSError(getattr(exc, "errno", None), _reason(exc)) from exc
        self._tail_unknown = False

    def _after_damage(self) -> str:
        """Return a newline to start with if a failed write left half a line at the end."""
        if not self._tail_unknown:
            return ""
        try:
            with open(self.path, "rb") as file:
                if file.seek(0, os.SEEK_END) == 0:
                    return ""
                file.seek(-1, os.SEEK_END)
                return "" if file.read(1) == b"\n" else "\n"
        except OSError:
            return ""

    def _opener(self, path: str, flags: int) -> int:
        descriptor = os.open(path, flags, 0o666)
        status = os.fstat(descriptor)
        self._identity = (status.st_dev, status.st_ino)
        return descriptor

    def _open_sink(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._handler = logger.add(
            self.path,
            level="INFO",
            format="{message}",
            filter=lambda record: bool(record["extra"].get("audit")),
            rotation=self.rotation,
            retention=self.retention,
            encoding="utf-8",
            catch=False,  # a failed write raises instead of printing and going on
            opener=self._opener,
        )

    def _close_sink(self) -> None:
        handler, self._handler = self._handler, None
        if handler is not None:
            with contextlib.suppress(OSError, ValueError):  # a failed write fails its close too
                logger.remove(handler)


def _reason(exc: BaseException) -> str:
    return getattr(exc, "strerror", None) or str(exc)
