"""Steps of the logout loop that only a page in a particular moment needs, on the shipped fake
tab (no browser): each test here kills a mutant of tools/mutate_rules.py that the branch tests
in test_logout_loop.py let survive."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from agent.session.fakes import FakeTab, Raw, chats, confirm_dialog, item, modal, opener, qr
from agent.session.run import MENU_PATIENCE_S
from tests.session.test_logout_loop import client_logs_out, run

MENU = [opener("menu")]


def menu_flow() -> dict[str, Callable[[FakeTab], None]]:
    """The clicks of a menu -> Log out -> confirm that logs out."""
    return {
        "opener-menu": lambda tab: tab.show(chats(openers=MENU, logout_item=item())),
        "logout-item": lambda tab: tab.show(confirm_dialog()),
        "confirm": lambda tab: tab.log_out(),
    }


def after(tab: FakeTab, seconds: float, page: Raw, when: Callable[[Raw], bool]) -> None:
    """From ``seconds`` after now (the fake clock), show ``page`` whenever ``when(tab.page)``."""
    start = tab.clock()
    original = tab.evaluate

    async def evaluate(script: str, argument: object = None) -> object:
        if tab.clock() - start > seconds and when(tab.page):
            tab.show(page)
        return await original(script, argument)

    tab.evaluate = evaluate  # type: ignore[method-assign]


async def test_a_qr_shown_while_the_keys_are_stored_is_read_again_until_the_chats_come() -> None:
    # The client paints its QR for a moment while it restores a stored session: the run must
    # neither end there (nothing verified, nothing done) nor claim nothing to do.
    tab = FakeTab(qr(), on_click=menu_flow())
    after(tab, 1.0, chats(openers=MENU), lambda page: page.get("state") == "qr" and tab.storage)
    report = await run(tab)
    assert report.verified and report.how == "ui:menu", report
    assert not report.nothing_to_do


async def test_client_only_paths_never_click_the_conflict_screens_buttons() -> None:
    # The conflict screen offers its own Log out and Use here: with the UI not in
    # logout.paths neither is clicked, even when the client function is missing.
    tab = FakeTab(
        {"state": "conflict", "use_here": "use-here", "conflict_logout": "conflict-logout"},
        on_click={"conflict-logout": lambda tab: tab.log_out(), "use-here": lambda tab: None},
    )
    report = await run(tab, paths=("client_function",))
    assert tab.clicks == []
    assert not report.verified and tab.client_calls == 1
    assert report.error is not None and "not in logout.paths" in report.error


async def test_an_item_whose_confirm_appeared_may_be_clicked_again_after_a_failed_confirm() -> None:
    # Each item click opened the confirm dialog; the first two confirms did not take (the page
    # went back to the chats): the item's click limit counts clicks without a confirm only.
    confirms: list[float] = []

    def confirm(tab: FakeTab) -> None:
        confirms.append(tab.clock())
        if len(confirms) < 3:
            tab.show(chats(openers=MENU, logout_item=item()))
        else:
            tab.log_out()

    tab = FakeTab(
        chats(openers=MENU, logout_item=item()),
        on_click={"logout-item": lambda tab: tab.show(confirm_dialog()), "confirm": confirm},
    )
    report = await run(tab, seconds=60.0, paths=("ui",))
    assert report.verified and len(confirms) == 3, report
    assert tab.clicks.count("logout-item") == 3


async def test_a_second_modal_gets_its_own_dismiss_clicks() -> None:
    # The first modal closes only on the second dismiss click; a second modal, shown when the
    # menu opens, must get its own clicks, not inherit the first one's count (and no Escape).
    dismissed: list[float] = []

    def dismiss(tab: FakeTab) -> None:
        dismissed.append(tab.clock())
        if len(dismissed) == 2:
            tab.show(chats(openers=MENU))
        elif len(dismissed) == 3:
            tab.show(chats(openers=MENU, logout_item=item()))

    tab = FakeTab(
        modal(),
        on_click={
            "dismiss": dismiss,
            "opener-menu": lambda tab: tab.show(modal()),
            "logout-item": lambda tab: tab.show(confirm_dialog()),
            "confirm": lambda tab: tab.log_out(),
        },
    )
    report = await run(tab, paths=("ui",))
    assert report.verified and report.how == "ui:menu", report
    assert len(dismissed) == 3 and tab.escapes == 0


async def test_a_ui_path_that_never_reaches_a_confirm_gives_way_after_half_the_time() -> None:
    # A page rebuilt at every opener click never lets a baseline hold: no opener is ever
    # counted as tried, so only the time share ends the UI path and the client function runs.
    def rebuild(tab: FakeTab) -> None:
        tab.show(chats(openers=MENU, baseline="missing"))

    tab = FakeTab(chats(openers=MENU), on_click={"opener-menu": rebuild}, client=client_logs_out)
    report = await run(tab, seconds=20.0)
    assert report.verified and report.how == "client_function", report
    assert report.ui_failed == "no confirm after 50% of the time available"


async def test_an_item_that_opens_no_confirm_is_clicked_twice_then_the_client_runs() -> None:
    tab = FakeTab(
        chats(openers=MENU, logout_item=item()),
        on_click={"logout-item": lambda tab: tab.show(chats(openers=MENU, logout_item=item()))},
        client=client_logs_out,
    )
    report = await run(tab)
    assert report.verified and report.how == "client_function", report
    assert tab.clicks.count("logout-item") == 2
    assert report.ui_failed == "log out item clicked 2 times, no confirm appeared"


async def test_after_the_item_click_the_reader_expects_the_confirm_and_knows_its_words() -> None:
    # The reader picks an id-less, word-less confirm only when told one is expected (the
    # structure rules), and matches the confirm button against the item's own words.
    tab = FakeTab(chats(openers=MENU), on_click=menu_flow())
    tab.on_click["opener-menu"] = lambda tab: tab.show(
        chats(openers=MENU, logout_item=item(text="zibo kuf"))
    )
    report = await run(tab)
    assert report.verified, report
    readings = [argument for argument in tab.arguments if isinstance(argument, dict)]
    told = [(reading["expectConfirm"], reading["logoutText"]) for reading in readings]
    assert told[0] == (False, None)
    assert told[-1] == (True, "zibo kuf")


async def test_a_banner_that_stays_gets_two_clicks_then_the_menu_is_opened_anyway() -> None:
    # An inline banner whose close does nothing: two clicks, then the UI path goes on past it.
    tab = FakeTab(chats(openers=MENU, banner_close="banner-close"), on_click=menu_flow())
    tab.on_click["banner-close"] = lambda tab: None
    report = await run(tab, paths=("ui",))
    assert report.verified and report.how == "ui:menu", report
    assert tab.clicks.count("banner-close") == 2


async def test_a_menu_whose_page_was_rebuilt_is_opened_again_at_once() -> None:
    # The page navigated right after the opener click (the baseline is gone): the menu is
    # clicked again at once, not after MENU_PATIENCE_S.
    clicked_at: list[float] = []

    def open_menu(tab: FakeTab) -> None:
        clicked_at.append(tab.clock())
        if len(clicked_at) == 1:
            tab.show(chats(openers=MENU, baseline="missing"))
        else:
            tab.show(chats(openers=MENU, logout_item=item()))

    tab = FakeTab(chats(openers=MENU), on_click={**menu_flow(), "opener-menu": open_menu})
    original = tab.evaluate

    async def evaluate(script: str, argument: object = None) -> object:
        answer = await original(script, argument)
        if tab.page.get("baseline") == "missing":  # read once, then the rebuilt chats
            tab.show(chats(openers=MENU))
        return answer

    tab.evaluate = evaluate  # type: ignore[method-assign]
    report = await run(tab, paths=("ui",))
    assert report.verified, report
    assert len(clicked_at) == 2 and clicked_at[1] - clicked_at[0] < MENU_PATIENCE_S


async def test_a_page_that_stays_unrecognised_is_reloaded_once_then_logged_out() -> None:
    tab = FakeTab({"state": "unknown"}, on_click=menu_flow())
    original = tab.goto

    async def goto(url: str, timeout_s: float) -> None:
        await original(url, timeout_s)
        tab.show(chats(openers=MENU))  # the reload brings the client back

    tab.goto = goto  # type: ignore[method-assign]
    report = await run(tab)
    assert report.verified and report.how == "ui:menu", report
    assert tab.gotos == [tab.url] and report.steps[0] == "reload unknown page"


async def test_keys_that_go_a_moment_after_the_qr_shows_are_waited_for() -> None:
    # The client paints the QR before it has removed every key: verify waits (KEYS_GRACE_S).
    tab = FakeTab(chats(openers=MENU), on_click=menu_flow())
    tab.on_click["confirm"] = lambda tab: tab.show(qr())  # QR first, keys still there
    original = tab.local_storage
    reads: list[int] = []

    async def local_storage(keys: Sequence[str]) -> dict[str, str | None]:
        if tab.page.get("state") == "qr":
            reads.append(1)
            if len(reads) == 3:
                tab.storage.clear()
        return await original(keys)

    tab.local_storage = local_storage  # type: ignore[method-assign]
    report = await run(tab)
    assert report.verified and report.keys_left == [], report
