"""The reader's tie-breakers for the Log out item and the openers, each on a fixture where it
alone decides (real Chromium, one shared browser). Each test names the mutant of
tools/mutants.toml it kills (docs/mutation.md)."""

from __future__ import annotations

import pytest
from playwright.async_api import Page

from agent.session.pagestate import Inspection, Memory, inspect
from tests.session.test_reader_evidence import EN, RED, WDS_SIDE, XWORDS, marked, open_menu, show

pytestmark = pytest.mark.browser

MORE = "<svg><title>wds-ic-more</title></svg>"
OWN_MENU = f'<button aria-label="Menu" class="more">{MORE}</button>'


def side_with(own_menu: str) -> str:
    """Return the chat list of a build without ids, its menu button replaced by own_menu."""
    html = WDS_SIDE.format(**EN)
    assert OWN_MENU in html
    return html.replace(OWN_MENU, own_menu)


async def openers(page: Page, html: str) -> tuple[Inspection, dict[str, str | None]]:
    """Read html; return the reading and the labels of the marked menu and settings openers."""
    reading = await inspect(await show(page, html))
    return reading, {kind: await marked(page, f"opener-{kind}") for kind in ("menu", "settings")}


async def test_an_item_with_the_logout_id_and_no_words_is_chosen_by_its_id(page: Page) -> None:
    """Kills "reader: score: id": in invented words, no red, no icon: only the item's id
    (data-testid mi-logout) singles it out."""
    tab = await show(page, WDS_SIDE.format(**XWORDS))
    items = (
        '<div role="button" data-testid="mi-logout menu-item">Zibo kuf</div>'
        '<div role="button">Bamu</div>'
    )
    reading = await open_menu(page, tab, items, Memory())
    assert reading.logout_how == "id" and await marked(page, "logout-item") == "Zibo kuf"


async def test_an_item_with_the_logout_id_is_found_without_a_baseline(page: Page) -> None:
    """Kills "reader: items: by id anywhere": a menu already open when the logout starts (no
    baseline before it, no menu role): the item's id alone makes it a candidate."""
    html = WDS_SIDE.format(**XWORDS) + (
        '<div class="drop"><div data-testid="mi-logout menu-item">Zibo kuf</div></div>'
    )
    reading = await inspect(await show(page, html))
    assert reading.logout_how == "id" and await marked(page, "logout-item") == "Zibo kuf"


async def test_the_page_languages_word_wins_over_another_languages(page: Page) -> None:
    """Kills "reader: score: the page language's words": on a German page, Abmelden and an
    English Log out are both table words; the page's language breaks the tie."""
    tab = await show(page, WDS_SIDE.format(**EN))
    items = '<button role="menuitem">Log out</button><button role="menuitem">Abmelden</button>'
    reading = await open_menu(page, tab, items, Memory(language="de"))
    assert await marked(page, "logout-item") == "Abmelden", reading.ambiguity


async def test_a_decoy_with_more_evidence_than_log_out_is_never_chosen(page: Page) -> None:
    """Kills "reader: items: decoys never chosen": Delete account carries the logout icon and
    red (score 3), Log out only its words (2): the decoy is out before scores count."""
    tab = await show(page, WDS_SIDE.format(**EN))
    items = (
        f'<button role="menuitem" style="{RED}"><span data-icon="logout"></span>'
        "Delete account</button>"
        '<button role="menuitem">Log out</button>'
    )
    reading = await open_menu(page, tab, items, Memory())
    assert await marked(page, "logout-item") == "Log out", reading.logout_how


async def test_a_menu_button_named_only_in_words_is_the_menu_opener(page: Page) -> None:
    """Kills "reader: opener: words": the chat list's menu button as text, no icon: its words
    alone make it the opener (the header structure only takes icon-only buttons)."""
    html = side_with("<button>Menu</button>")
    _, marks = await openers(page, html)
    assert marks["menu"] == "Menu"


async def test_of_two_menu_icons_the_one_that_opens_a_popup_is_the_opener(page: Page) -> None:
    """Kills "reader: opener: aria-haspopup": two more-icons in the chat list's header; only
    one says it opens a popup. Without the rule they tie and no menu opener is chosen."""
    html = side_with(
        f'<button aria-label="Filter">{MORE}</button>'
        f'<button aria-label="More" aria-haspopup="menu">{MORE}</button>'
    )
    _, marks = await openers(page, html)
    assert marks["menu"] == "More"


async def test_the_rail_settings_entry_wins_over_a_settings_icon_in_the_header(
    page: Page,
) -> None:
    """Kills "reader: opener: rail item": a settings icon in the chat list's header and the
    rail's settings entry; the rail entry is the settings opener (without the rule they tie
    and the header's own, a chat-list setting, would be taken)."""
    html = WDS_SIDE.format(**EN).replace(
        "<h1>Chats</h1>",
        '<h1>Chats</h1><button aria-label="Chat settings">'
        "<svg><title>wds-ic-settings</title></svg></button>",
    )
    _, marks = await openers(page, html)
    assert marks["settings"] == "Settings"


async def test_of_two_equal_menu_icons_the_chat_lists_own_is_the_opener(page: Page) -> None:
    """Kills "reader: opener: the chat list's own header breaks a tie": a more-icon named Menu in
    the chat list's header and in a footer elsewhere; the chat list's own is the opener."""
    html = WDS_SIDE.format(**EN) + (
        f'<footer class="elsewhere"><button aria-label="Menu options">{MORE}</button></footer>'
    )
    _, marks = await openers(page, html)
    assert marks["menu"] == "Menu"


async def test_a_decoy_with_menu_evidence_is_never_the_opener(page: Page) -> None:
    """Kills "reader: opener: decoys excluded": a Delete chat menu button (icon, the word menu
    and a popup: more evidence than the real one) is never the opener."""
    html = WDS_SIDE.format(**EN) + (
        f'<footer><button aria-label="Delete chat menu" aria-haspopup="menu">{MORE}</button>'
        "</footer>"
    )
    _, marks = await openers(page, html)
    assert marks["menu"] == "Menu"


async def test_an_open_menus_items_are_candidates_without_a_baseline(page: Page) -> None:
    """Kills "reader: items: open menus": a menu already open when the logout starts (no
    baseline before it): its menuitems are the candidates, and Log out is chosen."""
    html = WDS_SIDE.format(**EN) + (
        '<div role="menu"><div role="menuitem">New group</div>'
        '<div role="menuitem">Log out</div></div>'
    )
    reading = await inspect(await show(page, html))
    assert await marked(page, "logout-item") == "Log out", reading.ambiguity


async def test_a_focusable_wrapper_around_the_items_is_never_the_item(page: Page) -> None:
    """Kills "reader: items: outermost control": the new menu's items sit in a focusable list;
    the list holds two items, so it is a list, not an item (without the rule it would be the
    outermost candidate and read as Log out through its children's words)."""
    tab = await show(page, WDS_SIDE.format(**EN))
    items = '<div tabindex="-1"><button>New group</button><button>Log out</button></div>'
    reading = await open_menu(page, tab, items, Memory())
    assert await marked(page, "logout-item") == "Log out", reading.logout_how
