"""The daemon's audit hook: every outcome to the audit file, failures logged and counted, held
lines retried until the disk takes them, and never lost silently at exit.

A line the file does not take is held in memory (agent/audit_file.py) and written, in order,
by the next outcome's write or by ``flush`` (the daemon calls it every few seconds). At exit,
lines still held are logged to the console, one error each (the journal keeps them; a crash
loses them, and the console's "logout ..." lines remain).
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from datetime import datetime
from typing import Any

from loguru import logger

from agent.audit import (
    AuditWriteError,
    audit,
    audit_counters,
    audit_event,
    flush_held,
    held_lines,
    reopen_audit_file,
)
from agent.audit_file import AuditCounters
from agent.daemon.metrics import Metrics
from agent.outcome import Outcome


class AuditRecorder:
    """The audit hook: a line that cannot be written is logged, counted, held and retried."""

    def __init__(self, metrics: Metrics | None) -> None:
        self.metrics = metrics
        self.failures = 0  # outcomes whose line was not written at once (exit code 1)
        self._published = AuditCounters()

    def __call__(self, outcome: Outcome) -> None:
        self._write(functools.partial(audit, outcome))

    def event(self, fields: dict[str, Any], at: datetime) -> None:
        """Write one audit line that is no logout (the guard gap), handled like an outcome's."""
        self._write(functools.partial(audit_event, fields, at))

    def _write(self, write: Callable[[], None]) -> None:
        """Write one line. One the file refuses is published as held before it is
        counted, and both before it is logged: no published state counts the error with the
        line not held, and whoever reads the log line finds the metrics already there."""
        try:
            write()
        except AuditWriteError as exc:
            self.failures += 1
            self._publish()
            if self.metrics is not None:
                self.metrics.record_audit_error()
            logger.error("{}", exc)
            return
        self._publish()

    def flush(self) -> None:
        """Write the held lines if the file takes them now; quiet while it still does not."""
        try:
            written = flush_held()
        except AuditWriteError as exc:
            logger.debug("{}", exc)
        else:
            if written:
                logger.info("audit log: {} held line(s) written", written)
        self._publish()

    def reopen(self) -> None:
        """Reopen the audit file (SIGUSR2), then write what is held."""
        reopen_audit_file()
        self.flush()

    def close(self) -> None:
        """Last try at exit; log every line still held, so that it is kept somewhere."""
        self.flush()
        for line in held_lines():
            logger.error("audit line never written to the audit file (kept here): {}", line)

    def _publish(self) -> None:
        counters = audit_counters()
        if self.metrics is not None:
            self.metrics.record_audit_file(
                reopened=counters.reopened - self._published.reopened,
                dropped=counters.dropped - self._published.dropped,
                held=len(held_lines()),
            )
        self._published = AuditCounters(counters.reopened, counters.dropped)
