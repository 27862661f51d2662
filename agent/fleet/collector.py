"""The collector: every kiosk's audit events and command replies, stored once, in SQLite.

A persistent MQTT session (client id kioskguard-collector-<user>), so events published while
the collector is away wait on the broker. Each event has an id: a copy (QoS 1 resends, the
kiosk's outbox after a crash) is ignored by the primary key.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from pathlib import Path
from typing import Any

from loguru import logger

from agent.errors import ConfigError
from agent.fleet.connection import MqttError, describe, make_client, messages
from agent.fleet.database import open_database
from agent.fleet.topics import kiosk_filter, split_kiosk_topic
from agent.settings import FleetSettings

_SCHEMA = """
CREATE TABLE IF NOT EXISTS events (
    id TEXT PRIMARY KEY,
    site TEXT NOT NULL,
    host TEXT NOT NULL,
    kind TEXT NOT NULL,
    at TEXT NOT NULL,
    payload TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS events_at ON events (at);
CREATE TABLE IF NOT EXISTS replies (
    id TEXT PRIMARY KEY,
    command_id TEXT,
    site TEXT NOT NULL,
    host TEXT NOT NULL,
    result TEXT NOT NULL,
    at TEXT NOT NULL,
    payload TEXT NOT NULL
);
"""


class EventStore:
    """The SQLite file of collected events."""

    def __init__(self, path: Path) -> None:
        """Open or create the store. Raise ConfigError naming the file if it cannot be."""
        self.path = path
        self.db = open_database(path, _SCHEMA, "fleet events database")

    def add_event(self, site: str, host: str, event: dict[str, Any]) -> bool:
        """Store an event published on site/host; return False if it was a copy or unusable."""
        event_id, kind, at = event.get("id"), event.get("kind"), event.get("at")
        if not all(isinstance(value, str) and value for value in (event_id, kind, at)):
            return False
        cursor = self.db.execute(
            "INSERT OR IGNORE INTO events (id, site, host, kind, at, payload)"
            " VALUES (?, ?, ?, ?, ?, ?)",
            (event_id, site, host, kind, at, json.dumps(event, separators=(",", ":"))),
        )
        return cursor.rowcount == 1

    def add_reply(self, site: str, host: str, reply: dict[str, Any]) -> bool:
        """Store a command reply; return False if it was a copy or unusable."""
        reply_id, at = reply.get("reply_id"), reply.get("at")
        if not isinstance(reply_id, str) or not isinstance(at, str):
            return False
        cursor = self.db.execute(
            "INSERT OR IGNORE INTO replies (id, command_id, site, host, result, at, payload)"
            " VALUES (?, ?, ?, ?, ?, ?, ?)",
            (
                reply_id,
                reply.get("command_id"),
                site,
                host,
                str(reply.get("result")),
                at,
                json.dumps(reply, separators=(",", ":")),
            ),
        )
        return cursor.rowcount == 1

    def events(self, since: str | None = None, site: str | None = None) -> list[dict[str, Any]]:
        """Return the stored events (at or after since, of a site), oldest first."""
        query = "SELECT payload FROM events WHERE 1=1"
        arguments: list[str] = []
        if since is not None:
            query += " AND at >= ?"
            arguments.append(since)
        if site is not None:
            query += " AND site = ?"
            arguments.append(site)
        rows = self.db.execute(query + " ORDER BY at, id", arguments).fetchall()
        return [dict(json.loads(row[0])) for row in rows]

    def close(self) -> None:
        self.db.close()


async def collect(
    settings: FleetSettings, store: EventStore, stop: asyncio.Event | None = None
) -> None:
    """Store every event and reply the kiosks publish until stop is set; reconnect forever."""
    if not settings.username:
        raise ConfigError("fleet.username: required to collect (the collector's broker user)")
    prefix = settings.topic_prefix
    stop = stop or asyncio.Event()
    warned = ""
    while not stop.is_set():
        client = make_client(
            settings, f"kioskguard-collector-{settings.username}", username=settings.username,
            persistent=True,
        )  # fmt: skip
        try:
            async with client:
                for leaf in ("events", "replies"):
                    await client.subscribe(kiosk_filter(prefix, leaf), qos=1)
                logger.info(
                    "collector: connected to {}, storing in {}", settings.broker, store.path
                )
                warned = ""
                reader = asyncio.create_task(_store_all(prefix, store, messages(client)))
                stopper = asyncio.create_task(stop.wait())
                done, _ = await asyncio.wait({reader, stopper}, return_when="FIRST_COMPLETED")
                for task in (reader, stopper):
                    task.cancel()
                if reader in done and reader.exception() is not None:
                    raise reader.exception()  # type: ignore[misc]
        except (MqttError, OSError, TimeoutError) as exc:
            if describe(exc) != warned:
                logger.warning(
                    "collector: broker {} unreachable ({})", settings.broker, describe(exc)
                )
            warned = describe(exc)
        if not stop.is_set():
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), settings.reconnect_s)


async def _store_all(prefix: str, store: EventStore, stream: Any) -> None:
    async for message in stream:
        where = split_kiosk_topic(prefix, message.topic)
        if where is None:
            continue
        try:
            data = json.loads(message.payload)
        except ValueError:
            logger.warning("collector: ignored a payload that is not JSON on {}", message.topic)
            continue
        if not isinstance(data, dict):
            continue
        site, host, leaf = where
        if leaf == "events":
            store.add_event(site, host, data)
        elif leaf == "replies":
            store.add_reply(site, host, data)
