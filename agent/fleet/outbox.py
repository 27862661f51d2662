"""The kiosk's outbox: audit events wait on disk until the collector has stored them.

An SQLite file in the state directory. put() is a local insert (a millisecond), so a logout
never waits for the network. The broker's PUBACK deletes nothing: it only says the broker took
the message, not that the collector got it (the broker drops messages for a subscriber whose
queue is full, or that its ACL denies). A row goes only when the collector acknowledges its id
(acknowledged()); until then the kiosk publishes it again now and then, and the collector
stores each id once. The daemon and a manual `kioskguard logout` write the same file (WAL).
The file also remembers which commands were carried out (no second run) and the broker's last
refusal (shown by `fleet status` on the kiosk).
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from datetime import UTC
from pathlib import Path
from typing import Any

from agent.clock import Clock, SystemClock
from agent.fleet.database import open_database

_SCHEMA = """
CREATE TABLE IF NOT EXISTS outbox (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    id TEXT UNIQUE NOT NULL,
    topic TEXT NOT NULL,
    payload TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS commands_done (
    id TEXT PRIMARY KEY,
    reply TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS notes (
    key TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
"""
_REFUSAL = "refusal"


class Outbox:
    """Events not yet stored by the collector, oldest first."""

    def __init__(self, path: Path, clock: Clock | None = None) -> None:
        """Open (or create) the outbox at path. Raise ConfigError if it cannot be opened."""
        self.path = path
        self._clock = clock or SystemClock(UTC)
        self._db = open_database(
            path, _SCHEMA, "fleet outbox", pragmas=("synchronous=NORMAL",), shared=True
        )
        columns = {row[1] for row in self._db.execute("PRAGMA table_info(outbox)")}
        if "queued_at" not in columns:  # an outbox written by an earlier version
            self._db.execute("ALTER TABLE outbox ADD COLUMN queued_at REAL")

    def put(self, event_id: str, topic: str, message: dict[str, Any]) -> None:
        """Store one event to be published (a second put of the same id is ignored)."""
        self._db.execute(
            "INSERT OR IGNORE INTO outbox (id, topic, payload, queued_at) VALUES (?, ?, ?, ?)",
            (
                event_id,
                topic,
                json.dumps(message, separators=(",", ":"), ensure_ascii=False),
                self._clock.now().timestamp(),
            ),
        )

    def pending(self, limit: int = 100) -> list[tuple[str, str, bytes]]:
        """Return up to limit (id, topic, payload) rows, oldest first."""
        return [row[1:] for row in self.after(0, limit)]

    def after(self, seq: int, limit: int) -> list[tuple[int, str, str, bytes]]:
        """Return up to limit (seq, id, topic, payload) rows queued after seq, oldest first."""
        rows = self._db.execute(
            "SELECT seq, id, topic, payload FROM outbox WHERE seq > ? ORDER BY seq LIMIT ?",
            (seq, limit),
        ).fetchall()
        return [(row[0], row[1], row[2], row[3].encode()) for row in rows]

    def rows(self, event_ids: list[str]) -> list[tuple[str, str, bytes]]:
        """Return the (id, topic, payload) rows of those ids still waiting, oldest first."""
        found: list[tuple[int, str, str, str]] = []
        for start in range(0, len(event_ids), 500):  # SQLite's limit on bound parameters
            chunk = event_ids[start : start + 500]
            marks = ",".join("?" * len(chunk))
            found += self._db.execute(
                f"SELECT seq, id, topic, payload FROM outbox WHERE id IN ({marks})", chunk
            ).fetchall()
        return [(row[1], row[2], row[3].encode()) for row in sorted(found)]

    def acknowledged(self, event_ids: Iterable[str]) -> int:
        """Forget the events the collector stored; return how many rows went."""
        ids = list(event_ids)
        gone = 0
        for start in range(0, len(ids), 500):  # SQLite's limit on bound parameters
            chunk = ids[start : start + 500]
            marks = ",".join("?" * len(chunk))
            gone += self._db.execute(f"DELETE FROM outbox WHERE id IN ({marks})", chunk).rowcount
        return gone

    def count(self) -> int:
        """Return how many events wait."""
        return int(self._db.execute("SELECT COUNT(*) FROM outbox").fetchone()[0])

    def oldest_age_s(self, now: float | None = None) -> float:
        """Return the seconds the oldest waiting event has waited (0 when none waits)."""
        row = self._db.execute("SELECT MIN(queued_at) FROM outbox").fetchone()
        if row[0] is None:
            return 0.0
        now = self._clock.now().timestamp() if now is None else now
        return max(0.0, now - float(row[0]))

    def note_refusal(self, text: str | None) -> None:
        """Remember the broker's last refusal (None: the last publish went through)."""
        if text is None:
            self._db.execute("DELETE FROM notes WHERE key = ?", (_REFUSAL,))
        else:
            self._db.execute(
                "INSERT OR REPLACE INTO notes (key, value) VALUES (?, ?)", (_REFUSAL, text)
            )

    def refusal(self) -> str | None:
        """Return the broker's last refusal still standing, or None."""
        row = self._db.execute("SELECT value FROM notes WHERE key = ?", (_REFUSAL,)).fetchone()
        return str(row[0]) if row else None

    def done_reply(self, command_id: str) -> dict[str, Any] | None:
        """Return the reply of a command already carried out, or None."""
        row = self._db.execute(
            "SELECT reply FROM commands_done WHERE id = ?", (command_id,)
        ).fetchone()
        return dict(json.loads(row[0])) if row else None

    def remember(self, command_id: str, reply: dict[str, Any]) -> None:
        """Record that a command was carried out, with its reply."""
        self._db.execute(
            "INSERT OR REPLACE INTO commands_done (id, reply) VALUES (?, ?)",
            (command_id, json.dumps(reply, separators=(",", ":"))),
        )

    def close(self) -> None:
        """Close the file."""
        self._db.close()
