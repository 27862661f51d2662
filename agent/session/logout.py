"""The in-page logout: reach the confirm dialog from whatever the page shows, confirm, verify.

A loop of read -> act -> read again, inside one deadline. Each reading decides the next step, so
banners, modals, slow menus, another-session and conflict screens are handled wherever they
appear. Success is claimed only when it is seen: the QR screen back AND the session keys gone.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from loguru import logger

from agent.errors import BrowserClosed, DriverError
from agent.outcome import PageState
from agent.probe.probe import LINKED_WHEN, SESSION_KEYS
from agent.session.pagestate import Inspection, Memory, PageLike, inspect

POLL_S = 0.05  # storage polling while the keys disappear (storage changes fire no DOM event)
WAIT_S = 0.25  # longest wait for the page to change before reading it again anyway
NAV_RETRY_S = 0.005  # first pause after a navigation destroyed the script context (doubles)
MENU_PATIENCE_S = 3.0  # a menu opened this long ago without a logout item gets another click
CONFIRM_PATIENCE_S = 6.0  # after confirming, how long chats may still show before trying again
KEYS_GRACE_S = 1.5  # QR shown: how long the keys may take to disappear
UNKNOWN_RELOAD_S = 6.0  # an unrecognised page this long gets reloaded


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


async def stored_keys(tab: PageLike, keys: tuple[str, ...] = SESSION_KEYS) -> list[str]:
    """Return which of the session keys the page's localStorage still holds."""
    values = await tab.local_storage(list(keys))
    return [key for key, value in values.items() if value is not None]


class _Run:
    def __init__(self, tab: PageLike, client_url: str, deadline: float, clock: Callable[[], float]):
        self.tab = tab
        self.client_url = client_url
        self.deadline = deadline
        self.clock = clock
        self.memory = Memory()
        self.report = LogoutReport()
        self.opener_clicked_at: float | None = None
        self.confirmed_at: float | None = None
        self.unknown_since: float | None = None
        self.banner_clicks = 0
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
        if reading.dialog_kind == "confirm" and reading.confirm:
            if await self.click(reading, reading.confirm, "confirm"):
                self.confirmed_at = self.click_started
                report.confirmed = True
            return False
        if reading.dialog_kind == "modal" and reading.dismiss:
            await self.click(reading, reading.dismiss, "dismiss modal")
            return False
        if reading.state is PageState.ANOTHER_SESSION and reading.use_here:
            await self.click(reading, reading.use_here, "use here")
            return False
        if reading.state is PageState.CONFLICT:
            if reading.conflict_logout and await self.click(
                reading, reading.conflict_logout, "conflict log out"
            ):
                self.confirmed_at = self.click_started
                report.confirmed = True
            elif reading.use_here:
                await self.click(reading, reading.use_here, "use here")
            return False
        if reading.state in (PageState.CHATS, PageState.OFFLINE):
            if self.confirmed_at is not None and now - self.confirmed_at < CONFIRM_PATIENCE_S:
                self.settle(reading)  # the client is logging out
                return False
            self.confirmed_at = None
            if reading.logout_item:
                if await self.click(
                    reading, reading.logout_item, f"log out item ({reading.logout_how})"
                ):
                    self.memory.logout_text = reading.logout_text
                    self.memory.expect_confirm = True
                return False
            if reading.banner_close and self.banner_clicks < 2:
                self.banner_clicks += 1
                await self.click(reading, reading.banner_close, "dismiss banner")
                return False
            opened_recently = (
                self.opener_clicked_at is not None
                and now - self.opener_clicked_at < MENU_PATIENCE_S
            )
            if reading.opener and not opened_recently:
                if await self.click(reading, reading.opener, f"open {reading.opener_how}"):
                    self.opener_clicked_at = self.clock()
                return False
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
) -> LogoutReport:
    """Given the client's tab, log out through the page before ``deadline`` (a clock() value).

    Return a LogoutReport; verified is True only when the QR screen is back and the session keys
    are gone. Never raises for page trouble: errors end up in report.error.
    """
    run = _Run(tab, client_url, deadline, clock)
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
