"""The reader's rules for dialogs and screens, each on a fixture where it alone decides (real
Chromium, one shared browser). Each test names the mutant of tools/mutants.toml it kills: with
that rule removed, the reading comes out otherwise (docs/mutation.md)."""

from __future__ import annotations

import pytest
from playwright.async_api import Page, Route

from agent.browser.relaunch import Tab
from agent.outcome import PageState
from agent.session.pagestate import Memory, inspect
from tests.session.test_reader_evidence import EN, WDS_SIDE, XWORDS, marked, show

pytestmark = pytest.mark.browser

# A dialog in invented words (no table knows them): only what a case adds is evidence.
DIALOG = '<div role="dialog" aria-modal="true"{attributes}><h1>{title}</h1>{buttons}</div>'
CLOSE_ICON = '<span data-icon="x"><svg viewBox="0 0 24 24"><path d="M0 0h24"/></svg></span>'


async def dialog(page: Page, buttons: str, title: str = "Mek?", attributes: str = "") -> Tab:
    html = WDS_SIDE.format(**XWORDS) + DIALOG.format(
        attributes=attributes, title=title, buttons=buttons
    )
    return await show(page, html)


@pytest.mark.parametrize(
    ("attributes", "title", "buttons", "memory"),
    [
        pytest.param(
            ' data-testid="confirm-popup"',
            "Mek?",
            '<button>Bamu</button><button style="background:#ea0038">Zibo kuf</button>',
            {},
            id="confirm-popup-test-id",
        ),
        pytest.param(
            "",
            "Mek?",
            '<button>Bamu</button><button data-testid="popup-controls-ok">Zibo kuf</button>',
            {},
            id="popup-controls-ok-inside",
        ),
        pytest.param(
            "",
            "Log out?",
            '<button>Bamu</button><button style="background:#ea0038">Zibo kuf</button>',
            {},
            id="title-words",
        ),
        pytest.param(
            "", "Mek?", "<button>Bamu</button><button>Log out</button>", {}, id="log-out-button"
        ),
        pytest.param(
            "",
            "Mek?",
            "<button>Bamu</button><button>Zibo kuf</button>",
            {"logout_text": "Zibo kuf"},
            id="remembered-item-words",
        ),
    ],
)
async def test_a_dialog_is_read_as_the_confirm_by_each_piece_of_evidence_alone(
    page: Page, attributes: str, title: str, buttons: str, memory: dict[str, str]
) -> None:
    """Kills "reader: confirm: confirm-popup test id", "confirm: popup-controls-ok inside",
    "confirm: title words", "confirm: a Log out button" and "confirm: remembered item words"
    (one case each): without our item click, that evidence alone makes the dialog the confirm
    and singles out Zibo kuf / Log out; without it, the dialog is a modal and nothing is
    confirmed."""
    tab = await dialog(page, buttons, title, attributes)
    reading = await inspect(tab, Memory(logout_text=memory.get("logout_text")))
    assert reading.dialog_kind == "confirm" and reading.confirm
    assert await marked(page, "confirm") in ("Zibo kuf", "Log out")


async def test_the_ok_test_id_chooses_the_confirm_among_plain_buttons(page: Page) -> None:
    """Kills "reader: confirm: by id": two plain buttons in invented words, the first carrying
    popup-controls-ok; without the id rule, nothing singles one out (no words, no red, no click
    of ours) and the reading is an ambiguity."""
    buttons = '<button data-testid="popup-controls-ok">Zibo kuf</button><button>Bamu</button>'
    tab = await dialog(page, buttons, attributes=' data-testid="confirm-popup"')
    reading = await inspect(tab)
    assert reading.confirm_how == "id" and await marked(page, "confirm") == "Zibo kuf"


@pytest.mark.parametrize(
    ("excluded", "mutant"),
    [
        ("<button>Lock app</button>", "lock app excluded"),
        (f'<button aria-label="Fide">{CLOSE_ICON}</button>', "close icon excluded"),
        ("<button>Delete account</button>", "decoys excluded"),
    ],
)
async def test_a_lock_close_or_decoy_button_last_is_never_the_structural_confirm(
    page: Page, excluded: str, mutant: str
) -> None:
    """Kills "reader: confirm: lock app excluded", "confirm: close icon excluded", "confirm:
    decoys excluded" and "reader: decoys" (page.js): after our item click, a plain Zibo kuf
    and, last, a button the rule excludes; with the rule, Zibo kuf is the only confirm
    (structure:only); without it, structure:last would click the excluded button."""
    tab = await dialog(page, "<button>Zibo kuf</button>" + excluded)
    reading = await inspect(tab, Memory(expect_confirm=True))
    assert reading.confirm_how == "structure:only", mutant
    assert await marked(page, "confirm") == "Zibo kuf"


async def test_two_log_out_buttons_are_told_apart_by_the_red_one(page: Page) -> None:
    """Kills "reader: confirm: words+destructive": two buttons read as Log out, one red, and a
    red button that is not; words alone tie, red alone ties (two red), only both single out
    the red Log out."""
    red = "background:#ea0038;color:#fff"
    buttons = (
        "<button>Log out</button>"
        f'<button style="{red}">Log out now</button><button style="{red}">Zibo</button>'
    )
    tab = await dialog(page, buttons)
    reading = await inspect(tab, Memory(expect_confirm=True))
    assert reading.confirm_how == "words+destructive"
    assert await marked(page, "confirm") == "Log out now"


MODAL = '<div role="dialog" aria-modal="true"><h1>Whats new</h1>{buttons}</div>'


async def test_of_two_dismiss_words_the_one_with_the_close_icon_is_clicked(page: Page) -> None:
    """Kills "reader: modal: words+icon": OK and Close both read as dismiss; the rule prefers
    the one whose icon agrees (Close, second); without it the first (OK) is taken."""
    buttons = f"<button>OK</button><button>{CLOSE_ICON}Close</button>"
    tab = await show(page, WDS_SIDE.format(**EN) + MODAL.format(buttons=buttons))
    reading = await inspect(tab)
    assert reading.dismiss_how == "words+icon" and await marked(page, "dismiss") == "Close"


async def test_a_modal_whose_only_dismiss_evidence_is_a_close_icon_is_closed_by_it(
    page: Page,
) -> None:
    """Kills "reader: modal: close icon": a Learn more decoy, a plain button and an icon-only
    close; no words, no single button, no primary fill: only the icon singles out the close."""
    buttons = (
        "<button>Learn more</button><button>Bamu</button>"
        f'<button aria-label="Fide">{CLOSE_ICON}</button>'
    )
    tab = await show(page, WDS_SIDE.format(**XWORDS) + MODAL.format(buttons=buttons))
    reading = await inspect(tab)
    assert reading.dismiss_how == "icon" and await marked(page, "dismiss") == "Fide"


@pytest.mark.parametrize(
    ("canvas", "mutant"),
    [
        (
            '<div data-ref="2@abc"><canvas width="64" height="64"></canvas></div>',
            "in div[data-ref]",
        ),
        ('<canvas width="64" height="64" aria-label="Scan me!"></canvas>', "named like a QR"),
        ('<canvas width="264" height="264"></canvas>', "a large square canvas"),
    ],
)
async def test_each_qr_rule_alone_reads_the_qr_screen(page: Page, canvas: str, mutant: str) -> None:
    """Kills "reader: qr: canvas in div[data-ref]", "qr: canvas named like a QR" and "qr: a
    large square canvas" (one case each): a landing whose only QR evidence is that rule's."""
    tab = await show(page, f"<div class='landing'><p>Kebo</p>{canvas}</div>")
    assert (await inspect(tab)).state is PageState.QR, mutant


async def test_the_qr_after_a_logout_reload_reads_as_logged_out(page: Page) -> None:
    """Kills "reader: logged out: post_logout": the client reloads with ?post_logout=1 after a
    logout; the same QR there is the logged-out screen, elsewhere the QR screen."""
    html = (
        "<div class='landing'><div data-ref='2@abc'>"
        "<canvas width='264' height='264'></canvas></div></div>"
    )
    assert (await inspect(await served(page, html, "?post_logout=1"))).state is PageState.LOGGED_OUT
    await page.goto("http://reader-fixture.test/")
    assert (await inspect(Tab(page, "null"))).state is PageState.QR


@pytest.mark.parametrize(
    "banner",
    [
        "<div class='banner'>Computer not connected</div>",
        "<span data-icon='alert-computer'></span>",
    ],
)
async def test_the_chats_with_the_offline_banner_read_as_offline(page: Page, banner: str) -> None:
    """Kills "reader: offline: words or icon": the chat list with the client's offline banner
    (its words, or its icon alone) reads as offline, not as chats to log out from."""
    side = (
        f'<div id="side">{banner}<div role="grid" aria-label="Chat list">'
        '<div role="row">Ana</div><div role="row">Bo</div></div></div>'
    )
    reading = await inspect(await show(page, side))
    assert reading.state is PageState.OFFLINE


async def test_a_baseline_asked_for_on_a_new_document_is_reported_missing(page: Page) -> None:
    """Kills "reader: structure: baseline missing after a navigation": the baseline taken
    before the opener click is gone once the page navigated; the reading says "missing" (the
    loop then opens the menu again) instead of "taken" (which would read a fresh baseline as
    if the menu had never opened)."""
    tab = await show(page, WDS_SIDE.format(**EN))
    await inspect(tab, Memory(baseline="take"))
    tab = await show(page, WDS_SIDE.format(**EN))  # a new document: the page was rebuilt
    assert (await inspect(tab, Memory(baseline="use"))).baseline == "missing"


async def test_a_menu_inside_main_is_never_the_opener_even_without_a_composer(
    page: Page,
) -> None:
    """Kills "reader: conversation: #main": the open conversation of the builds with ids is
    #main; its header menu is the chat's, never the opener, even when no composer shows
    (a read-only chat)."""
    own_menu = (
        '<button aria-label="Menu" class="more"><svg><title>wds-ic-more</title></svg></button>'
    )
    html = WDS_SIDE.format(**EN).replace(own_menu, "") + (
        '<div id="main"><header><button aria-label="Menu">'
        "<svg><title>wds-ic-more</title></svg></button></header><p>Ana</p></div>"
    )
    reading = await inspect(await show(page, html))
    assert [kind for _, kind, _ in reading.openers] == ["settings"]


async def served(page: Page, html: str, query: str = "") -> Tab:
    """Serve html at a made-up origin (storage works there, unlike about:blank); return its tab."""

    async def serve(route: Route) -> None:
        await route.fulfill(status=200, content_type="text/html", body=html)

    await page.route("http://reader-fixture.test/**", serve)
    await page.goto(f"http://reader-fixture.test/{query}")
    return Tab(page, "null")


async def test_a_landing_with_a_progress_bar_reads_as_loading(page: Page) -> None:
    """Kills "reader: loading: progress bar": no QR, no chats, a progress bar: the client is
    loading (the loop waits); without the rule the screen is unknown (the loop reloads it)."""
    tab = await show(
        page, "<div class='landing'><p>Kebo</p><progress value='3' max='9'></progress></div>"
    )
    assert (await inspect(tab)).state is PageState.LOADING


async def test_stored_keys_and_rendered_controls_without_any_name_read_as_chats(
    page: Page,
) -> None:
    """Kills "reader: chats:structure (keys stored, app rendered)": the session keys stored, no
    QR, no progress, no landing, one rendered control in invented words: chats; without the
    rule, unknown."""
    tab = await served(
        page, "<div><p>Kebo</p><button><svg width='9' height='9'></svg></button></div>"
    )
    await page.evaluate(
        "() => { localStorage.setItem('last-wid-md', '1');"
        " localStorage.setItem('WANoiseInfo', '{}'); }"
    )
    assert (await inspect(tab)).state is PageState.CHATS


async def test_use_here_is_found_by_its_words_among_four_buttons(page: Page) -> None:
    """Kills "reader: use here: words": four buttons, Use here not last; only its words single
    it out (the structural fallback takes the last of two or three buttons only)."""
    buttons = "".join(f"<button>{name}</button>" for name in ("Bamu", "Use here", "Fide", "Nopa"))
    tab = await show(page, f"<div class='landing'><p>Kebo</p>{buttons}</div>")
    reading = await inspect(tab)
    assert reading.state is PageState.ANOTHER_SESSION
    assert await marked(page, "use-here") == "Use here"


async def test_the_conflict_words_tell_conflict_from_another_session(page: Page) -> None:
    """Kills "reader: conflict: words": the client's conflict sentence alone (no socket, no Log
    out button) makes the Use here screen a conflict."""
    text = "WhatsApp is open on another computer or browser"
    tab = await show(
        page,
        f"<div class='landing'><p>{text}</p><button>Bamu</button><button>Use here</button></div>",
    )
    assert (await inspect(tab)).state is PageState.CONFLICT


async def test_the_conflict_screens_log_out_button_is_marked(page: Page) -> None:
    """Kills "reader: conflict: its Log out button": beside Use here, the conflict screen's Log
    out is marked for the loop's conflict step."""
    tab = await show(
        page,
        "<div class='landing'><p>Kebo</p><button>Log out</button><button>Use here</button></div>",
    )
    reading = await inspect(tab)
    assert reading.state is PageState.CONFLICT and reading.conflict_logout
    assert await marked(page, "conflict-logout") == "Log out"


async def test_a_use_here_button_that_says_connecting_is_not_offered_again(page: Page) -> None:
    """Kills "reader: use here: connecting words": the red team's Use here keeps its title
    while its text says Connecting... and a second click restarts the takeover; the reader
    offers no Use here then. (The loop's wait for the screen to change guards it too, which is
    why the red team's replica alone did not kill this mutant.)"""
    buttons = '<button title="Use here">Connecting...</button><button>Bamu</button>'
    reading = await inspect(await show(page, f"<div class='landing'><p>Kebo</p>{buttons}</div>"))
    assert reading.use_here is None and reading.state is not PageState.ANOTHER_SESSION
