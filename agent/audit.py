"""Logging, set up once: a human console on stderr and a JSON-lines audit trail of outcomes.

The audit file gets exactly one line per logout (``audit(outcome)``), with rotation and
retention. Free text is scrubbed of phone numbers; message content is never logged anywhere.
A line that cannot be written (disk full, file removed, permissions) is never lost silently:
``audit`` raises AuditWriteError, and the file is reopened for the next line. The console may
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

from agent.console_log import CONSOLE_FORMAT, add_console
from agent.errors import ConfigError, KioskguardError
from agent.outcome import Outcome
from agent.privacy import scrub, scrub_data

if TYPE_CHECKING:
    from loguru import Record

CONSOLELESS_LOG = "kioskguard.log"  # the log's file when there is no console (pythonw.exe)
_handler_ids: list[int] = []
_audit_file: dict[str, Any] = {}  # path, rotation, retention and handler of the audit sink


class AuditWriteError(KioskguardError):
    default_message = "an audit line could not be written"


def _is_audit(record: Record) -> bool:
    return bool(record["extra"].get("audit"))


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
    _audit_file.clear()
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
    _audit_file.update(path=audit_path, rotation=rotation, retention=retention)
    try:
        audit_path.parent.mkdir(parents=True, exist_ok=True)
        _audit_file["handler"] = _add_audit_sink()
    except (OSError, ValueError, TypeError) as exc:
        raise ConfigError(f"audit log {audit_path}: {exc}") from exc


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


def _add_audit_sink() -> int:
    """Add the audit file sink; it raises on a failed write instead of printing and going on."""
    return logger.add(
        _audit_file["path"],
        level="INFO",
        format="{message}",
        filter=_is_audit,
        rotation=_audit_file["rotation"],
        retention=_audit_file["retention"],
        encoding="utf-8",
        catch=False,
    )


def _remove_quietly(handler_id: int | None) -> None:
    """Remove a handler; a file whose last write failed also fails to flush on close."""
    with contextlib.suppress(OSError, ValueError):
        logger.remove(handler_id)


def _reopen_audit_file() -> None:
    """After a failed write: drop the broken sink (and its unwritten buffer), open a fresh one."""
    handler = _audit_file.pop("handler", None)
    if handler is not None:
        _remove_quietly(handler)
    with contextlib.suppress(OSError, ValueError, TypeError):  # else the next audit() retries
        _audit_file["handler"] = _add_audit_sink()


def audit_line(outcome: Outcome, at: datetime | None = None) -> str:
    """Given an outcome, return its audit line: one JSON object, free text scrubbed."""
    moment = at or datetime.now(UTC)
    record = {"at": moment.isoformat(timespec="milliseconds"), **scrub_data(outcome.to_dict())}
    return json.dumps(record, ensure_ascii=False, sort_keys=False)


def audit(outcome: Outcome, at: datetime | None = None) -> None:
    """Write one audit line for the outcome (to the audit file set up by configure_logging).

    Raise AuditWriteError, naming the file, the profile and the result, if it was not written.
    """
    line = audit_line(outcome, at)
    if _audit_file and "handler" not in _audit_file:
        _reopen_audit_file()
    try:
        if _audit_file and "handler" not in _audit_file:
            raise OSError("the audit file cannot be opened")
        logger.bind(audit=True).info(line)
    except (OSError, ValueError) as exc:
        _reopen_audit_file()
        reason = getattr(exc, "strerror", None) or str(exc)
        raise AuditWriteError(
            f"audit log {_audit_file.get('path')}: the line for {outcome.profile}"
            f" ({outcome.result.value}, {outcome.trigger.value}) was not written: {reason}"
        ) from exc
