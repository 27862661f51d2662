"""The admin's side: collect every kiosk's retained status, send a command, gather replies.

A short-lived, non-persistent connection per command line. Retained status and presence
arrive right after the subscription; collection ends after a quiet moment with nothing new.
"""

from __future__ import annotations

import asyncio
import json
import time
import uuid
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from typing import Any

from agent.errors import ConfigError
from agent.fleet.connection import make_client
from agent.fleet.ports import Incoming, MqttClient
from agent.fleet.topics import (
    KioskTopics,
    command_topic,
    encode,
    kiosk_filter,
    make_command,
    split_kiosk_topic,
)
from agent.settings import FleetSettings

Progress = Callable[[int], None]
OK_RESULTS = {"verified", "nothing_to_do"}


@dataclass
class Kiosk:
    """What the admin knows of one kiosk: presence, last retained status, reply to a command."""

    site: str
    host: str
    online: bool | None = None
    offline_reason: str | None = None  # stopped, shutdown (said by the kiosk), lost (its will)
    status: dict[str, Any] = field(default_factory=dict)
    reply: dict[str, Any] | None = None

    @property
    def key(self) -> tuple[str, str]:
        return (self.site, self.host)

    def linked_profiles(self) -> list[str]:
        return [
            str(profile.get("name"))
            for profile in self.status.get("profiles", [])
            if profile.get("linked") == "linked"
        ]


@dataclass
class BatchResult:
    """The rows of a batch command and the seconds from publishing it to the last reply."""

    command: dict[str, Any]
    kiosks: list[Kiosk]
    seconds_to_last_reply: float | None

    def row_result(self, kiosk: Kiosk) -> str:
        """Return the row's result: the reply's, offline: queued, or failed: no reply."""
        if kiosk.reply is not None:
            return str(kiosk.reply.get("result", "failed"))
        if kiosk.online is False:
            return "offline: queued"
        return "failed: no reply"

    @property
    def all_ok(self) -> bool:
        return bool(self.kiosks) and all(
            self.row_result(kiosk) in OK_RESULTS for kiosk in self.kiosks
        )


def _admin_client(settings: FleetSettings) -> MqttClient:
    if not settings.username:
        raise ConfigError("fleet.username: required for the admin commands (the admin's user)")
    return make_client(
        settings,
        f"kioskguard-admin-{uuid.uuid4().hex[:12]}",
        username=settings.username,
        persistent=False,
    )


def _absorb(prefix: str, kiosks: dict[tuple[str, str], Kiosk], message: Incoming) -> str | None:
    """Fold one status/presence/reply message into kiosks; return its leaf or None."""
    where = split_kiosk_topic(prefix, message.topic)
    if where is None:
        return None
    site, host, leaf = where
    try:
        data = json.loads(message.payload)
    except ValueError:
        return None
    if not isinstance(data, dict):
        return None
    kiosk = kiosks.setdefault((site, host), Kiosk(site, host))
    if leaf == "presence":
        kiosk.online = bool(data.get("online"))
        reason = data.get("reason")
        kiosk.offline_reason = reason if isinstance(reason, str) and not kiosk.online else None
    elif leaf == "status":
        kiosk.status = data
    elif leaf == "replies":
        kiosk.reply = data
    return leaf


async def _until_quiet(
    stream: AsyncIterator[Incoming], quiet_s: float, limit_s: float
) -> AsyncIterator[Incoming]:
    """Yield messages until none came for quiet_s, or limit_s passed."""
    deadline = time.monotonic() + limit_s
    while (remaining := deadline - time.monotonic()) > 0:
        try:
            yield await asyncio.wait_for(anext(stream), min(quiet_s, remaining))
        except TimeoutError:
            return


async def collect_status(
    settings: FleetSettings,
    site: str | None = None,
    *,
    quiet_s: float = 0.5,
    limit_s: float = 10.0,
    progress: Progress | None = None,
) -> list[Kiosk]:
    """Return every kiosk (of a site) with a retained status or presence, sorted."""
    prefix = settings.topic_prefix
    kiosks: dict[tuple[str, str], Kiosk] = {}
    async with _admin_client(settings) as client:
        for leaf in ("status", "presence"):
            await client.subscribe(kiosk_filter(prefix, leaf, site))
        async for message in _until_quiet(client.messages(), quiet_s, limit_s):
            _absorb(prefix, kiosks, message)
            if progress is not None:
                progress(len(kiosks))
    return sorted(kiosks.values(), key=lambda kiosk: kiosk.key)


def _targets(kiosks: list[Kiosk], host: str | None, site: str | None) -> list[Kiosk]:
    return [
        kiosk
        for kiosk in kiosks
        if (host is None or kiosk.host == host) and (site is None or kiosk.site == site)
    ]


async def send_command(
    settings: FleetSettings,
    kind: str,
    *,
    host: str | None = None,
    site: str | None = None,
    profile: str | None = None,
    wait_s: float = 60.0,
    ttl_s: float | None = None,
    quiet_s: float = 0.5,
    progress: Progress | None = None,
) -> BatchResult:
    """Send one command to a host, a site or all; wait for every online target's reply.

    The targets are the kiosks known from their retained status; replies from others are
    added as they come. Return the rows and the time from publishing to the last reply.
    """
    prefix = settings.topic_prefix
    target = f"host:{host}" if host else f"site:{site}" if site else "all"
    command = make_command(kind, target, ttl_s or settings.command_ttl_s, profile)
    kiosks: dict[tuple[str, str], Kiosk] = {}
    async with _admin_client(settings) as client:
        stream = client.messages()
        for leaf in ("status", "presence", "replies"):
            await client.subscribe(kiosk_filter(prefix, leaf, site))
        async for message in _until_quiet(stream, quiet_s, 10.0):
            _absorb(prefix, kiosks, message)
        for kiosk in kiosks.values():
            kiosk.reply = None  # replies seen so far answer other commands
        # While the replies come in, every kiosk also republishes its status: not needed here.
        await client.unsubscribe(kiosk_filter(prefix, "status", site))
        targets = {kiosk.key: kiosk for kiosk in _targets(list(kiosks.values()), host, site)}
        started = time.monotonic()
        await client.publish(command_topic(prefix, host=host, site=site), encode(command))
        last_reply: float | None = None

        def waiting() -> bool:
            return any(k.reply is None and k.online is not False for k in targets.values())

        deadline = started + wait_s
        while waiting() and (remaining := deadline - time.monotonic()) > 0:
            try:
                message = await asyncio.wait_for(anext(stream), remaining)
            except TimeoutError:
                break
            where = split_kiosk_topic(prefix, message.topic)
            if where is None or where[2] != "replies":
                continue
            try:
                reply = json.loads(message.payload)
            except ValueError:
                continue
            if not isinstance(reply, dict) or reply.get("command_id") != command["id"]:
                continue
            kiosk = targets.setdefault(where[:2], Kiosk(where[0], where[1], online=True))
            kiosk.reply = reply
            last_reply = time.monotonic() - started
            if progress is not None:
                progress(sum(k.reply is not None for k in targets.values()))
    rows = sorted(targets.values(), key=lambda kiosk: kiosk.key)
    return BatchResult(command, rows, last_reply)


async def retire(settings: FleetSettings, site: str, host: str) -> None:
    """Clear a kiosk's retained status and presence (an empty retained message deletes one).

    Raise Refused if the broker's ACL does not let this account do it (admin only).
    """
    topics = KioskTopics(settings.topic_prefix, site, host)
    async with _admin_client(settings) as client:
        for topic in (topics.status, topics.presence):
            await client.publish(topic, b"", retain=True)
