"""What one in-page logout shares between its screens: the tab, the deadline, the report, and
the acts every screen may take (read, click, verify, give the UI path up).

The screens themselves (agent.session.screens) each keep their own small state; this module
holds only what more than one of them reads: when the logout was confirmed, and whether the
client function was tried.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cache
from importlib import resources

from loguru import logger

from agent.errors import BrowserClosed, DriverError
from agent.outcome import PageState
from agent.probe.probe import SESSION_KEYS
from agent.session.pagestate import Inspection, Memory, PageLike, inspect

POLL_S = 0.05  # storage polling while the keys disappear (storage changes fire no DOM event)
WAIT_S = 0.25  # longest wait for the page to change before reading it again anyway
NAV_RETRY_S = 0.005  # first pause after a navigation destroyed the script context (doubles)
MENU_PATIENCE_S = 3.0  # a menu opened this long ago without a logout item gets another click
CONFIRM_PATIENCE_S = 6.0  # after confirming, how long chats may still show before trying again
KEYS_GRACE_S = 1.5  # QR shown: how long the keys may take to disappear
UNKNOWN_RELOAD_S = 6.0  # an unrecognised page this long gets reloaded
OPENER_CLICKS = 2  # clicks an opener gets (MENU_PATIENCE_S apart) before it counts as tried
NO_OPENER_S = 1.5  # chats shown this long without any opener: the UI path cannot start
CONFIRM_AMBIGUOUS_S = 1.0  # a confirm dialog without a unique confirm button this long
UI_SHARE = 0.5  # share of the time available after which the UI path gives way
CLIENT_EVENT_WAIT_MS = 4000  # longest wait for the client's "logout" event after the call
USE_HERE_PATIENCE_S = 3.5  # after a Use here click, how long the screen may take to change
ITEM_CLICKS = 2  # clicks the Log out item gets without a confirm appearing before the UI gives way
DISMISS_CLICKS = 2  # clicks one modal's dismiss control gets before Escape, then the next path
BANNER_CLICKS = 2  # clicks the notification banner's close control gets
PATHS = ("ui", "client_function")

# Escape on whatever has the focus (the client closes its modals on Escape).
ESCAPE_SCRIPT = """() => {
  const target = document.activeElement || document.body || document.documentElement;
  for (const type of ["keydown", "keyup"]) {
    target.dispatchEvent(new KeyboardEvent(type, { key: "Escape", code: "Escape", keyCode: 27,
      which: 27, bubbles: true, cancelable: true }));
  }
  return true;
}"""


@cache
def client_logout_script() -> str:
    """Return client_logout.js: the client's own logout function, called from the page."""
    return resources.files("agent.session").joinpath("client_logout.js").read_text(encoding="utf-8")


@dataclass
class LogoutReport:
    """What the in-page logout saw and did."""

    state_before: PageState = PageState.UNKNOWN
    confirmed: bool = False  # the final logout control was clicked
    reached_qr: bool = False
    verified: bool = False
    nothing_to_do: bool = False
    keys_left: list[str] = field(default_factory=list)
    device_unlinked: bool | None = None
    attempts: int = 0
    steps: list[str] = field(default_factory=list)
    error: str | None = None
    # which path confirmed: "ui:menu", "ui:settings", "ui:list" (a list already open),
    # "ui:conflict", "client_function"; "" when nothing was confirmed
    how: str = ""
    evidence: list[str] = field(default_factory=list)  # what singled out each control
    ui_failed: str | None = None  # why the UI path gave way, when it did
    client_failed: str | None = None  # why the client function could not run, when it could not


async def stored_keys(tab: PageLike, keys: tuple[str, ...] = SESSION_KEYS) -> list[str]:
    """Return which of the session keys the page's localStorage still holds."""
    values = await tab.local_storage(list(keys))
    return [key for key, value in values.items() if value is not None]


class Run:
    """One logout's shared services: the tab, the deadline, the report and the common acts."""

    def __init__(
        self,
        tab: PageLike,
        client_url: str,
        deadline: float,
        clock: Callable[[], float],
        paths: tuple[str, ...] = PATHS,
    ):
        self.tab = tab
        self.client_url = client_url
        self.deadline = deadline
        self.clock = clock
        self.paths = paths
        self.started = clock()
        self.ui_enabled = "ui" in paths
        self.client_enabled = "client_function" in paths
        self.client_tried = False
        self.confirmed_at: float | None = None  # when the last confirm (or client call) started
        self.memory = Memory()
        self.report = LogoutReport()
        self.failures = 0
        self.click_started = 0.0
        self.after: Inspection | None = None  # the next reading waits for a change after this

    def remaining(self) -> float:
        """Return the seconds left before the deadline (negative once it passed)."""
        return self.deadline - self.clock()

    def settle(self, reading: Inspection) -> None:
        """Make the next reading wait for the page to change after this one (WAIT_S at most)."""
        self.after = reading

    def confirmed(self, at: float, how: str) -> None:
        """Record that the logout was confirmed at ``at`` by the path ``how``."""
        self.confirmed_at = at
        self.report.confirmed = True
        self.report.how = how

    async def read(self) -> Inspection:
        """Read the page, first waiting for a change when the last step asked for one."""
        after, self.after = self.after, None
        wait_s = min(WAIT_S, max(self.remaining(), 0.0))
        return await inspect(self.tab, self.memory, after=after, wait_s=wait_s)

    async def click(self, reading: Inspection, selector: str, step: str) -> bool:
        """Click a control of this reading: at its point when the reading found one (the control
        was on top, enabled and still), else through Playwright's waits for clickability."""
        self.report.steps.append(step)
        self.report.attempts += 1
        # The page may act (and the server answer) before the click call returns.
        self.click_started = self.clock()
        point = reading.points.get(selector)
        try:
            if point is not None:
                await self.tab.click_at(*point)
            else:
                await self.tab.click(selector, timeout_s=min(2.0, max(self.remaining(), 0.05)))
        except DriverError as exc:
            self.failures += 1
            backoff = min(0.2 * 2 ** (self.failures - 1), 1.6)
            logger.debug("step {} failed ({}); retrying in {:.1f} s", step, exc, backoff)
            await asyncio.sleep(min(backoff, max(self.remaining(), 0)))
            return False
        # Read again once the click shows (anything changed since the reading before it), not
        # straight away: a reading taken before the page reacted is wasted.
        self.settle(reading)
        return True

    async def verify(self) -> None:
        """The QR screen is back: wait (KEYS_GRACE_S at most) for the session keys to go, and
        read from the network log whether the unpair reached the server."""
        report = self.report
        report.reached_qr = True
        grace_end = min(self.clock() + KEYS_GRACE_S, self.deadline)
        keys = await stored_keys(self.tab)
        while keys and self.clock() < grace_end:
            await asyncio.sleep(POLL_S)
            keys = await stored_keys(self.tab)
        report.keys_left = keys
        report.verified = not keys
        if self.confirmed_at is not None:
            network = getattr(self.tab, "network", None)
            if network is not None:
                report.device_unlinked = network.unlink_seen(self.confirmed_at, self.clock())

    async def client_logout(self, why: str) -> bool:
        """Run the client's own logout function. Return True when it was called."""
        report = self.report
        self.client_tried = True
        report.steps.append(f"client function (UI path: {why})")
        report.attempts += 1
        started = self.clock()
        wait_ms = max(min(CLIENT_EVENT_WAIT_MS, round(self.remaining() * 500)), 1)
        try:
            answer = await self.tab.evaluate(client_logout_script(), {"waitMs": wait_ms})
        except BrowserClosed:
            raise
        except DriverError as exc:
            # The client reloads after its logout: the call ran, the answer was lost.
            answer = {"available": True, "called": True, "navigated": str(exc)[:80]}
        if not isinstance(answer, dict) or not answer.get("called"):
            reason = answer.get("reason") if isinstance(answer, dict) else None
            report.client_failed = str(reason or "the client function did not run")
            report.steps.append(f"client function unavailable: {report.client_failed}")
            return False
        self.confirmed(started, "client_function")
        if answer.get("navigated"):
            report.evidence.append("client: Socket.logout called; reloaded before answering")
        else:
            event = "no Cmd"
            if answer.get("cmd"):
                event = "event" if answer.get("event") else "no event"
            report.evidence.append(f"client: Socket.logout called; Cmd logout: {event}")
        return True

    async def give_way(self, why: str, reading: Inspection) -> bool:
        """The UI path is stuck: try the client function once; end when both paths failed."""
        self.report.ui_failed = self.report.ui_failed or why
        if self.client_enabled and not self.client_tried:
            await self.client_logout(why)
            return False
        if self.confirmed_at is not None:
            self.settle(reading)
            return False
        client = self.report.client_failed or (
            "already tried" if self.client_tried else "not in logout.paths"
        )
        self.report.error = f"no in-page path left: UI: {why}; client function: {client}"
        return True
