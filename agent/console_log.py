"""The console log's sink: today's text format on a terminal or in a file, journald's under systemd.

Elsewhere each line reads "2026-01-05 21:30:00 INFO    message". When stderr is the journal
($JOURNAL_STREAM names it), each line instead starts with its syslog priority ("<4>WARNING
message"), so `journalctl -p warning` filters it, and carries no timestamp: the journal stamps
every line itself. A traceback's lines carry its record's priority too.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, TextIO

from loguru import logger

from agent.platform.journald import is_journal_stream, syslog_priority

if TYPE_CHECKING:
    from loguru import Message, Record

CONSOLE_FORMAT = "{time:YYYY-MM-DD HH:mm:ss} {level: <7} {message}"
JOURNAL_FORMAT = "{level: <7} {message}"


class JournalSink:
    """Writes each line of a formatted record to the stream with its "<N>" priority prefix."""

    def __init__(self, stream: TextIO) -> None:
        self.stream = stream

    def __call__(self, message: Message) -> None:
        prefix = f"<{syslog_priority(message.record['level'].no)}>"
        self.stream.write("".join(prefix + line for line in message.splitlines(keepends=True)))
        self.stream.flush()


def add_console(stream: TextIO, level: str, keep: Callable[[Record], bool]) -> int:
    """Given stderr, a level and a filter, add the console sink in the format the stream needs.

    Return loguru's handler id.
    """
    if is_journal_stream(stream):
        return logger.add(JournalSink(stream), level=level, format=JOURNAL_FORMAT, filter=keep)
    return logger.add(stream, level=level, format=CONSOLE_FORMAT, filter=keep)
