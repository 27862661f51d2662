"""Who holds a lock: Linux's /proc/locks, read so that no lock file has to carry a PID.

The only module that reads /proc/locks. A refusal names its holder from here (pid, user id and
command line when /proc lets us read them), so taking a lock never needs a write to disk.
Elsewhere (macOS, Windows, a /proc we cannot read) the holders are unknown: an empty list.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

PROC_LOCKS = Path("/proc/locks")


@dataclass(frozen=True)
class Holder:
    """One process holding a lock, as /proc tells it."""

    pid: int
    uid: int | None  # None: /proc/PID/status unreadable (the process ended, or another user's)
    command: str  # the command line, "" if unreadable

    def describe(self) -> str:
        """Return "pid N (command line), uid U", leaving out what could not be read."""
        text = f"pid {self.pid}"
        if self.command:
            text += f" ({self.command})"
        if self.uid is not None:
            text += f", uid {self.uid}"
        return text


def lock_key(descriptor: int) -> str:
    """Given an open file descriptor, return its file's key as /proc/locks writes it."""
    status = os.fstat(descriptor)
    return f"{os.major(status.st_dev):02x}:{os.minor(status.st_dev):02x}:{status.st_ino}"


def flock_holders(descriptor: int, proc_locks: Path = PROC_LOCKS) -> list[Holder]:
    """Given an open file descriptor, return the processes holding a flock on its file.

    Waiters ("->" lines) are not holders; the calling process is left out. Unknown (an empty
    list) where /proc/locks cannot be read.
    """
    try:
        text = proc_locks.read_text(encoding="ascii", errors="replace")
    except OSError:  # not Linux (os.major is POSIX-only: the key is made after this)
        return []
    key = lock_key(descriptor)
    pids: list[int] = []
    for line in text.splitlines():
        fields = line.split()
        if len(fields) < 6 or fields[1] == "->" or fields[1] != "FLOCK" or fields[5] != key:
            continue
        pid = int(fields[4]) if fields[4].isdigit() else 0
        if pid > 0 and pid != os.getpid() and pid not in pids:
            pids.append(pid)
    return [describe_process(pid) for pid in pids]


def describe_process(pid: int, proc: Path = Path("/proc")) -> Holder:
    """Given a PID, return what /proc says of it (uid, command line), as far as readable."""
    command = ""
    uid: int | None = None
    try:
        raw = (proc / str(pid) / "cmdline").read_bytes()
        command = " ".join(part.decode(errors="replace") for part in raw.split(b"\0") if part)
    except OSError:
        pass
    try:
        for line in (proc / str(pid) / "status").read_text(errors="replace").splitlines():
            if line.startswith("Uid:"):
                uid = int(line.split()[1])
                break
    except (OSError, ValueError, IndexError):
        pass
    return Holder(pid, uid, command)


def describe_holders(holders: list[Holder]) -> str:
    """Return the holders for an error message: "pid N (...)", joined, or "an unknown process"."""
    return "; ".join(holder.describe() for holder in holders) or "an unknown process"
