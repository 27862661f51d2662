"""Logging, set up once: a human console on stderr and a JSON-lines audit trail of outcomes.

The audit file gets exactly one line per logout (``audit(outcome)``), with rotation and
retention. Free text is scrubbed of phone numbers; message content is never logged anywhere.
"""

from __future__ import annotations

import json
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from loguru import logger

from agent.errors import ConfigError
from agent.outcome import Outcome
from agent.privacy import scrub

if TYPE_CHECKING:
    from loguru import Record

CONSOLE_FORMAT = "{time:YYYY-MM-DD HH:mm:ss} {level: <7} {message}"
_handler_ids: list[int] = []


def _is_audit(record: Record) -> bool:
    return bool(record["extra"].get("audit"))


def _is_console(record: Record) -> bool:
    return not record["extra"].get("audit")


def configure_logging(
    level: str, audit_path: Path | None, rotation: str = "10 MB", retention: str = "8 weeks"
) -> None:
    """Given a console level and an audit file, route loguru there (replacing earlier setup).

    Raise ConfigError if the audit file cannot be opened or rotation/retention are invalid.
    """
    for handler_id in _handler_ids:
        logger.remove(handler_id)
    _handler_ids.clear()
    logger.remove()  # loguru's default stderr handler
    _handler_ids.append(
        logger.add(sys.stderr, level=level, format=CONSOLE_FORMAT, filter=_is_console)
    )
    if audit_path is None:
        return
    try:
        audit_path.parent.mkdir(parents=True, exist_ok=True)
        _handler_ids.append(
            logger.add(
                audit_path,
                level="INFO",
                format="{message}",
                filter=_is_audit,
                rotation=rotation,
                retention=retention,
                encoding="utf-8",
            )
        )
    except (OSError, ValueError, TypeError) as exc:
        raise ConfigError(f"audit log {audit_path}: {exc}") from exc


def _scrubbed(value: Any) -> Any:
    if isinstance(value, str):
        return scrub(value)
    if isinstance(value, list):
        return [_scrubbed(item) for item in value]
    if isinstance(value, dict):
        return {key: _scrubbed(item) for key, item in value.items()}
    return value


def audit_line(outcome: Outcome, at: datetime | None = None) -> str:
    """Given an outcome, return its audit line: one JSON object, free text scrubbed."""
    moment = at or datetime.now(UTC)
    record = {"at": moment.isoformat(timespec="milliseconds"), **_scrubbed(outcome.to_dict())}
    return json.dumps(record, ensure_ascii=False, sort_keys=False)


def audit(outcome: Outcome, at: datetime | None = None) -> None:
    """Write one audit line for the outcome (to the audit file set up by configure_logging)."""
    logger.bind(audit=True).info(audit_line(outcome, at))
