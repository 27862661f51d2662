"""The SQLite files of the fleet (the kiosk's outbox, the collector's events): one way to open."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from agent.errors import ConfigError


def open_database(
    path: Path, schema: str, what: str, pragmas: tuple[str, ...] = (), shared: bool = False
) -> sqlite3.Connection:
    """Given a path and its schema, open (or create) the file in autocommit and WAL mode.

    pragmas run after WAL is on; shared lets other threads use the connection. Raise ConfigError
    naming ``what`` and the file if it cannot be opened or the schema cannot be applied.
    """
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        db = sqlite3.connect(path, isolation_level=None, check_same_thread=not shared)
        db.execute("PRAGMA journal_mode=WAL")
        for pragma in pragmas:
            db.execute(f"PRAGMA {pragma}")
        db.executescript(schema)
    except (OSError, sqlite3.Error) as exc:
        raise ConfigError(f"{what} {path}: {exc}") from exc
    return db
