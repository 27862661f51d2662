"""The in-page logout as a state machine: one handler per screen, each with its own small state.

Every reading is dispatched on what the page shows (``Inspection.state``) and the dialog on top
(``Inspection.dialog_kind``): QR -> verify; the client function when it comes first or the UI
is not allowed; a confirm dialog -> confirm; any other modal -> dismiss; another session or a
conflict -> Use here / the conflict's Log out; the chats -> the UI path (banner, Log out item,
menu); an unknown page -> reload. A handler answers True (the run is over), False (read the
page again) or None (not this handler's to decide: the next one in the dispatch reads it).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from agent.outcome import PageState
from agent.probe.probe import LINKED_WHEN
from agent.session.pagestate import DialogKind, Inspection
from agent.session.run import (
    BANNER_CLICKS,
    CONFIRM_AMBIGUOUS_S,
    CONFIRM_PATIENCE_S,
    DISMISS_CLICKS,
    ESCAPE_SCRIPT,
    ITEM_CLICKS,
    MENU_PATIENCE_S,
    NO_OPENER_S,
    OPENER_CLICKS,
    UI_SHARE,
    UNKNOWN_RELOAD_S,
    USE_HERE_PATIENCE_S,
    Run,
    stored_keys,
)

Outcome = bool | None  # True: the run is over; False: read again; None: the next handler decides

# Screens on which a linked client can be logged out (by the UI or its function).
ACTIVE = (PageState.CHATS, PageState.OFFLINE, PageState.ANOTHER_SESSION, PageState.CONFLICT)
USE_HERE_STATES = (PageState.ANOTHER_SESSION, PageState.CONFLICT)
QR_STATES = (PageState.QR, PageState.LOGGED_OUT)
CLOSE_FAILED = "a modal that no evidence could close"


class QrScreen:
    """The QR screen: nothing to do (no keys), verify (after a confirm), or keep reading."""

    def __init__(self, run: Run) -> None:
        self.run = run

    async def step(self, reading: Inspection) -> bool:
        """Given a QR reading, return True when the run is over (nothing to do, or verified)."""
        run, report = self.run, self.run.report
        if run.confirmed_at is None and not await stored_keys(run.tab, LINKED_WHEN):
            report.nothing_to_do = report.verified = report.reached_qr = True
            return True
        if run.confirmed_at is not None:
            await run.verify()
            return True
        # QR on screen but keys stored: the client may still be restoring; keep reading.
        run.settle(reading)
        return False


class ClientFunction:
    """The client's own logout function, when logout.paths puts it first or leaves the UI out."""

    def __init__(self, run: Run) -> None:
        self.run = run

    async def step(self, reading: Inspection, now: float) -> Outcome:
        """Given a reading, call the client function when it is this path's turn."""
        run = self.run
        if reading.state not in ACTIVE:
            return None
        if run.client_enabled and run.paths[0] == "client_function" and not run.client_tried:
            await run.client_logout("client_function comes first in logout.paths")
            return False
        if run.ui_enabled:
            return None
        if run.confirmed_at is not None:
            if now - run.confirmed_at < CONFIRM_PATIENCE_S:
                run.settle(reading)
                return False
            run.confirmed_at = None
        return await run.give_way("not in logout.paths", reading)


@dataclass
class ItemState:
    """The Log out item: shared by the chats screen (which clicks it) and the confirm dialog
    (which its click opens)."""

    via: str = "list"  # the opener kind that showed it ("list": a list already open)
    clicked_at: float | None = None
    clicks: int = 0  # clicks since the last confirm dialog appeared


class ConfirmDialog:
    """The confirm dialog: click its confirm button once; give way when none is singled out."""

    def __init__(self, run: Run, item: ItemState) -> None:
        self.run = run
        self.item = item
        self.ambiguous_since: float | None = None

    async def step(self, reading: Inspection, now: float) -> Outcome:
        """Given a reading with a confirm dialog, confirm, wait, or give way."""
        run = self.run
        if reading.confirm:
            self.ambiguous_since = None
            self.item.clicks = 0  # the item did open a confirm
            if run.confirmed_at is not None and now - run.confirmed_at < CONFIRM_PATIENCE_S:
                run.settle(reading)  # confirmed already: the client is answering; never twice
                return False
            if await run.click(reading, reading.confirm, "confirm"):
                run.confirmed(run.click_started, f"ui:{self.item.via}")
                run.report.evidence.append(f"confirm: {reading.confirm_how}")
            return False
        if run.confirmed_at is None:
            self.ambiguous_since = self.ambiguous_since or now
            if now - self.ambiguous_since > CONFIRM_AMBIGUOUS_S:
                why = reading.ambiguity or "confirm button not found"
                return await run.give_way(why, reading)
        return None


class ConflictScreen:
    """Another session or a conflict: Use here (once per USE_HERE_PATIENCE_S), or the conflict
    screen's own Log out button."""

    def __init__(self, run: Run) -> None:
        self.run = run
        self.use_here_at: float | None = None

    def reset(self) -> None:
        """The screen changed: a new Use here click is allowed."""
        self.use_here_at = None

    def acts_on(self, reading: Inspection, now: float) -> bool:
        """Return True when this screen will act on the reading (click or wait)."""
        if reading.state is PageState.CONFLICT or reading.use_here:
            return True
        return self.use_here_at is not None and now - self.use_here_at < USE_HERE_PATIENCE_S

    def waiting(self, reading: Inspection, now: float) -> bool:
        """Return True while a Use here click may still be taking effect (the screen has not
        changed yet): clicking it again would restart the client's takeover."""
        if self.use_here_at is None:
            return False
        if now - self.use_here_at < USE_HERE_PATIENCE_S:
            self.run.settle(reading)
            return True
        self.use_here_at = None
        return False

    async def step(self, reading: Inspection, now: float) -> Outcome:
        """Given an another-session or conflict reading, click what the screen offers."""
        run = self.run
        if self.waiting(reading, now):
            return False
        if reading.state is PageState.ANOTHER_SESSION:
            if not reading.use_here:
                return None
            if await run.click(reading, reading.use_here, "use here"):
                self.use_here_at = run.clock()
            return False
        if reading.conflict_logout and await run.click(
            reading, reading.conflict_logout, "conflict log out"
        ):
            run.confirmed(run.click_started, "ui:conflict")
        elif reading.use_here and await run.click(reading, reading.use_here, "use here"):
            self.use_here_at = run.clock()
        return False


class ModalDialog:
    """A modal without logout words: dismiss it by its evidence (DISMISS_CLICKS at most), else
    Escape once; when it stays, the UI path is done and the next path runs."""

    def __init__(self, run: Run, conflict: ConflictScreen) -> None:
        self.run = run
        self.conflict = conflict
        self.clicks = 0  # on the modal shown now
        self.escape_pressed = False
        self.stuck = False  # a modal no evidence or Escape could close: the UI path is done

    def reset(self) -> None:
        """No modal is shown: the next one gets its own clicks and Escape."""
        self.clicks, self.escape_pressed = 0, False

    async def step(self, reading: Inspection, now: float) -> Outcome:
        """Given a reading with a modal, dismiss it, press Escape, or give way."""
        run = self.run
        if run.confirmed_at is not None:
            return None
        if not self.stuck:
            return await self.dismiss(reading)
        if reading.state in USE_HERE_STATES and self.conflict.acts_on(reading, now):
            return None
        return await run.give_way(reading.ambiguity or CLOSE_FAILED, reading)

    async def dismiss(self, reading: Inspection) -> bool:
        """Click the dismiss control, else press Escape once, else give the UI path up."""
        run = self.run
        if reading.dismiss and self.clicks < DISMISS_CLICKS:
            self.clicks += 1
            step = f"dismiss modal ({reading.dismiss_how or 'evidence'})"
            await run.click(reading, reading.dismiss, step)
            return False
        if not self.escape_pressed:
            self.escape_pressed = True
            run.report.steps.append("escape on modal")
            await run.tab.evaluate(ESCAPE_SCRIPT)
            run.settle(reading)
            return False
        self.stuck = True
        why = reading.ambiguity or CLOSE_FAILED
        run.report.steps.append(f"modal: {why}")
        return await run.give_way(why, reading)


@dataclass
class MenuState:
    """The openers (menu, settings): which is open, how often each was clicked, which failed."""

    pending: str | None = None  # the kind of the opener clicked last, while it may be open
    clicked_at: float | None = None
    last: str = ""  # the kind of the opener clicked last
    clicks: dict[str, int] = field(default_factory=dict)
    tried: dict[str, str] = field(default_factory=dict)  # kind -> why it led to no Log out item


class Menu:
    """The menu or settings opener: click it, then wait for what it opens (MENU_PATIENCE_S),
    and count it as tried when it shows no unique Log out item."""

    def __init__(self, run: Run) -> None:
        self.run = run
        self.state = MenuState()

    async def step(self, reading: Inspection, now: float) -> bool:
        """Given a chats reading without a Log out item, wait for the open menu or open one."""
        if self.state.pending is not None:
            return self.wait(reading, now, self.state.pending)
        return await self.open(reading)

    def wait(self, reading: Inspection, now: float, kind: str) -> bool:
        """An opener was clicked: wait for its items, or note why it led nowhere."""
        run, state, memory = self.run, self.state, self.run.memory
        if reading.baseline == "missing":  # the page was rebuilt: open again
            state.pending, memory.baseline = None, "take"
            return False
        if reading.new_items and reading.ambiguity:
            state.tried[kind] = reading.ambiguity
            run.report.steps.append(f"{kind}: {reading.ambiguity}")
            state.pending, memory.baseline = None, "take"
            return False
        clicked_at = state.clicked_at or now
        if now - clicked_at < MENU_PATIENCE_S:
            run.settle(reading)
            return False
        state.pending, memory.baseline = None, "take"
        if state.clicks.get(kind, 0) >= OPENER_CLICKS:
            state.tried[kind] = reading.ambiguity or "no Log out item appeared"
            run.report.steps.append(f"{kind}: {state.tried[kind]}")
        return False  # the next reading takes a fresh baseline, then clicks again

    async def open(self, reading: Inspection) -> bool:
        """Click the first opener not tried yet (after a baseline of the page is taken)."""
        run, state, memory = self.run, self.state, self.run.memory
        for selector, kind, evidence in reading.openers:
            if kind in state.tried:
                continue
            if reading.baseline != "taken":
                memory.baseline = "take"
                return False
            if await run.click(reading, selector, f"open {kind} ({evidence})"):
                state.clicked_at = run.clock()
                state.pending = state.last = kind
                state.clicks[kind] = state.clicks.get(kind, 0) + 1
                memory.baseline = "use"
                if not any(item.startswith("opener:") for item in run.report.evidence):
                    run.report.evidence.append(f"opener: {kind} by {evidence}")
            return False
        run.settle(reading)
        return False


class ChatsScreen:
    """The chats (online or offline): the UI path -> banner, Log out item, menu; it gives way
    when it cannot single out its controls."""

    def __init__(self, run: Run, item: ItemState, menu: Menu) -> None:
        self.run = run
        self.item = item
        self.menu = menu
        self.since: float | None = None  # when the chats were first seen
        self.banner_clicks = 0

    async def step(self, reading: Inspection, now: float) -> Outcome:
        """Given a chats reading, wait for a confirmed logout or take one UI step."""
        run = self.run
        if run.confirmed_at is not None and now - run.confirmed_at < CONFIRM_PATIENCE_S:
            run.settle(reading)  # the client is logging out
            return False
        if run.confirmed_at is not None:
            run.confirmed_at, run.report.how = None, ""
        self.since = self.since or now
        if reading.dialog_kind is not None:
            return None
        why = self.blocked(reading, now)
        if why is not None:
            return await run.give_way(why, reading)
        return await self.ui_step(reading, now)

    def blocked(self, reading: Inspection, now: float) -> str | None:
        """Return why the UI path cannot single out its controls any more, else None."""
        run, menu = self.run, self.menu.state
        if not run.ui_enabled:
            return "not in logout.paths"
        alternative = run.client_enabled and not run.client_tried
        if alternative and now - run.started > UI_SHARE * (run.deadline - run.started):
            return f"no confirm after {UI_SHARE:.0%} of the time available"
        if reading.logout_item or menu.pending:
            return None
        if any(kind not in menu.tried for _, kind, _ in reading.openers):
            return None
        if menu.tried:
            return "; ".join(f"{kind}: {why}" for kind, why in menu.tried.items())
        if self.since is not None and now - self.since > NO_OPENER_S:
            return "no menu or settings opener found"
        return None

    async def ui_step(self, reading: Inspection, now: float) -> bool:
        """One step of the UI path on the chats screen."""
        if reading.logout_item:
            return await self.click_item(reading, reading.logout_item)
        if self.item.clicked_at is not None and now - self.item.clicked_at < MENU_PATIENCE_S:
            self.run.settle(reading)  # the confirm dialog may take a moment: do not reopen yet
            return False
        if reading.banner_close and self.banner_clicks < BANNER_CLICKS:
            self.banner_clicks += 1
            await self.run.click(reading, reading.banner_close, "dismiss banner")
            return False
        return await self.menu.step(reading, now)

    async def click_item(self, reading: Inspection, selector: str) -> bool:
        """Click the Log out item, unless its clicks already opened no confirm."""
        run, item = self.run, self.item
        if item.clicks >= ITEM_CLICKS:  # what it opens is no confirm: never click on
            why = f"log out item clicked {item.clicks} times, no confirm appeared"
            return await run.give_way(why, reading)
        if await run.click(reading, selector, f"log out item ({reading.logout_how})"):
            item.clicks += 1
            run.memory.logout_text = reading.logout_text
            run.memory.expect_confirm = True
            item.via = self.menu.state.last or "list"
            item.clicked_at = run.clock()
            run.report.evidence.append(f"item: {reading.logout_how}")
            self.menu.state.pending = None
            run.memory.baseline = "take"
        return False


class UnknownScreen:
    """A page the reader does not recognise: reload it after UNKNOWN_RELOAD_S."""

    def __init__(self, run: Run) -> None:
        self.run = run
        self.since: float | None = None

    def reset(self) -> None:
        """A known screen was read."""
        self.since = None

    async def step(self, reading: Inspection, now: float) -> Outcome:
        """Given an unknown reading, reload the client once it stayed unknown long enough."""
        run = self.run
        self.since = self.since or now
        if now - self.since > UNKNOWN_RELOAD_S:
            run.report.steps.append("reload unknown page")
            self.since = None
            await run.tab.goto(run.client_url, timeout_s=max(run.remaining(), 0.1))
            return False
        return None


class Screens:
    """The dispatch: each reading goes to the handler of its screen and dialog."""

    def __init__(self, run: Run) -> None:
        self.run = run
        item = ItemState()
        self.qr = QrScreen(run)
        self.client = ClientFunction(run)
        self.conflict = ConflictScreen(run)
        self.confirm = ConfirmDialog(run, item)
        self.modal = ModalDialog(run, self.conflict)
        self.chats = ChatsScreen(run, item, Menu(run))
        self.unknown = UnknownScreen(run)

    def note(self, reading: Inspection) -> None:
        """Remember the first screen seen, and that an unknown page is no longer shown."""
        report = self.run.report
        if reading.state is not PageState.LOADING and report.state_before is PageState.UNKNOWN:
            report.state_before = reading.state
        if reading.state is not PageState.UNKNOWN:
            self.unknown.reset()

    async def dialog_step(self, reading: Inspection, now: float) -> Outcome:
        """Given a reading, let the handler of the dialog on top (if any) decide."""
        if reading.dialog_kind is DialogKind.CONFIRM:
            outcome = await self.confirm.step(reading, now)
            if outcome is not None:
                return outcome
        if reading.dialog_kind is DialogKind.MODAL:
            return await self.modal.step(reading, now)
        self.modal.reset()
        return None

    async def screen_step(self, reading: Inspection, now: float) -> Outcome:
        """Given a reading, let the handler of the screen shown decide."""
        if reading.state in USE_HERE_STATES:
            return await self.conflict.step(reading, now)
        if reading.state in (PageState.CHATS, PageState.OFFLINE):
            return await self.chats.step(reading, now)
        if reading.state is PageState.UNKNOWN:
            return await self.unknown.step(reading, now)
        return None

    async def step(self, reading: Inspection) -> bool:
        """Act on one reading. Return True when the run is over."""
        now = self.run.clock()
        self.note(reading)
        if reading.state in QR_STATES:
            return await self.qr.step(reading)
        outcome = await self.client.step(reading, now)
        if outcome is not None:
            return outcome
        if reading.state not in USE_HERE_STATES:
            self.conflict.reset()
        for handler in (self.dialog_step, self.screen_step):
            outcome = await handler(reading, now)
            if outcome is not None:
                return outcome
        self.run.settle(reading)
        return False
