"""journald's stream protocol, without libsystemd: is stderr the journal, and each line's priority.

systemd sets $JOURNAL_STREAM=DEVICE:INODE for a service whose stderr (or stdout) goes to the
journal. It holds only while stderr is still that very stream (a child whose stderr was
redirected inherits the variable), which fstat tells, as sd_journal_stream_fd's users check.
A line that starts with "<N>", N a syslog priority (sd-daemon.h: SD_ERR is "<3>"), is stored at
that priority without the prefix; the journal stamps every line with its own time.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import TextIO

# Loguru's level numbers, highest first -> the syslog priority of sd-daemon.h's SD_* prefixes.
_PRIORITIES: tuple[tuple[int, int], ...] = (
    (50, 2),  # CRITICAL -> SD_CRIT
    (40, 3),  # ERROR -> SD_ERR
    (30, 4),  # WARNING -> SD_WARNING
    (25, 5),  # SUCCESS -> SD_NOTICE
    (20, 6),  # INFO -> SD_INFO
)
DEBUG_PRIORITY = 7  # SD_DEBUG: DEBUG, TRACE and anything lower


def syslog_priority(level_number: int) -> int:
    """Given a loguru level number, return its syslog priority (2 critical ... 7 debug)."""
    for threshold, priority in _PRIORITIES:
        if level_number >= threshold:
            return priority
    return DEBUG_PRIORITY


def is_journal_stream(stream: TextIO, environment: Mapping[str, str] | None = None) -> bool:
    """Given a text stream, return True if $JOURNAL_STREAM names it (its device and inode).

    False when the variable is unset or malformed, or the stream has no file descriptor.
    """
    value = (os.environ if environment is None else environment).get("JOURNAL_STREAM", "")
    device, _, inode = value.partition(":")
    if not (device.isdigit() and inode.isdigit()):
        return False
    try:
        status = os.fstat(stream.fileno())
    except (OSError, ValueError, AttributeError):  # closed, or a stream without a descriptor
        return False
    return (status.st_dev, status.st_ino) == (int(device), int(inode))
