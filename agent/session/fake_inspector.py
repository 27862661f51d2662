"""A ProfileInspector answering from tables, for unit tests of the session service, shipped beside
the real one (agent.session.inspector.HostInspector): no process, port or file is read."""

from __future__ import annotations

import asyncio
import threading
from pathlib import Path

from agent.browser.endpoint import EndpointCheck
from agent.browser.locks import LockState, ProfileLock
from agent.outcome import Linked, ProbeResult


class FakeInspector:
    """Implements agent.session.inspector.ProfileInspector from tables.

    ``locks``, ``endpoints`` and ``linked`` answer per user data dir; a dir not in them is
    unlocked, has no endpoint and stores what the probe cannot tell (Linked.UNKNOWN). ``calls``
    records each question as (method, user data dir, asked on an event loop's thread). With
    ``hold`` set, each call of a method named in ``held`` blocks its thread until the event is
    set, at most ``hold_s`` (real time; ``held_out`` counts the calls that waited that long), as
    a hung port or disk would.
    """

    def __init__(self, hold_s: float = 10.0) -> None:
        self.locks: dict[Path, ProfileLock] = {}
        self.endpoints: dict[Path, EndpointCheck] = {}
        self.linked: dict[Path, Linked] = {}
        self.calls: list[tuple[str, Path, bool]] = []
        self.hold: threading.Event | None = None
        self.hold_s = hold_s
        self.held: tuple[str, ...] = ("lock", "endpoint", "stored")
        self.held_out = 0

    def live(self, user_data_dir: Path, endpoint: str | None = None, port: int = 9) -> None:
        """Have a running browser hold user_data_dir, with endpoint proven on port if given."""
        self.locks[user_data_dir] = ProfileLock(LockState.LIVE, "here", 4242, "browser (fake)")
        if endpoint is not None:
            self.endpoints[user_data_dir] = EndpointCheck(endpoint, port, "proven (fake)")

    def _ask(self, method: str, user_data_dir: Path) -> None:
        try:
            asyncio.get_running_loop()
            on_loop = True
        except RuntimeError:
            on_loop = False
        self.calls.append((method, user_data_dir, on_loop))
        hold = self.hold if method in self.held else None
        if hold is not None and not hold.wait(self.hold_s):
            self.held_out += 1

    def lock(self, user_data_dir: Path) -> ProfileLock:
        self._ask("lock", user_data_dir)
        return self.locks.get(user_data_dir, ProfileLock(LockState.NONE, detail="no lock (fake)"))

    def endpoint(self, user_data_dir: Path, port: int | None, timeout_s: float) -> EndpointCheck:
        self._ask("endpoint", user_data_dir)
        none = EndpointCheck(None, reason="no running browser holds the profile (fake)")
        return self.endpoints.get(user_data_dir, none)

    def stored(self, user_data_dir: Path, url: str) -> list[ProbeResult]:
        self._ask("stored", user_data_dir)
        linked = self.linked.get(user_data_dir, Linked.UNKNOWN)
        return [ProbeResult(str(user_data_dir), url, linked, detail="stored (fake)")]
