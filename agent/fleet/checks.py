"""What the collector checks before it stores a kiosk's message: nothing a kiosk says about
another kiosk, and nothing a kiosk cannot have done, is believed.

A kiosk's broker account may write only its own topics (the ACL), but anything on them:
a visitor who reads the account's password could publish made-up events there. So an event is
rejected when its payload's site or host is not its topic's, its id is not the host's (ids are
``<host>-<uuid>``), its kind or its outcome's trigger or result is not one the product emits,
its time is in the future, a fleet logout names no command the collector saw for this kiosk
(or a command already answered for that profile), or the kiosk claims more logouts in a minute
than a kiosk can carry out (each takes seconds and needs a visitor).
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from agent.fleet.topics import EVENT_KINDS
from agent.outcome import Result, Trigger

MAX_LOGOUTS_PER_MINUTE = 12  # per kiosk, by the events' own times: each takes seconds
CLOCK_SKEW = timedelta(minutes=5)  # how far in the future a kiosk's clock may be


@dataclass(frozen=True)
class Verdict:
    """None: store it; else why it is rejected. id_key: the field holding the message id."""

    reason: str | None
    id_key: str = "id"


def _moment(text: Any) -> datetime | None:
    if not isinstance(text, str):
        return None
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        return None
    return moment if moment.tzinfo is not None else None


def _common(site: str, host: str, data: dict[str, Any], id_key: str, now: datetime) -> str | None:
    item_id = data.get(id_key)
    if data.get("site") != site or data.get("host") != host:
        return (
            f"payload says {data.get('site')}/{data.get('host')}, published on {site}/{host}'s"
            " topic"
        )
    if not isinstance(item_id, str) or not item_id.startswith(f"{host}-"):
        return f"{id_key} {str(item_id)[:80]!r} is not one of {host}'s (<host>-<uuid>)"
    moment = _moment(data.get("at"))
    if moment is None:
        return "at: not an ISO time with a time zone"
    if moment > now + CLOCK_SKEW:
        return f"at {data.get('at')} is in the future"
    return None


def check_reply(site: str, host: str, reply: dict[str, Any], now: datetime) -> Verdict:
    """Given a reply published on site/host's topic, received at now, return the verdict."""
    return Verdict(_common(site, host, reply, "reply_id", now), "reply_id")


def check_event(
    site: str, host: str, event: dict[str, Any], db: sqlite3.Connection, now: datetime
) -> Verdict:
    """Given an event published on site/host's topic, received at now, and the events database
    (its events and commands tables), return the verdict."""
    reason = _common(site, host, event, "id", now)
    if reason is None and event.get("kind") not in EVENT_KINDS:
        reason = f"kind {str(event.get('kind'))[:40]!r} is not one kioskguard emits"
    if reason is None and event.get("kind") == "logout":
        reason = _check_logout(site, host, event, db)
    return Verdict(reason)


def _check_logout(
    site: str, host: str, event: dict[str, Any], db: sqlite3.Connection
) -> str | None:
    outcome = event.get("outcome")
    if not isinstance(outcome, dict) or not isinstance(outcome.get("profile"), str):
        return "a logout without its outcome"
    trigger, result = outcome.get("trigger"), outcome.get("result")
    if trigger not in {item.value for item in Trigger}:
        return f"a logout with no trigger kioskguard has ({str(trigger)[:40]!r})"
    if result not in {item.value for item in Result}:
        return f"a logout with an unknown result ({str(result)[:40]!r})"
    if trigger == Trigger.FLEET.value:
        reason = _check_command(site, host, event.get("command_id"), outcome["profile"], db)
        if reason is not None:
            return reason
    at = _moment(event.get("at"))
    assert at is not None  # _common checked it
    start = (at - timedelta(minutes=1)).isoformat(timespec="milliseconds")
    recent = db.execute(
        "SELECT COUNT(*) FROM events WHERE site = ? AND host = ? AND kind = 'logout'"
        " AND at > ? AND at <= ?",
        (site, host, start, event["at"]),
    ).fetchone()[0]
    if recent >= MAX_LOGOUTS_PER_MINUTE:
        return f"a burst: more than {MAX_LOGOUTS_PER_MINUTE} logouts within a minute"
    return None


def _check_command(
    site: str, host: str, command_id: Any, profile: str, db: sqlite3.Connection
) -> str | None:
    if not isinstance(command_id, str):
        return "a fleet logout that names no command"
    row = db.execute("SELECT target FROM commands WHERE id = ?", (command_id,)).fetchone()
    if row is None:
        return f"a fleet logout for command {command_id[:80]!r}, which the collector never saw"
    if row[0] not in {"all", f"site:{site}", f"host:{host}"}:
        return f"a fleet logout for command {command_id[:80]!r}, addressed to {row[0]}"
    again = db.execute(
        "SELECT COUNT(*) FROM events WHERE site = ? AND host = ? AND kind = 'logout'"
        " AND json_extract(payload, '$.command_id') = ?"
        " AND json_extract(payload, '$.outcome.profile') = ?",
        (site, host, command_id, profile),
    ).fetchone()[0]
    if again:
        return f"a second fleet logout of {profile!r} for command {command_id[:80]!r}"
    return None
