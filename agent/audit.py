"""Logging, set up once: a human console on stderr and a JSON-lines audit trail of outcomes.

The audit file gets exactly one line per logout (``audit(outcome)``), with rotation and
retention. Free text is scrubbed of phone numbers; message content is never logged anywhere.
A line that cannot be written (disk full, permissions) is never lost silently: ``audit`` raises
AuditWriteError, and the line is held in memory and written, in order, by the next write or
``flush_held()`` that succeeds (agent/audit_file.py). A file deleted or replaced under the
process is noticed before the next line and reopened at its path. The console may
be missing (pythonw.exe on Windows has no stderr): the log then goes to kioskguard.log next to
the audit file, rotated like it.
"""

from __future__ import annotations

import contextlib
import json
import logging
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from loguru import logger

from agent.audit_file import AuditCounters, AuditFile
from agent.console_log import CONSOLE_FORMAT, add_console
from agent.errors import ConfigError, KioskguardError
from agent.outcome import Outcome
from agent.privacy import scrub, scrub_data

if TYPE_CHECKING:
    from loguru import Record

CONSOLELESS_LOG = "kioskguard.log"  # the log's file when there is no console (pythonw.exe)
_handler_ids: list[int] = []
_audit_file: list[AuditFile] = []  # the audit file set up by configure_logging, if any


class AuditWriteError(KioskguardError):
    default_message = "an audit line could not be written"


def _is_console(record: Record) -> bool:
    """Return True for a console record, its message scrubbed of phone numbers first."""
    if record["extra"].get("audit"):
        return False
    record["message"] = scrub(record["message"])
    return True


def configure_logging(
    level: str, audit_path: Path | None, rotation: str = "10 MB", retention: str = "8 weeks"
) -> None:
    """Given a console level and an audit file, route loguru there (replacing earlier setup).

    Raise ConfigError if the audit file cannot be opened or rotation/retention are invalid.
    """
    for handler_id in _handler_ids:
        _remove_quietly(handler_id)
    _handler_ids.clear()
    _remove_quietly(None)  # loguru's default stderr handler
    carried = _close_audit_file()
    _route_standard_logging()
    if sys.stderr is not None:  # None under pythonw.exe: no console to write to
        _handler_ids.append(add_console(sys.stderr, level, _is_console))
    if audit_path is None:
        return
    if sys.stderr is None:
        try:
            audit_path.parent.mkdir(parents=True, exist_ok=True)
            _handler_ids.append(
                logger.add(
                    audit_path.parent / CONSOLELESS_LOG,
                    level=level,
                    format=CONSOLE_FORMAT,
                    filter=_is_console,
                    rotation=rotation,
                    retention=retention,
                    encoding="utf-8",
                )
            )
        except (OSError, ValueError, TypeError) as exc:
            raise ConfigError(f"log file {audit_path.parent / CONSOLELESS_LOG}: {exc}") from exc
    try:
        audit_file = AuditFile(audit_path, rotation, retention)
    except (OSError, ValueError, TypeError) as exc:
        raise ConfigError(f"audit log {audit_path}: {exc}") from exc
    if carried is not None:  # a reload: the held lines and the counts go on
        audit_file.held.extend(carried.held)
        audit_file.counters = carried.counters
    _audit_file.append(audit_file)


def _close_audit_file() -> AuditFile | None:
    """Close the audit file and return it (its held lines and counters), None if none."""
    closed = _audit_file[0] if _audit_file else None
    if closed is not None:
        closed.close()
    _audit_file.clear()
    return closed


class _ToLoguru(logging.Handler):
    """Routes the standard library's log records (APScheduler's) into loguru's console.

    Third-party internals below ERROR ("Execution of job ... skipped: maximum number of running
    instances reached") are details for a debugging admin: they are logged at DEBUG."""

    def emit(self, record: logging.LogRecord) -> None:
        try:
            level: str | int = logger.level(record.levelname).name
        except ValueError:
            level = record.levelno
        if record.levelno < logging.ERROR and record.name.partition(".")[0] != "agent":
            level = "DEBUG"
        logger.opt(depth=6, exception=record.exc_info).log(level, "{}", record.getMessage())


def _route_standard_logging() -> None:
    root = logging.getLogger()
    if not any(isinstance(handler, _ToLoguru) for handler in root.handlers):
        root.addHandler(_ToLoguru())
    logging.getLogger("apscheduler").setLevel(logging.WARNING)


def _remove_quietly(handler_id: int | None) -> None:
    """Remove a handler; a file whose last write failed also fails to flush on close."""
    with contextlib.suppress(OSError, ValueError):
        logger.remove(handler_id)


def audit_line(outcome: Outcome, at: datetime | None = None) -> str:
    """Given an outcome, return its audit line: one JSON object, free text scrubbed."""
    moment = at or datetime.now(UTC)
    record = {"at": moment.isoformat(timespec="milliseconds"), **scrub_data(outcome.to_dict())}
    return json.dumps(record, ensure_ascii=False, sort_keys=False)


def audit(outcome: Outcome, at: datetime | None = None) -> None:
    """Write one audit line for the outcome (to the audit file set up by configure_logging),
    after the lines held from earlier failures.

    Raise AuditWriteError, naming the file, the profile and the result, if it was not written
    (it is then held in memory, see flush_held).
    """
    _submit(
        audit_line(outcome, at),
        f"the line for {outcome.profile} ({outcome.result.value}, {outcome.trigger.value})",
    )


def audit_event(fields: dict[str, Any], at: datetime) -> None:
    """Write one audit line that is no logout (``fields`` carry an "event" name, e.g. the
    guard_gap line), after the lines held from earlier failures.

    Raise AuditWriteError as audit() does (the line is then held in memory).
    """
    record = {"at": at.isoformat(timespec="milliseconds"), **scrub_data(fields)}
    line = json.dumps(record, ensure_ascii=False, sort_keys=False)
    _submit(line, f"the {fields.get('event', 'event')} line")


def _submit(line: str, what: str) -> None:
    if not _audit_file:
        return
    audit_file = _audit_file[0]
    try:
        audit_file.submit(line)
    except OSError as exc:
        held = len(audit_file.held)
        raise AuditWriteError(
            f"audit log {audit_file.path}: {what} was not written:"
            f" {exc.strerror or exc}; {held} line{'s' if held != 1 else ''} held in memory,"
            " written when the file takes them"
        ) from exc


def flush_held() -> int:
    """Write the audit lines held after failed writes, in order; return how many were written.

    Raise AuditWriteError (the lines stay held) if the file still does not take them.
    """
    if not _audit_file or not _audit_file[0].held:
        return 0
    audit_file = _audit_file[0]
    try:
        return audit_file.flush()
    except OSError as exc:
        raise AuditWriteError(
            f"audit log {audit_file.path}: {len(audit_file.held)} held lines still not"
            f" written: {exc.strerror or exc}"
        ) from exc


def held_lines() -> list[str]:
    """Return the audit lines written nowhere yet (oldest first)."""
    return list(_audit_file[0].held) if _audit_file else []


def audit_counters() -> AuditCounters:
    """Return the audit file's reopen and drop counts (zeros without an audit file)."""
    return _audit_file[0].counters if _audit_file else AuditCounters()


def reopen_audit_file() -> None:
    """Close the audit file and open its path again (after an external rotation)."""
    if _audit_file:
        _audit_file[0].reopen()
