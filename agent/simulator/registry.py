"""The phone's list of linked devices, kept in SQLite so that it survives a restart.

Rules of the real service: at most four linked devices; a device inactive for 30 days is
unlinked. Expiry runs on every access, driven by the injected clock.
"""

from __future__ import annotations

import secrets
import sqlite3
from collections.abc import Callable
from dataclasses import asdict, dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

from agent.simulator.clock import Clock, iso

MAX_DEVICES = 4
INACTIVITY_LIMIT = timedelta(days=30)

_SCHEMA = """
CREATE TABLE IF NOT EXISTS devices (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    secret TEXT NOT NULL,
    browser TEXT NOT NULL,
    os TEXT NOT NULL,
    location TEXT NOT NULL,
    network TEXT NOT NULL,
    linked_at TEXT NOT NULL,
    last_active TEXT NOT NULL
)
"""
_COLUMNS = "id, secret, browser, os, location, network, linked_at, last_active"


class TooManyDevices(Exception):
    """A fifth device was refused."""


@dataclass(frozen=True)
class Device:
    """One linked device as the phone lists it (the secret stays out of ``public()``)."""

    id: int
    secret: str
    browser: str
    os: str
    location: str
    network: str
    linked_at: str
    last_active: str

    def public(self) -> dict[str, Any]:
        data = asdict(self)
        del data["secret"]
        return data


class Registry:
    """Linked devices of one account, stored at ``path`` (':memory:' for a throwaway one).

    ``on_unlink`` hears the ids of every device unlinked (by the phone or by expiry), so the
    server can tell those devices' pages.
    """

    def __init__(
        self, path: str | Path, clock: Clock, on_unlink: Callable[[list[int]], None] | None = None
    ) -> None:
        if str(path) != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        self.clock = clock
        self.on_unlink = on_unlink or (lambda ids: None)
        self.connection = sqlite3.connect(str(path), check_same_thread=False)
        self.connection.execute(_SCHEMA)
        self.connection.commit()

    def close(self) -> None:
        self.connection.close()

    def expire(self) -> list[int]:
        """Unlink devices inactive for longer than the limit; return their ids."""
        cutoff = iso(self.clock.now() - INACTIVITY_LIMIT)
        rows = self.connection.execute(
            "SELECT id FROM devices WHERE last_active < ?", (cutoff,)
        ).fetchall()
        self.connection.execute("DELETE FROM devices WHERE last_active < ?", (cutoff,))
        self.connection.commit()
        return self._unlinked([row[0] for row in rows])

    def _unlinked(self, device_ids: list[int]) -> list[int]:
        if device_ids:
            self.on_unlink(device_ids)
        return device_ids

    def devices(self) -> list[Device]:
        """Return the linked devices, oldest first."""
        self.expire()
        rows = self.connection.execute(f"SELECT {_COLUMNS} FROM devices ORDER BY id").fetchall()
        return [Device(*row) for row in rows]

    def get(self, device_id: int) -> Device | None:
        """Given a device id, return the device, or None if it is not linked."""
        return next((device for device in self.devices() if device.id == device_id), None)

    def link(self, browser: str, os: str, location: str, network: str) -> Device:
        """Link a new device and return it. Raise TooManyDevices if four are linked already."""
        if len(self.devices()) >= MAX_DEVICES:
            raise TooManyDevices(f"an account can have at most {MAX_DEVICES} linked devices")
        now = iso(self.clock.now())
        cursor = self.connection.execute(
            "INSERT INTO devices (secret, browser, os, location, network, linked_at, last_active)"
            " VALUES (?, ?, ?, ?, ?, ?, ?)",
            (secrets.token_urlsafe(24), browser, os, location, network, now, now),
        )
        self.connection.commit()
        device = self.get(int(cursor.lastrowid or 0))
        assert device is not None
        return device

    def check(self, device_id: int, secret: str) -> bool:
        """Return True if the device is linked and ``secret`` is its secret."""
        device = self.get(device_id)
        return device is not None and secrets.compare_digest(device.secret, secret)

    def touch(self, device_ids: list[int]) -> None:
        """Mark the given devices active now (their pages are connected)."""
        self.expire()
        now = iso(self.clock.now())
        self.connection.executemany(
            "UPDATE devices SET last_active = ? WHERE id = ?", [(now, i) for i in device_ids]
        )
        self.connection.commit()

    def unlink(self, device_id: int) -> bool:
        """Unlink one device; return False if it was not linked."""
        self.expire()
        cursor = self.connection.execute("DELETE FROM devices WHERE id = ?", (device_id,))
        self.connection.commit()
        return bool(self._unlinked([device_id] if cursor.rowcount else []))

    def unlink_all(self) -> list[int]:
        """Unlink every device; return their ids."""
        ids = [device.id for device in self.devices()]
        self.connection.execute("DELETE FROM devices")
        self.connection.commit()
        return self._unlinked(ids)
