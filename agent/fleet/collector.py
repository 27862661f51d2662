"""The collector: every kiosk's audit events and command replies, checked, stored once, in
SQLite, and acknowledged to the kiosk by id once stored.

A persistent MQTT session (client id kioskguard-collector-<user>), so events published while
the collector is away wait on the broker. Each event has an id: a copy (the kiosk publishes an
event again until the collector acknowledges it) is ignored by the primary key and
acknowledged again. Messages are stored in batches, one transaction each, then each kiosk gets
one acknowledgement ({"ids": [...]}) on PREFIX/ack/<site>/<host>, a topic only the collector
may publish to (the ACL): the kiosk's outbox forgets an event only then.

Nothing a kiosk says about another is trusted (agent/fleet/checks.py): an event whose site,
host or id is not its topic's, a logout no command or trigger explains, or a burst beyond what
a kiosk can do, is rejected: kept apart with the reason (`fleet report` shows them), counted,
logged, and acknowledged (publishing it again would not change the answer).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections import defaultdict
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from loguru import logger

from agent.clock import Clock, SystemClock
from agent.errors import ConfigError
from agent.fleet.checks import CLOCK_SKEW, Verdict, check_event, check_reply
from agent.fleet.connection import BrokerError, Refused, describe, make_client
from agent.fleet.database import open_database
from agent.fleet.ports import ClientFactory, Incoming, MqttClient
from agent.fleet.topics import (
    ack_topic,
    encode,
    iso,
    kiosk_filter,
    new_id,
    split_kiosk_topic,
)
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
CREATE INDEX IF NOT EXISTS events_host_kind_at ON events (site, host, kind, at);
CREATE TABLE IF NOT EXISTS replies (
    id TEXT PRIMARY KEY,
    command_id TEXT,
    site TEXT NOT NULL,
    host TEXT NOT NULL,
    result TEXT NOT NULL,
    at TEXT NOT NULL,
    payload TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS commands (
    id TEXT PRIMARY KEY,
    target TEXT NOT NULL,
    at TEXT NOT NULL,
    payload TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS presence (
    site TEXT NOT NULL,
    host TEXT NOT NULL,
    online INTEGER NOT NULL,
    reason TEXT,
    since TEXT NOT NULL,
    PRIMARY KEY (site, host)
);
CREATE TABLE IF NOT EXISTS rejected (
    site TEXT NOT NULL,
    host TEXT NOT NULL,
    id TEXT NOT NULL,
    leaf TEXT NOT NULL,
    reason TEXT NOT NULL,
    received_at TEXT NOT NULL,
    payload TEXT NOT NULL,
    PRIMARY KEY (site, host, id)
);
"""
BATCH = 1000  # messages stored in one transaction, at most


class EventStore:
    """The SQLite file of collected events."""

    def __init__(self, path: Path, clock: Clock | None = None) -> None:
        """Open or create the store. Raise ConfigError naming the file if it cannot be."""
        self.path = path
        self.clock = clock or SystemClock(UTC)
        self.db = open_database(path, _SCHEMA, "fleet events database")

    def add_event(self, site: str, host: str, event: dict[str, Any]) -> bool:
        """Store an event published on site/host after its checks; return False if it was a
        copy or rejected (rejected events are kept in `rejected`)."""
        return self._add(site, host, "events", event) == "stored"

    def add_message(self, prefix: str, message: Incoming) -> tuple[str, str, str] | None:
        """Store one message as the collector receives it (an event, a reply or a command).

        Return (site, host, id) to acknowledge to the kiosk, or None (nothing to acknowledge).
        """
        command = message.topic.startswith(f"{prefix}/cmd/")
        where = None if command else split_kiosk_topic(prefix, message.topic)
        try:
            data = json.loads(message.payload)
        except (ValueError, UnicodeDecodeError):
            data = None
        if command:
            self._add_command(data)
            return None
        if where is not None and where[2] == "presence":
            self.note_presence(where[0], where[1], data if message.payload else None)
            return None
        if where is None or where[2] not in ("events", "replies"):
            return None
        site, host, leaf = where
        if not isinstance(data, dict):
            self._reject(site, host, leaf, None, "not a JSON object", message.payload)
            return None
        self._add(site, host, leaf, data)
        key = "id" if leaf == "events" else "reply_id"
        event_id = data.get(key)
        return (site, host, event_id) if isinstance(event_id, str) and event_id else None

    def note_presence(self, site: str, host: str, data: Any) -> None:
        """Remember a kiosk's presence: online, or offline with the reason (stopped, shutdown,
        lost) and since when: the kiosk's own time for an orderly stop, else when first heard
        (a will carries no time). The same state heard again keeps its since; None (an empty
        retained message: `fleet retire`) forgets the kiosk; anything else is ignored."""
        if data is None:
            self.db.execute("DELETE FROM presence WHERE site = ? AND host = ?", (site, host))
            return
        if not isinstance(data, dict) or not isinstance(data.get("online"), bool):
            return
        online, reason = data["online"], data.get("reason")
        reason = None if online or not isinstance(reason, str) else reason[:40]
        row = self.db.execute(
            "SELECT online, reason FROM presence WHERE site = ? AND host = ?", (site, host)
        ).fetchone()
        if row is not None and (bool(row[0]), row[1]) == (online, reason):
            return
        said = data.get("at")
        now = self.clock.now()
        since = said if isinstance(said, str) and _plausible(said, now) else iso(now)
        self.db.execute(
            "INSERT OR REPLACE INTO presence (site, host, online, reason, since)"
            " VALUES (?, ?, ?, ?, ?)",
            (site, host, int(online), reason, since),
        )

    def presence(self, site: str | None = None) -> list[dict[str, Any]]:
        """Return each kiosk's last presence (of a site): site, host, online, reason, since."""
        names = ("site", "host", "online", "reason", "since")
        select = f"SELECT {', '.join(names)} FROM presence"
        rows = self._select(select, "since", None, site, "site, host")
        return [{**dict(zip(names, row, strict=True)), "online": bool(row[2])} for row in rows]

    def _add(self, site: str, host: str, leaf: str, data: dict[str, Any]) -> str:
        table, key = ("events", "id") if leaf == "events" else ("replies", "reply_id")
        if isinstance(data.get(key), str):
            same = self.db.execute(
                f"SELECT 1 FROM {table} WHERE id = ? AND site = ? AND host = ?",
                (data[key], site, host),
            ).fetchone()
            if same is not None:
                return "copy"  # published again before our acknowledgement reached the kiosk
        verdict: Verdict = (
            check_event(site, host, data, self.db, self.clock.now())
            if leaf == "events"
            else check_reply(site, host, data, self.clock.now())
        )
        payload = json.dumps(data, separators=(",", ":"))
        if verdict.reason is not None:
            self._reject(site, host, leaf, data.get(verdict.id_key), verdict.reason, payload)
            return "rejected"
        if leaf == "events":
            cursor = self.db.execute(
                "INSERT OR IGNORE INTO events (id, site, host, kind, at, payload)"
                " VALUES (?, ?, ?, ?, ?, ?)",
                (data["id"], site, host, data["kind"], data["at"], payload),
            )
        else:
            cursor = self.db.execute(
                "INSERT OR IGNORE INTO replies (id, command_id, site, host, result, at, payload)"
                " VALUES (?, ?, ?, ?, ?, ?, ?)",
                (
                    data["reply_id"],
                    data.get("command_id"),
                    site,
                    host,
                    str(data.get("result")),
                    data["at"],
                    payload,
                ),
            )
        return "stored" if cursor.rowcount == 1 else "copy"

    def _add_command(self, data: Any) -> None:
        if not isinstance(data, dict):
            return
        command_id, target, at = data.get("id"), data.get("target"), data.get("issued_at")
        if all(isinstance(value, str) and value for value in (command_id, target, at)):
            self.db.execute(
                "INSERT OR IGNORE INTO commands (id, target, at, payload) VALUES (?, ?, ?, ?)",
                (command_id, target, at, json.dumps(data, separators=(",", ":"))),
            )

    def _reject(
        self, site: str, host: str, leaf: str, item_id: Any, reason: str, payload: Any
    ) -> None:
        key = item_id if isinstance(item_id, str) and item_id else new_id("no-id")
        text = payload if isinstance(payload, str) else bytes(payload).decode("utf-8", "replace")
        cursor = self.db.execute(
            "INSERT OR IGNORE INTO rejected (site, host, id, leaf, reason, received_at, payload)"
            " VALUES (?, ?, ?, ?, ?, ?, ?)",
            (site, host, key, leaf, reason, iso(self.clock.now()), text[:4000]),
        )
        if cursor.rowcount == 1:
            logger.warning("collector: rejected a message from {}/{}: {}", site, host, reason)

    def store_batch(self, prefix: str, batch: list[Incoming]) -> dict[tuple[str, str], list[str]]:
        """Store messages in one transaction; return, per kiosk, the ids to acknowledge."""
        acks: dict[tuple[str, str], list[str]] = defaultdict(list)
        self.db.execute("BEGIN IMMEDIATE")
        try:
            for message in batch:
                stored = self.add_message(prefix, message)
                if stored is not None:
                    acks[(stored[0], stored[1])].append(stored[2])
        except BaseException:
            self.db.execute("ROLLBACK")
            raise
        self.db.execute("COMMIT")
        return acks

    def events(self, since: str | None = None, site: str | None = None) -> list[dict[str, Any]]:
        """Return the stored events (at or after since, of a site), oldest first."""
        rows = self._select("SELECT payload FROM events", "at", since, site, "at, id")
        return [dict(json.loads(row[0])) for row in rows]

    def rejected(self, since: str | None = None, site: str | None = None) -> list[dict[str, Any]]:
        """Return the rejected messages (received at or after since, of a site), oldest first:
        site, host, id, leaf, reason, received_at."""
        names = ("site", "host", "id", "leaf", "reason", "received_at")
        select = f"SELECT {', '.join(names)} FROM rejected"
        rows = self._select(select, "received_at", since, site, "received_at, id")
        return [dict(zip(names, row, strict=True)) for row in rows]

    def _select(
        self, select: str, time_column: str, since: str | None, site: str | None, order: str
    ) -> list[Any]:
        """Given a SELECT without WHERE, return its rows at or after since, of a site."""
        conditions, arguments = [], []
        if since is not None:
            conditions.append(f"{time_column} >= ?")
            arguments.append(since)
        if site is not None:
            conditions.append("site = ?")
            arguments.append(site)
        where = f" WHERE {' AND '.join(conditions)}" if conditions else ""
        return self.db.execute(f"{select}{where} ORDER BY {order}", arguments).fetchall()

    def close(self) -> None:
        """Close the file."""
        self.db.close()


async def collect(
    settings: FleetSettings,
    store: EventStore,
    stop: asyncio.Event | None = None,
    connect: ClientFactory = make_client,
) -> None:
    """Store every event and reply the kiosks publish until stop is set; reconnect forever
    (connect: makes the MQTT client)."""
    if not settings.username:
        raise ConfigError("fleet.username: required to collect (the collector's broker user)")
    prefix = settings.topic_prefix
    stop = stop or asyncio.Event()
    warned = ""
    while not stop.is_set():
        client = connect(
            settings, f"kioskguard-collector-{settings.username}", username=settings.username,
            persistent=True,
        )  # fmt: skip
        try:
            async with client:
                for leaf in ("events", "replies", "presence"):
                    await client.subscribe(kiosk_filter(prefix, leaf))
                await client.subscribe(f"{prefix}/cmd/#")  # a fleet logout needs one
                logger.info(
                    "collector: connected to {}, storing in {}", settings.broker, store.path
                )
                warned = ""
                reader = asyncio.create_task(_store_all(prefix, store, client))
                stopper = asyncio.create_task(stop.wait())
                done, _ = await asyncio.wait({reader, stopper}, return_when="FIRST_COMPLETED")
                for task in (reader, stopper):
                    task.cancel()
                await asyncio.gather(reader, stopper, return_exceptions=True)
                if reader in done and reader.exception() is not None:
                    raise reader.exception()  # type: ignore[misc]
        except (BrokerError, OSError, TimeoutError) as exc:
            if describe(exc) != warned:
                logger.warning(
                    "collector: broker {} unreachable ({})", settings.broker, describe(exc)
                )
            warned = describe(exc)
        if not stop.is_set():
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(settings.reconnect_s):
                    await stop.wait()


async def _store_all(prefix: str, store: EventStore, client: MqttClient) -> None:
    """Read messages as they come; store what arrived in one transaction, then acknowledge."""
    queue: asyncio.Queue[Incoming] = asyncio.Queue()

    async def read() -> None:
        async for message in client.messages():
            queue.put_nowait(message)

    reader = asyncio.create_task(read())
    try:
        while True:
            getter = asyncio.ensure_future(queue.get())
            done, _ = await asyncio.wait({getter, reader}, return_when="FIRST_COMPLETED")
            if getter not in done:
                getter.cancel()
                reader.result()  # the connection broke: raise its error
                return
            batch = [getter.result()]
            while not queue.empty() and len(batch) < BATCH:
                batch.append(queue.get_nowait())
            acks = store.store_batch(prefix, batch)
            for (site, host), ids in acks.items():
                try:
                    await client.publish(ack_topic(prefix, site, host), encode({"ids": ids}))
                except Refused as exc:  # the kiosks publish them again: stored once, still
                    logger.error(
                        "collector: {}; the kiosks keep and resend these events: give this"
                        " account the collector role (`fleet acl`)",
                        exc,
                    )
    finally:
        reader.cancel()
        await asyncio.gather(reader, return_exceptions=True)


def _plausible(text: str, now: datetime) -> bool:
    """Given a text and the collector's now, return whether the text is an ISO time with a zone,
    not in the future (clock skew aside)."""
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        return False
    return moment.tzinfo is not None and moment <= now + CLOCK_SKEW
