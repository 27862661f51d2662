"""The in-page logout: reach the confirm dialog from whatever the page shows, confirm, verify.

A loop of read -> act -> read again, inside one deadline. Each reading decides the next step, so
banners, modals, slow menus, another-session and conflict screens are handled wherever they
appear. Success is claimed only when it is seen: the QR screen back AND the session keys gone.

Two in-page paths, in the order of ``paths``:
- "ui": the clicks a person makes (menu or settings -> Log out -> confirm);
- "client_function": the client's own logout function (what its confirm button calls), used
  when the UI path cannot single out its controls: every opener tried without a unique Log out
  item, no opener at all for NO_OPENER_S, a confirm dialog without a unique button for
  CONFIRM_AMBIGUOUS_S, or no confirm after UI_SHARE of the time available.
Both are verified the same way. ``report.how`` says which one did it (docs/reader.md).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cache
from importlib import resources

from loguru import logger

from agent.errors import BrowserClosed, DriverError
from agent.outcome import PageState
from agent.probe.probe import LINKED_WHEN, SESSION_KEYS
from agent.session.pagestate import (
    DialogKind,
    Inspection,
    Memory,
    PageLike,
    inspect,
    leave_page,
)

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


class _Run:
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
        self.opener_pending: str | None = None  # the kind of the opener clicked last, if open
        self.opener_clicks: dict[str, int] = {}
        self.tried: dict[str, str] = {}  # opener kind -> why it did not lead to a Log out item
        self.last_opener = ""
        self.chats_since: float | None = None
        self.confirm_ambiguous_since: float | None = None
        self.item_via = "list"
        self.item_clicked_at: float | None = None
        self.memory = Memory()
        self.report = LogoutReport()
        self.opener_clicked_at: float | None = None
        self.confirmed_at: float | None = None
        self.unknown_since: float | None = None
        self.banner_clicks = 0
        self.dismiss_clicks = 0  # on the modal shown now (reset when no modal is shown)
        self.item_clicks = 0  # Log out item clicks since the last confirm dialog
        self.escape_pressed = False
        self.modal_stuck = False  # a modal no evidence or Escape could close: the UI path is done
        self.use_here_at: float | None = None
        self.failures = 0
        self.click_started = 0.0
        self.after: Inspection | None = None  # the next reading waits for a change after this

    def remaining(self) -> float:
        return self.deadline - self.clock()

    def settle(self, reading: Inspection) -> None:
        """Make the next reading wait for the page to change after this one (WAIT_S at most)."""
        self.after = reading

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
        self.confirmed_at = started
        report.confirmed = True
        report.how = "client_function"
        if answer.get("navigated"):
            report.evidence.append("client: Socket.logout called; reloaded before answering")
        else:
            event = "no Cmd"
            if answer.get("cmd"):
                event = "event" if answer.get("event") else "no event"
            report.evidence.append(f"client: Socket.logout called; Cmd logout: {event}")
        return True

    def ui_blocked(self, reading: Inspection, now: float) -> str | None:
        """Return why the UI path cannot single out its controls any more, else None."""
        if not self.ui_enabled:
            return "not in logout.paths"
        alternative = self.client_enabled and not self.client_tried
        if alternative and now - self.started > UI_SHARE * (self.deadline - self.started):
            return f"no confirm after {UI_SHARE:.0%} of the time available"
        if reading.logout_item or self.opener_pending:
            return None
        if any(kind not in self.tried for _, kind, _ in reading.openers):
            return None
        if self.tried:
            return "; ".join(f"{kind}: {why}" for kind, why in self.tried.items())
        if self.chats_since is not None and now - self.chats_since > NO_OPENER_S:
            return "no menu or settings opener found"
        return None

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

    async def ui_step(self, reading: Inspection, now: float) -> bool:
        """One step of the UI path on the chats screen."""
        report, memory = self.report, self.memory
        if reading.logout_item:
            if self.item_clicks >= ITEM_CLICKS:  # what it opens is no confirm: never click on
                why = f"log out item clicked {self.item_clicks} times, no confirm appeared"
                return await self.give_way(why, reading)
            step = f"log out item ({reading.logout_how})"
            if await self.click(reading, reading.logout_item, step):
                self.item_clicks += 1
                memory.logout_text = reading.logout_text
                memory.expect_confirm = True
                self.item_via = self.last_opener or "list"
                self.item_clicked_at = self.clock()
                report.evidence.append(f"item: {reading.logout_how}")
                self.opener_pending = None
                memory.baseline = "take"
            return False
        if self.item_clicked_at is not None and now - self.item_clicked_at < MENU_PATIENCE_S:
            self.settle(reading)  # the confirm dialog may take a moment: do not reopen yet
            return False
        if reading.banner_close and self.banner_clicks < 2:
            self.banner_clicks += 1
            await self.click(reading, reading.banner_close, "dismiss banner")
            return False
        kind = self.opener_pending
        if kind is not None:
            if reading.baseline == "missing":  # the page was rebuilt: open again
                self.opener_pending, memory.baseline = None, "take"
                return False
            if reading.new_items and reading.ambiguity:
                self.tried[kind] = reading.ambiguity
                report.steps.append(f"{kind}: {reading.ambiguity}")
                self.opener_pending, memory.baseline = None, "take"
                return False
            clicked_at = self.opener_clicked_at or now
            if now - clicked_at < MENU_PATIENCE_S:
                self.settle(reading)
                return False
            self.opener_pending, memory.baseline = None, "take"
            if self.opener_clicks.get(kind, 0) >= OPENER_CLICKS:
                self.tried[kind] = reading.ambiguity or "no Log out item appeared"
                report.steps.append(f"{kind}: {self.tried[kind]}")
            return False  # the next reading takes a fresh baseline, then clicks again
        for selector, opener_kind, evidence in reading.openers:
            if opener_kind in self.tried:
                continue
            if reading.baseline != "taken":
                memory.baseline = "take"
                return False
            if await self.click(reading, selector, f"open {opener_kind} ({evidence})"):
                self.opener_clicked_at = self.clock()
                self.opener_pending = self.last_opener = opener_kind
                self.opener_clicks[opener_kind] = self.opener_clicks.get(opener_kind, 0) + 1
                memory.baseline = "use"
                if not any(item.startswith("opener:") for item in report.evidence):
                    report.evidence.append(f"opener: {opener_kind} by {evidence}")
            return False
        self.settle(reading)
        return False

    def use_here_wait(self, reading: Inspection, now: float) -> bool:
        """Return True while a Use here click may still be taking effect (the screen has not
        changed yet): clicking it again would restart the client's takeover."""
        if self.use_here_at is None:
            return False
        if now - self.use_here_at < USE_HERE_PATIENCE_S:
            self.settle(reading)
            return True
        self.use_here_at = None
        return False

    async def modal_step(self, reading: Inspection) -> bool:
        """A modal without logout words is up: dismiss it by its evidence (DISMISS_CLICKS at
        most), else Escape once; when it stays, the UI path is done and the next path runs."""
        if reading.dismiss and self.dismiss_clicks < DISMISS_CLICKS:
            self.dismiss_clicks += 1
            step = f"dismiss modal ({reading.dismiss_how or 'evidence'})"
            await self.click(reading, reading.dismiss, step)
            return False
        if not self.escape_pressed:
            self.escape_pressed = True
            self.report.steps.append("escape on modal")
            await self.tab.evaluate(ESCAPE_SCRIPT)
            self.settle(reading)
            return False
        self.modal_stuck = True
        why = reading.ambiguity or "a modal that no evidence could close"
        self.report.steps.append(f"modal: {why}")
        return await self.give_way(why, reading)

    async def step(self, reading: Inspection) -> bool:
        """Act on one reading. Return True when the run is over."""
        report, now = self.report, self.clock()
        if reading.state is not PageState.LOADING and report.state_before is PageState.UNKNOWN:
            report.state_before = reading.state
        if reading.state is not PageState.UNKNOWN:
            self.unknown_since = None
        if reading.state in (PageState.QR, PageState.LOGGED_OUT):
            if self.confirmed_at is None and not await stored_keys(self.tab, LINKED_WHEN):
                report.nothing_to_do = report.verified = report.reached_qr = True
                return True
            if self.confirmed_at is not None:
                await self.verify()
                return True
            # QR on screen but keys stored: the client may still be restoring; keep reading.
            self.settle(reading)
            return False
        if (
            self.client_enabled
            and self.paths[0] == "client_function"
            and not self.client_tried
            and reading.state
            in (PageState.CHATS, PageState.OFFLINE, PageState.ANOTHER_SESSION, PageState.CONFLICT)
        ):
            await self.client_logout("client_function comes first in logout.paths")
            return False
        if not self.ui_enabled and reading.state in (
            PageState.CHATS,
            PageState.OFFLINE,
            PageState.ANOTHER_SESSION,
            PageState.CONFLICT,
        ):
            if self.confirmed_at is not None:
                if now - self.confirmed_at < CONFIRM_PATIENCE_S:
                    self.settle(reading)
                    return False
                self.confirmed_at = None
            return await self.give_way("not in logout.paths", reading)
        if reading.state not in (PageState.ANOTHER_SESSION, PageState.CONFLICT):
            self.use_here_at = None
        if reading.dialog_kind is DialogKind.CONFIRM and reading.confirm:
            self.confirm_ambiguous_since = None
            self.item_clicks = 0  # the item did open a confirm
            if self.confirmed_at is not None and now - self.confirmed_at < CONFIRM_PATIENCE_S:
                self.settle(reading)  # confirmed already: the client is answering; never twice
                return False
            if await self.click(reading, reading.confirm, "confirm"):
                self.confirmed_at = self.click_started
                report.confirmed = True
                report.how = f"ui:{self.item_via}"
                report.evidence.append(f"confirm: {reading.confirm_how}")
            return False
        if reading.dialog_kind is DialogKind.CONFIRM and self.confirmed_at is None:
            self.confirm_ambiguous_since = self.confirm_ambiguous_since or now
            if now - self.confirm_ambiguous_since > CONFIRM_AMBIGUOUS_S:
                return await self.give_way(reading.ambiguity or "confirm button not found", reading)
        if reading.dialog_kind is not DialogKind.MODAL:
            self.dismiss_clicks, self.escape_pressed = 0, False
        elif self.confirmed_at is None and not self.modal_stuck:
            return await self.modal_step(reading)
        if reading.state in (PageState.ANOTHER_SESSION, PageState.CONFLICT) and self.use_here_wait(
            reading, now
        ):
            return False
        if reading.state is PageState.ANOTHER_SESSION and reading.use_here:
            if await self.click(reading, reading.use_here, "use here"):
                self.use_here_at = self.clock()
            return False
        if reading.state is PageState.CONFLICT:
            if reading.conflict_logout and await self.click(
                reading, reading.conflict_logout, "conflict log out"
            ):
                self.confirmed_at = self.click_started
                report.confirmed = True
                report.how = "ui:conflict"
            elif reading.use_here and await self.click(reading, reading.use_here, "use here"):
                self.use_here_at = self.clock()
            return False
        if (
            self.modal_stuck
            and self.confirmed_at is None
            and reading.dialog_kind is DialogKind.MODAL
        ):
            return await self.give_way(
                reading.ambiguity or "a modal that no evidence could close", reading
            )
        if reading.state in (PageState.CHATS, PageState.OFFLINE):
            if self.confirmed_at is not None and now - self.confirmed_at < CONFIRM_PATIENCE_S:
                self.settle(reading)  # the client is logging out
                return False
            if self.confirmed_at is not None:
                self.confirmed_at, report.how = None, ""
            self.chats_since = self.chats_since or now
            if reading.dialog_kind is None:
                why = self.ui_blocked(reading, now)
                if why is not None:
                    return await self.give_way(why, reading)
                return await self.ui_step(reading, now)
        if reading.state is PageState.UNKNOWN:
            self.unknown_since = self.unknown_since or now
            if now - self.unknown_since > UNKNOWN_RELOAD_S:
                report.steps.append("reload unknown page")
                self.unknown_since = None
                await self.tab.goto(self.client_url, timeout_s=max(self.remaining(), 0.1))
                return False
        self.settle(reading)
        return False


async def log_out_in_page(
    tab: PageLike,
    client_url: str,
    deadline: float,
    clock: Callable[[], float] = time.monotonic,
    paths: tuple[str, ...] = PATHS,
) -> LogoutReport:
    """Given the client's tab, log out through the page before ``deadline`` (a clock() value).

    ``paths`` are the in-page paths allowed, in order ("ui", "client_function"). Return a
    LogoutReport; verified is True only when the QR screen is back and the session keys are
    gone. Never raises for page trouble: errors end up in report.error. Raise ValueError if
    ``paths`` names an unknown path.
    """
    unknown = [path for path in paths if path not in PATHS]
    if unknown or not paths:
        raise ValueError(f"paths {paths!r}: allowed: {', '.join(PATHS)} (at least one)")
    run = _Run(tab, client_url, deadline, clock, tuple(paths))
    try:
        return await _loop(run)
    finally:
        await leave_page(tab)  # the visitor's page as it was found (the QR page has nothing)


async def _loop(run: _Run) -> LogoutReport:
    last_error = ""
    pause = NAV_RETRY_S
    while run.remaining() > 0:
        try:
            reading = await run.read()
            if await run.step(reading):
                return run.report
            pause = NAV_RETRY_S
        except DriverError as exc:
            # Navigations (the post-logout reload) destroy the script context: read the new page
            # at once, backing off only while the errors last.
            last_error = str(exc)
            if isinstance(exc, BrowserClosed):
                run.report.error = f"the browser went away: {last_error}"
                return run.report
            await asyncio.sleep(min(pause, max(run.remaining(), 0)))
            pause = min(pause * 2, WAIT_S)
    run.report.error = "deadline reached before the logout was verified" + (
        f" (last error: {last_error})" if last_error else ""
    )
    return run.report
