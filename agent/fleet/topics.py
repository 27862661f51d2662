"""The topic layout and the JSON messages of the fleet.

    PREFIX/<site>/<host>/status     retained: what the kiosk guards and its last logout
    PREFIX/<site>/<host>/presence   retained: {"online": true, "at"}; an orderly stop sets
                                    {"online": false, "reason": "stopped"|"shutdown", "at"},
                                    the last will {"online": false, "reason": "lost"}
    PREFIX/<site>/<host>/events     QoS 1: audit events, each with a unique id
    PREFIX/<site>/<host>/replies    QoS 1: the answer to each command
    PREFIX/cmd/all                  QoS 1: commands for every kiosk (admin only)
    PREFIX/cmd/site/<site>          QoS 1: commands for one site's kiosks (admin only)
    PREFIX/cmd/host/<host>          QoS 1: commands for one kiosk (admin only)
    PREFIX/ack/<site>/<host>        QoS 1: {"ids": [...]} events the collector stored (the
                                    collector only); the kiosk's outbox then forgets them

Site and host names are lower-case letters, digits, '-', '_' and '.', so they never contain
MQTT's '/', '+' or '#'. "cmd" and "ack" are reserved: no site may be called that (a kiosk of
site "ack" could otherwise write another kiosk's acknowledgements).
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

NAME_PATTERN = r"^[a-z0-9][a-z0-9_.-]{0,62}$"
RESERVED_SITES = ("cmd", "ack")
EVENT_KINDS = ("logout", "command", "command_refused", "guard_gap")
CommandKind = Literal["logout", "ping"]  # each has its handler: fleet/kiosk.py HANDLERS


def iso(moment: datetime) -> str:
    """Given an aware time, return it in UTC, ISO 8601 with milliseconds (the messages' form)."""
    return moment.astimezone(UTC).isoformat(timespec="milliseconds")


def new_id(prefix: str) -> str:
    """Return a fresh unique id starting with prefix (a host name or "cmd")."""
    return f"{prefix}-{uuid.uuid4().hex}"


@dataclass(frozen=True)
class KioskTopics:
    """The topics one kiosk publishes to and listens on."""

    prefix: str
    site: str
    host: str

    def own(self, leaf: str) -> str:
        return f"{self.prefix}/{self.site}/{self.host}/{leaf}"

    @property
    def status(self) -> str:
        return self.own("status")

    @property
    def presence(self) -> str:
        return self.own("presence")

    @property
    def events(self) -> str:
        return self.own("events")

    @property
    def replies(self) -> str:
        return self.own("replies")

    @property
    def ack(self) -> str:
        """Return the topic the collector acknowledges this kiosk's stored events on."""
        return ack_topic(self.prefix, self.site, self.host)

    @property
    def commands(self) -> tuple[str, str, str]:
        """Return the three command topics this kiosk serves: all, its site, itself."""
        return (
            f"{self.prefix}/cmd/all",
            f"{self.prefix}/cmd/site/{self.site}",
            f"{self.prefix}/cmd/host/{self.host}",
        )


def command_topic(prefix: str, *, host: str | None = None, site: str | None = None) -> str:
    """Given one target (a host, a site, or neither for all), return its command topic."""
    if host is not None:
        return f"{prefix}/cmd/host/{host}"
    if site is not None:
        return f"{prefix}/cmd/site/{site}"
    return f"{prefix}/cmd/all"


def ack_topic(prefix: str, site: str, host: str) -> str:
    """Return the topic on which the collector acknowledges one kiosk's stored events."""
    return f"{prefix}/ack/{site}/{host}"


def kiosk_filter(prefix: str, leaf: str, site: str | None = None) -> str:
    """Return the subscription filter of one leaf (status, events ...) of every kiosk."""
    return f"{prefix}/{site or '+'}/+/{leaf}"


def split_kiosk_topic(prefix: str, topic: str) -> tuple[str, str, str] | None:
    """Given a kiosk topic, return (site, host, leaf), or None if it is not one."""
    if not topic.startswith(prefix + "/"):
        return None
    parts = topic[len(prefix) + 1 :].split("/")
    if len(parts) != 3 or parts[0] in RESERVED_SITES:
        return None
    return parts[0], parts[1], parts[2]


class Command(BaseModel):
    """A command as the admin sends it and the kiosk checks it."""

    model_config = ConfigDict(extra="forbid")

    id: str = Field(min_length=1, max_length=100, pattern=r"^[A-Za-z0-9_.:-]+$")
    kind: CommandKind
    target: str = Field(min_length=1, max_length=200)  # "all", "site:<site>", "host:<host>"
    profile: str | None = Field(None, pattern=r"^[a-z0-9][a-z0-9_-]*$")
    issued_at: datetime
    expires_at: datetime

    def addressed_to(self, site: str, host: str) -> bool:
        """Return whether the target names this kiosk (all, its site, or its host)."""
        return self.target in {"all", f"site:{site}", f"host:{host}"}

    def expired(self, at: datetime) -> bool:
        return at >= self.expires_at


class BadCommand(Exception):
    """A command the kiosk refuses; ``reason`` says why, ``command_id`` if it could be read."""

    def __init__(self, reason: str, command_id: str | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.command_id = command_id


def parse_command(payload: bytes) -> Command:
    """Given a command payload, return the Command. Raise BadCommand saying what is wrong."""
    try:
        data = json.loads(payload)
    except (ValueError, UnicodeDecodeError) as exc:
        raise BadCommand(f"malformed: not JSON ({exc.__class__.__name__})") from None
    if not isinstance(data, dict):
        raise BadCommand("malformed: not a JSON object")
    raw_id = data.get("id")
    command_id = raw_id if isinstance(raw_id, str) and len(raw_id) <= 100 else None
    try:
        command = Command.model_validate(data)
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(part) for part in error['loc']) or '(top)'}: {error['msg']}"
            for error in exc.errors()[:3]
        )
        raise BadCommand(f"malformed: {problems}", command_id) from None
    if command.issued_at.tzinfo is None or command.expires_at.tzinfo is None:
        raise BadCommand("malformed: issued_at and expires_at need a time zone", command.id)
    return command


def make_command(
    kind: str, target: str, ttl_s: float, profile: str | None = None, issued: datetime | None = None
) -> dict[str, Any]:
    """Return a new command message (a dict ready for JSON) issued at issued (now when None)
    and valid for ttl_s seconds."""
    issued = issued or datetime.now(UTC)
    expires = datetime.fromtimestamp(issued.timestamp() + ttl_s, UTC)
    message: dict[str, Any] = {
        "id": new_id("cmd"),
        "kind": kind,
        "target": target,
        "issued_at": issued.isoformat(timespec="milliseconds"),
        "expires_at": expires.isoformat(timespec="milliseconds"),
    }
    if profile is not None:
        message["profile"] = profile
    return message


def encode(message: dict[str, Any]) -> bytes:
    """Return the compact JSON bytes of a message."""
    return json.dumps(message, separators=(",", ":"), ensure_ascii=False).encode()
