"""A scripted tab and a driver handing it out, for unit tests of the session layer, shipped
beside the real ones (agent.browser.cdp.CdpTab / relaunch.Tab and agent.browser.driver.Driver).

FakeDriver lives here rather than in agent/browser/ because it hands out FakeTab, which speaks
the session layer's scripts: the browser layer never imports the session layer.

The page is a raw reading: the dict the reader (agent/session/reader) would return. Clicking a
marked control runs the handler registered for its mark name (``on_click["opener-menu"]``), which
changes the page, the storage or both. The client's own logout function is a handler too
(``client``). A fake clock moves on by ``tick`` seconds at every evaluation, so timeouts play out
without waiting.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from agent.browser.discovery import Browser
from agent.browser.driver import Session
from agent.browser.network import NetworkLog
from agent.errors import DriverError
from agent.outcome import LogoutPath
from agent.platform.fakeclock import FakeClock
from agent.probe.probe import SESSION_KEYS
from agent.session.logout import ESCAPE_SCRIPT, client_logout_script
from agent.session.pagestate import LEAVE_SCRIPT

Raw = dict[str, Any]
Handler = Callable[["FakeTab"], None]
ClientHandler = Callable[["FakeTab"], Raw]
CLOCK_ORIGIN = 1000.0  # the monotonic reading a fake tab's and driver's clock start at


def chats(**fields: Any) -> Raw:
    """Return a raw reading of the chat list; fields override (openers, logout_item, ...)."""
    return {"state": "chats", "openers": [], **fields}


def opener(kind: str, evidence: str = "icon") -> Raw:
    """Return one raw opener entry ("menu" or "settings"), marked opener-<kind>."""
    return {"target": f"opener-{kind}", "how": kind, "evidence": evidence}


def item(text: str = "log out", how: str = "words") -> Raw:
    """Return a raw logout item entry, marked logout-item."""
    return {"target": "logout-item", "text": text, "how": how}


def confirm_dialog(confirm: bool = True, **fields: Any) -> Raw:
    """Return a raw reading of the chats under the confirm dialog (with or without a button)."""
    dialog = {"kind": "confirm", "confirm": "confirm" if confirm else None, "how": "words"}
    return {**chats(**fields), "dialog": dialog}


def modal(dismiss: bool = True, how: str = "words", **fields: Any) -> Raw:
    """Return a raw reading of the chats under a modal without logout words."""
    dialog = {"kind": "modal", "dismiss": "dismiss" if dismiss else None, "how": how}
    return {**chats(**fields), "dialog": dialog}


def another_session(**fields: Any) -> Raw:
    """Return a raw reading of the "open in another window" screen with its Use here button."""
    return {"state": "another_session", "use_here": "use-here", **fields}


def qr() -> Raw:
    return {"state": "qr"}


class FakeTab:
    """Implements agent.browser.bounded.RawTab (so agent.session.pagestate.PageLike) over a
    scripted page. ``failure``: every call raises it (a page that never answers); ``dialogs``:
    the JavaScript dialogs the tab reports as answered; ``network``: its traffic log (append to
    ``network.failed`` or ``network.answered`` in a handler to say how the unpair went)."""

    def __init__(
        self,
        page: Raw,
        on_click: dict[str, Handler] | None = None,
        client: ClientHandler | Exception | None = None,
        storage: dict[str, str] | None = None,
        tick: float = 0.05,
        origin: str = "http://127.0.0.1:1",
    ) -> None:
        self.origin = origin
        self.page = page
        self.on_click = on_click or {}
        self.client = client
        self.storage: dict[str, str] = (
            dict(storage) if storage is not None else {key: "x" for key in SESSION_KEYS}
        )
        self.clock = FakeClock(origin=CLOCK_ORIGIN)
        self.tick = tick
        self.seq = 0
        self.clicks: list[str] = []  # mark names, in order
        self.left = 0  # times the agent removed its marks and change counter from the page
        self.arguments: list[Any] = []  # what each reading was asked (baseline, labels, ...)
        self.client_calls = 0
        self.gotos: list[str] = []
        self.escapes = 0  # Escape key presses sent to the page
        self.on_escape: Handler | None = None
        self.network = NetworkLog(origin, clock=lambda: self.clock())
        self.dialogs: list[str] = []
        self.failure: Exception | None = None
        self.cleared: list[tuple[str, ...]] = []  # storage types of each clear_origin_data call

    @property
    def url(self) -> str:
        return self.origin + "/"

    def show(self, page: Raw) -> None:
        """Change the page (as a DOM mutation would)."""
        self.page = page
        self.seq += 1

    def log_out(self) -> None:
        """What the client does on logout: keys gone, QR shown."""
        self.storage.clear()
        self.show(qr())

    async def evaluate(self, script: str, argument: Any = None) -> Any:
        self.clock.advance(self.tick)
        if self.failure is not None:
            raise self.failure
        if script == client_logout_script():
            self.client_calls += 1
            if isinstance(self.client, Exception):
                raise self.client
            if self.client is None:
                return {"available": False, "called": False, "reason": "no require"}
            return self.client(self)
        if script == LEAVE_SCRIPT:
            self.left += 1
            return True
        if script == ESCAPE_SCRIPT:
            self.escapes += 1
            if self.on_escape is not None:
                self.on_escape(self)
            return True
        if isinstance(argument, str):  # the reading's argument travels as JSON text
            argument = json.loads(argument)
        self.arguments.append(argument)
        reading = {"seq": self.seq, "url": self.url, **self.page}
        if reading.get("baseline") != "missing" and isinstance(argument, dict):
            # as the reader answers: a reading asked to take the baseline took it
            reading["baseline"] = "taken" if argument.get("baseline") != "use" else "used"
        return reading

    async def click(self, selector: str, timeout_s: float) -> None:
        self.clock.advance(self.tick)
        name = selector.removeprefix('[data-kioskguard="').removesuffix('"]')
        self.clicks.append(name)
        handler = self.on_click.get(name)
        if handler is None:
            raise DriverError(f"fake tab: nothing to click at {selector}")
        handler(self)

    async def click_at(self, x: float, y: float) -> None:
        raise DriverError("fake tab: readings carry no click points")

    async def goto(self, url: str, timeout_s: float) -> None:
        self.gotos.append(url)
        self.seq += 1

    async def local_storage(self, keys: Sequence[str]) -> dict[str, str | None]:
        if self.failure is not None:
            raise self.failure
        return {key: self.storage.get(key) for key in keys}

    async def clear_origin_data(self, storage_types: Sequence[str]) -> None:
        if self.failure is not None:
            raise self.failure
        self.cleared.append(tuple(storage_types))
        self.storage.clear()


TabMaker = Callable[[LogoutPath], FakeTab]


class FakeDriver:
    """Implements agent.browser.driver.BrowserDriver with FakeTab sessions (no browser).

    ``make_tab(path)`` builds the tab each attach (warm) or launch (cold) hands out; the driver
    gives it its own clock, so a SessionService built with ``clock=driver.clock`` and the page
    share one time. It records what was asked (``attaches``: (endpoint, open_if_missing);
    ``launches``: user data dirs; ``closes``: the paths of the sessions closed, in order) and
    fails on demand: ``fail_start``, ``fail_attach``, ``fail_launch`` are raised instead
    (DriverError, BrowserClosed, DeadlineExceeded, ...). ``launch_pause_s`` makes each launch
    wait that long (real time), so concurrent launches overlap; ``peak`` is the most sessions
    open at once.
    """

    def __init__(
        self, make_tab: TabMaker, clock: FakeClock | None = None, launch_pause_s: float = 0.0
    ) -> None:
        self.clock = clock or FakeClock(origin=CLOCK_ORIGIN)
        self.make_tab = make_tab
        self.launch_pause_s = launch_pause_s
        self.open = self.peak = 0
        self.started = self.stopped = 0
        self.attaches: list[tuple[str, bool]] = []
        self.launches: list[Path] = []
        self.closes: list[LogoutPath] = []
        self.tabs: list[FakeTab] = []
        self.fail_start: Exception | None = None
        self.fail_attach: Exception | None = None
        self.fail_launch: Exception | None = None

    async def start(self) -> FakeDriver:
        if self.fail_start is not None:
            raise self.fail_start
        self.started += 1
        return self

    async def stop(self) -> None:
        self.stopped += 1

    def _session(self, path: LogoutPath) -> Session:
        tab = self.make_tab(path)
        tab.clock = self.clock
        self.tabs.append(tab)
        self.open += 1
        self.peak = max(self.peak, self.open)

        async def release(timeout_s: float) -> None:
            self.open -= 1
            self.closes.append(path)

        return Session(path, tab, release)

    async def attach(
        self,
        endpoint: str,
        client_url: str,
        timeout_s: float,
        allow_remote: bool = False,
        open_if_missing: bool = True,
        unblock: Callable[[str], None] | None = None,
    ) -> Session:
        self.attaches.append((endpoint, open_if_missing))
        if self.fail_attach is not None:
            raise self.fail_attach
        return self._session(LogoutPath.WARM)

    async def launch(
        self,
        user_data_dir: Path,
        client_url: str,
        executable: Browser,
        timeout_s: float,
        headless: bool = True,
    ) -> Session:
        self.launches.append(user_data_dir)
        if self.launch_pause_s:
            await asyncio.sleep(self.launch_pause_s)
        if self.fail_launch is not None:
            raise self.fail_launch
        return self._session(LogoutPath.COLD)
