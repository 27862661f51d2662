"""The guard's heartbeat: a small file in the state directory saying "the guard ran at T",
rewritten every HEARTBEAT_S seconds, and at an orderly stop how it stopped.

The next start reads it to tell how long the guard was not running and why
(agent/daemon/guard_gap.py): a SIGKILL or a power cut leaves a heartbeat with no stop in it.
Each write is whole or absent (a temporary file, fsync, then os.replace). A write the disk
does not take (full disk, read-only) is logged once per episode and tried again at the next
beat; the old file stays, so a later gap is measured from an older beat (longer, never
shorter). Nothing else depends on it: a guard never stops guarding for its heartbeat.
"""

from __future__ import annotations

import contextlib
import json
import os
import tempfile
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any, Literal

from loguru import logger

HEARTBEAT_NAME = "guard-heartbeat.json"
HEARTBEAT_S = 5.0  # a gap is measured to within this
BOOT_ID_PATH = Path("/proc/sys/kernel/random/boot_id")  # Linux: new at every boot
StopKind = Literal["stopped", "shutdown"]


@dataclass(frozen=True)
class Beat:
    """What the heartbeat file says: the guard ran at ``at`` in boot ``boot_id`` (None where
    the OS has no boot id); ``stop`` is set once it stopped in order (``stop_cause``: the
    signal or event that stopped it)."""

    at: datetime
    boot_id: str | None
    pid: int
    stop: StopKind | None = None
    stop_cause: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "at": self.at.isoformat(timespec="milliseconds"),
            "boot_id": self.boot_id,
            "pid": self.pid,
            "stop": self.stop,
            "stop_cause": self.stop_cause,
        }

    @classmethod
    def from_dict(cls, data: Any) -> Beat:
        """Given the file's JSON, return the Beat. Raise ValueError if it is not one."""
        if not isinstance(data, dict):
            raise ValueError("not a JSON object")
        at = datetime.fromisoformat(str(data.get("at")))
        if at.tzinfo is None:
            raise ValueError("at: no time zone")
        stop = data.get("stop")
        if stop not in (None, "stopped", "shutdown"):
            raise ValueError(f"stop: {stop!r} is not stopped or shutdown")
        boot_id, cause = data.get("boot_id"), data.get("stop_cause")
        return cls(
            at=at,
            boot_id=boot_id if isinstance(boot_id, str) else None,
            pid=int(data.get("pid") or 0),
            stop=stop,
            stop_cause=cause if isinstance(cause, str) else None,
        )


def read_boot_id(path: Path = BOOT_ID_PATH) -> str | None:
    """Given the boot id file, return this boot's id; None where there is none (not Linux)."""
    try:
        return path.read_text(encoding="ascii").strip() or None
    except (OSError, UnicodeDecodeError):
        return None


class HeartbeatFile:
    """The heartbeat file of one state directory."""

    def __init__(self, state_dir: Path) -> None:
        self.path = state_dir / HEARTBEAT_NAME
        self.failing = False  # the last write failed (logged once per episode)

    def read(self) -> Beat | None:
        """Return the last beat written, None if there is none. A damaged file is logged and
        read as none (the start then reports no gap: it cannot tell one)."""
        try:
            text = self.path.read_text(encoding="utf-8")
        except FileNotFoundError:
            return None
        except (OSError, UnicodeDecodeError) as exc:
            logger.warning("{}: cannot be read ({}); no guard gap can be told", self.path, exc)
            return None
        try:
            return Beat.from_dict(json.loads(text))
        except (ValueError, TypeError) as exc:
            logger.warning("{}: damaged ({}); no guard gap can be told", self.path, exc)
            return None

    def write(self, beat: Beat) -> bool:
        """Write the beat whole; return False (logged once per episode) if the disk did not
        take it."""
        try:
            self._replace(json.dumps(beat.to_dict()))
        except OSError as exc:
            if not self.failing:
                logger.warning("{}: not written ({}); tried again at the next beat", self.path, exc)
            self.failing = True
            return False
        if self.failing:
            logger.info("{}: written again", self.path)
        self.failing = False
        return True

    def _replace(self, text: str) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        descriptor, temporary = tempfile.mkstemp(
            prefix=".heartbeat-", suffix=".tmp", dir=self.path.parent
        )
        try:
            with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
                handle.write(text)
                handle.flush()
                os.fsync(handle.fileno())
            os.replace(temporary, self.path)
        except BaseException:
            with contextlib.suppress(OSError):
                os.unlink(temporary)
            raise
