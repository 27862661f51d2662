"""The kiosk's outbox: audit events wait on disk until the broker acknowledged them.

An SQLite file in the state directory. put() is a local insert (a millisecond), so a logout
never waits for the network; the publisher deletes a row only after the broker's PUBACK. A
crash between the PUBACK and the delete resends the event once: its id lets the collector
drop the copy. The same file remembers which commands were carried out (no second run).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

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
"""


class Outbox:
    """Events not yet acknowledged by the broker, oldest first."""

    def __init__(self, path: Path) -> None:
        """Open (or create) the outbox at path. Raise ConfigError if it cannot be opened."""
        self.path = path
        self._db = open_database(
            path, _SCHEMA, "fleet outbox", pragmas=("synchronous=NORMAL",), shared=True
        )

    def put(self, event_id: str, topic: str, message: dict[str, Any]) -> None:
        """Store one event to be published (a second put of the same id is ignored)."""
        self._db.execute(
            "INSERT OR IGNORE INTO outbox (id, topic, payload) VALUES (?, ?, ?)",
            (event_id, topic, json.dumps(message, separators=(",", ":"), ensure_ascii=False)),
        )

    def pending(self, limit: int = 100) -> list[tuple[str, str, bytes]]:
        """Return up to limit (id, topic, payload) rows, oldest first."""
        rows = self._db.execute(
            "SELECT id, topic, payload FROM outbox ORDER BY seq LIMIT ?", (limit,)
        ).fetchall()
        return [(row[0], row[1], row[2].encode()) for row in rows]

    def sent(self, event_id: str) -> None:
        """Forget an event the broker acknowledged."""
        self._db.execute("DELETE FROM outbox WHERE id = ?", (event_id,))

    def count(self) -> int:
        return int(self._db.execute("SELECT COUNT(*) FROM outbox").fetchone()[0])

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
        self._db.close()
