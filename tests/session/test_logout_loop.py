"""The logout loop branch by branch, on the shipped fake tab (no browser)."""

from __future__ import annotations

import pytest

from agent.errors import DriverError
from agent.session.fakes import (
    FakeTab,
    Handler,
    Raw,
    another_session,
    chats,
    confirm_dialog,
    item,
    modal,
    opener,
    qr,
)
from agent.session.logout import LogoutReport, log_out_in_page

BOTH = [opener("menu"), opener("settings")]
AMBIGUOUS = "logout item: 2 destructive candidates and no name or icon to choose"


async def run(tab: FakeTab, seconds: float = 30.0, **options: object) -> LogoutReport:
    return await log_out_in_page(
        tab,
        tab.url,
        tab.clock() + seconds,
        clock=tab.clock,
        **options,  # type: ignore[arg-type]
    )


def confirm_logs_out(tab: FakeTab) -> None:
    tab.log_out()


def item_opens_confirm(tab: FakeTab) -> None:
    tab.show(confirm_dialog())


def client_logs_out(tab: FakeTab) -> Raw:
    tab.log_out()
    return {"available": True, "called": True, "cmd": True, "event": True}


def opens(page: Raw) -> Handler:
    return lambda tab: tab.show(page)


async def test_menu_item_and_confirm_are_clicked_and_how_says_menu() -> None:
    tab = FakeTab(
        chats(openers=BOTH),
        on_click={
            "opener-menu": opens(chats(openers=BOTH, logout_item=item())),
            "logout-item": item_opens_confirm,
            "confirm": confirm_logs_out,
        },
        client=client_logs_out,
    )
    report = await run(tab)
    assert report.verified and report.how == "ui:menu"
    assert tab.clicks == ["opener-menu", "logout-item", "confirm"]
    assert tab.client_calls == 0
    assert "item: words" in report.evidence
    assert tab.left == 1  # marks and change counter removed once, at the end


async def test_the_opener_reading_takes_the_baseline_and_the_next_reading_uses_it() -> None:
    tab = FakeTab(
        chats(openers=BOTH),
        on_click={
            "opener-menu": opens(chats(openers=BOTH, logout_item=item())),
            "logout-item": item_opens_confirm,
            "confirm": confirm_logs_out,
        },
    )
    await run(tab)
    asked = [argument["baseline"] for argument in tab.arguments]
    assert asked[0] == "take" and asked[1] == "use"


async def test_an_ambiguous_menu_gives_way_to_settings() -> None:
    tab = FakeTab(
        chats(openers=BOTH),
        on_click={
            "opener-menu": opens(chats(openers=BOTH, new_items=6, ambiguity=AMBIGUOUS)),
            "opener-settings": opens(chats(openers=BOTH, logout_item=item())),
            "logout-item": item_opens_confirm,
            "confirm": confirm_logs_out,
        },
        client=client_logs_out,
    )
    report = await run(tab)
    assert report.verified and report.how == "ui:settings"
    assert tab.clicks == ["opener-menu", "opener-settings", "logout-item", "confirm"]
    assert any(AMBIGUOUS in step for step in report.steps)


async def test_when_every_opener_is_ambiguous_the_client_function_logs_out() -> None:
    stuck = chats(openers=BOTH, new_items=6, ambiguity=AMBIGUOUS)
    tab = FakeTab(
        chats(openers=BOTH),
        on_click={"opener-menu": opens(stuck), "opener-settings": opens(stuck)},
        client=client_logs_out,
    )
    report = await run(tab)
    assert report.verified and report.how == "client_function"
    assert tab.client_calls == 1
    assert "logout-item" not in tab.clicks and "confirm" not in tab.clicks
    assert report.ui_failed and AMBIGUOUS in report.ui_failed
    assert report.evidence[-1] == "client: Socket.logout called; Cmd logout: event"


async def test_no_opener_at_all_gives_way_to_the_client_function() -> None:
    tab = FakeTab(chats(), client=client_logs_out)
    report = await run(tab)
    assert report.verified and report.how == "client_function"
    assert report.ui_failed == "no menu or settings opener found"
    assert tab.clicks == []


async def test_a_menu_that_never_opens_is_clicked_twice_then_given_up() -> None:
    tab = FakeTab(
        chats(openers=[opener("menu")]),
        on_click={"opener-menu": lambda tab: None},
        client=client_logs_out,
    )
    report = await run(tab)
    assert tab.clicks == ["opener-menu", "opener-menu"]
    assert report.verified and report.how == "client_function"
    assert report.ui_failed == "menu: no Log out item appeared"


async def test_neither_path_ends_at_once_with_an_error_and_nothing_verified() -> None:
    stuck = chats(openers=BOTH, new_items=6, ambiguity=AMBIGUOUS)
    tab = FakeTab(
        chats(openers=BOTH),
        on_click={"opener-menu": opens(stuck), "opener-settings": opens(stuck)},
        client=None,  # no require on the page
    )
    started = tab.clock()
    report = await run(tab)
    assert not report.verified and not report.confirmed and report.how == ""
    assert report.client_failed == "no require"
    assert report.error and report.error.startswith("no in-page path left")
    assert tab.clock() - started < 15  # well before the deadline: the wipe gets its turn


async def test_client_only_paths_never_click() -> None:
    tab = FakeTab(
        chats(openers=BOTH, logout_item=item()),
        on_click={"logout-item": item_opens_confirm},
        client=client_logs_out,
    )
    report = await run(tab, paths=("client_function",))
    assert report.verified and report.how == "client_function"
    assert tab.clicks == []


async def test_ui_only_paths_never_call_the_client_function() -> None:
    tab = FakeTab(chats(), client=client_logs_out)
    report = await run(tab, paths=("ui",))
    assert not report.verified and tab.client_calls == 0
    assert report.error and "not in logout.paths" in report.error


async def test_a_reload_during_the_client_call_counts_as_called_and_is_verified_by_qr() -> None:
    tab = FakeTab(chats(), client=None)

    def reloads(tab: FakeTab) -> Raw:
        tab.log_out()
        raise DriverError("Execution context was destroyed")

    tab.client = reloads
    report = await run(tab)
    assert report.verified and report.how == "client_function"
    assert "reloaded before answering" in report.evidence[-1]


async def test_a_client_call_without_qr_is_not_verified() -> None:
    tab = FakeTab(
        chats(),
        client=lambda tab: {"available": True, "called": True, "cmd": False},
    )
    report = await run(tab, seconds=12.0)
    assert report.confirmed and not report.verified
    assert tab.storage  # keys still there: the wipe's turn


async def test_a_confirm_dialog_without_a_unique_button_gives_way_to_the_client() -> None:
    tab = FakeTab(
        chats(openers=BOTH),
        on_click={
            "opener-menu": opens(chats(openers=BOTH, logout_item=item())),
            "logout-item": opens(
                confirm_dialog(confirm=False, ambiguity="confirm: 3 buttons, none singled out")
            ),
        },
        client=client_logs_out,
    )
    report = await run(tab)
    assert report.verified and report.how == "client_function"
    assert report.ui_failed == "confirm: 3 buttons, none singled out"


async def test_conflict_screen_log_out_says_conflict() -> None:
    tab = FakeTab(
        {"state": "conflict", "use_here": "use-here", "conflict_logout": "conflict-logout"},
        on_click={"conflict-logout": confirm_logs_out},
    )
    report = await run(tab)
    assert report.verified and report.how == "ui:conflict"


async def test_already_logged_out_page_is_nothing_to_do() -> None:
    tab = FakeTab(qr(), storage={})
    report = await run(tab)
    assert report.nothing_to_do and report.how == ""


async def test_unknown_path_is_refused() -> None:
    with pytest.raises(ValueError, match="allowed: ui, client_function"):
        await run(FakeTab(chats()), paths=("wipe",))


async def test_after_the_item_click_a_slow_dialog_is_awaited_not_the_menu_reopened() -> None:
    tab = FakeTab(
        chats(openers=BOTH),
        on_click={
            "opener-menu": opens(chats(openers=BOTH, logout_item=item())),
            "logout-item": opens(chats(openers=BOTH)),  # the dialog is not there yet
            "confirm": confirm_logs_out,
        },
    )
    start = tab.clock()
    original = tab.evaluate

    async def evaluate(script: str, argument: object = None) -> object:
        # the confirm dialog shows up a second after the item was clicked
        if tab.clicks == ["opener-menu", "logout-item"] and tab.clock() - start > 1.0:
            tab.show(confirm_dialog(openers=BOTH))
        return await original(script, argument)

    tab.evaluate = evaluate  # type: ignore[method-assign]
    report = await run(tab)
    assert report.verified and report.how == "ui:menu"
    assert tab.clicks == ["opener-menu", "logout-item", "confirm"]


async def test_client_function_first_then_ui_when_the_client_has_no_modules() -> None:
    tab = FakeTab(
        chats(openers=BOTH),
        on_click={
            "opener-menu": opens(chats(openers=BOTH, logout_item=item())),
            "logout-item": item_opens_confirm,
            "confirm": confirm_logs_out,
        },
        client=None,
    )
    report = await run(tab, paths=("client_function", "ui"))
    assert tab.client_calls == 1 and report.client_failed == "no require"
    assert report.verified and report.how == "ui:menu"


async def test_client_function_first_does_it_without_a_click() -> None:
    tab = FakeTab(chats(openers=BOTH), client=client_logs_out)
    report = await run(tab, paths=("client_function", "ui"))
    assert report.verified and report.how == "client_function" and tab.clicks == []


async def test_a_modal_that_stays_gets_two_dismiss_clicks_one_escape_then_the_client_function() -> (
    None
):
    # a dismiss control that never closes the modal (a decoy the reader took, a dead button)
    tab = FakeTab(
        modal(openers=BOTH),
        on_click={"dismiss": lambda tab: tab.show(modal(openers=BOTH))},
        client=client_logs_out,
    )
    report = await run(tab)
    assert report.verified and report.how == "client_function", report
    assert tab.clicks == ["dismiss", "dismiss"] and tab.escapes == 1
    assert report.ui_failed and "modal" in report.ui_failed


async def test_a_modal_without_a_dismiss_control_gets_escape_and_no_click() -> None:
    tab = FakeTab(
        modal(dismiss=False, openers=BOTH, ambiguity="modal: 2 buttons, no dismiss singled out"),
        on_click={
            "opener-menu": opens(chats(openers=BOTH, logout_item=item())),
            "logout-item": item_opens_confirm,
            "confirm": confirm_logs_out,
        },
    )
    tab.on_escape = lambda tab: tab.show(chats(openers=BOTH))
    report = await run(tab)
    assert report.verified and report.how == "ui:menu", report
    assert tab.escapes == 1 and tab.clicks == ["opener-menu", "logout-item", "confirm"]


async def test_a_stuck_modal_without_client_function_ends_without_a_loop_of_clicks() -> None:
    tab = FakeTab(modal(openers=BOTH), on_click={"dismiss": lambda tab: tab.show(modal())})
    report = await run(tab)
    assert not report.verified and not report.confirmed
    assert report.error and report.error.startswith("no in-page path left")
    assert tab.clicks == ["dismiss", "dismiss"] and tab.escapes == 1


async def test_use_here_is_not_clicked_again_while_the_screen_has_not_changed() -> None:
    # the client takes two seconds to swap the screen after Use here (its handler is not
    # idempotent: a second click would restart the takeover)
    clicked_at: list[float] = []

    def use_here(tab: FakeTab) -> None:
        clicked_at.append(tab.clock())
        tab.show(another_session())

    tab = FakeTab(
        another_session(),
        on_click={
            "use-here": use_here,
            "opener-menu": opens(chats(openers=BOTH, logout_item=item())),
            "logout-item": item_opens_confirm,
            "confirm": confirm_logs_out,
        },
        client=client_logs_out,
    )
    original = tab.evaluate

    async def evaluate(script: str, argument: object = None) -> object:
        # two seconds after the click the chats appear
        late = bool(clicked_at) and tab.clock() - clicked_at[0] > 2.0
        if late and tab.page.get("state") == "another_session":
            tab.show(chats(openers=BOTH))
        return await original(script, argument)

    tab.evaluate = evaluate  # type: ignore[method-assign]
    report = await run(tab)
    assert report.verified and report.how == "ui:menu", report
    assert tab.clicks.count("use-here") == 1, tab.clicks


async def test_a_confirm_dialog_still_shown_after_the_click_is_never_confirmed_twice() -> None:
    def slow_confirm(tab: FakeTab) -> None:
        tab.show(confirm_dialog())  # the dialog stays while the client answers the server

    tab = FakeTab(
        confirm_dialog(),
        on_click={"confirm": slow_confirm},
    )
    original = tab.evaluate
    confirmed: list[float] = []

    async def evaluate(script: str, argument: object = None) -> object:
        if "confirm" in tab.clicks and not confirmed:
            confirmed.append(tab.clock())
        if confirmed and tab.clock() - confirmed[0] > 1.0:
            tab.log_out()
            confirmed.clear()
            confirmed.append(float("inf"))
        return await original(script, argument)

    tab.evaluate = evaluate  # type: ignore[method-assign]
    report = await run(tab)
    assert report.verified and report.how, report
    assert tab.clicks == ["confirm"]
