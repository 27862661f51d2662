"""The reader's evidence rules on HTML fixtures modelled on the client's markups (real Chromium,
one shared browser, page content set directly: no simulator, no launch per case)."""

from __future__ import annotations

import pytest
from playwright.async_api import Page

from agent.browser.relaunch import Tab
from agent.outcome import PageState
from agent.session.pagestate import Inspection, Memory, inspect

pytestmark = pytest.mark.browser

RED = "color: #ea0038"
# The chat list of a build without ids: a grid of rows, a header with a "more" button.
WDS_SIDE = """
<header class="rail">
  <button aria-label="{settings}" aria-pressed="false" data-navbar-item="true">
    <svg viewBox="0 0 24 24"><title>wds-ic-settings</title><path d="M0 0h24v24H0z"/></svg>
  </button>
</header>
<div class="side">
  <header><h1>{chats}</h1>
    <button aria-label="{new_chat}"><svg><title>wds-ic-new-chat</title></svg></button>
    <button aria-label="{menu}" class="more"><svg><title>wds-ic-more</title></svg></button>
  </header>
  <div role="grid" aria-label="{chat_list}"><div role="row">Ana</div><div role="row">Bo</div></div>
</div>
"""
EN = {
    "settings": "Settings",
    "chats": "Chats",
    "new_chat": "New chat",
    "menu": "Menu",
    "chat_list": "Chat list",
}
XWORDS = {
    "settings": "Zuvaf",
    "chats": "Kebo",
    "new_chat": "Dif kebo",
    "menu": "Tamor",
    "chat_list": "Kebo lumi",
}
CLIENT_API = """() => {
window.require = (name) => {
  const modules = {
    WAWebSettingsFBT: { logoutTitle: () => ({ toString: () => "%s" }) },
    WAWebSocketModel: { Socket: { state: "%s", logout: () => undefined } },
  };
  if (!(name in modules)) throw new Error("Requiring unknown module " + name);
  return modules[name];
};
}"""


async def show(page: Page, html: str, client: tuple[str, str] | None = None) -> Tab:
    await page.goto("about:blank")
    await page.set_content(html)
    if client:
        await page.evaluate(CLIENT_API % client)
    return Tab(page, "null")


async def open_menu(page: Page, tab: Tab, items: str, memory: Memory) -> Inspection:
    """Read once (taking the baseline), add a menu as an opener click would, read again."""
    memory.baseline = "take"
    await inspect(tab, memory)
    await page.evaluate(
        "(items) => { const menu = document.createElement('div'); menu.className = 'dropdown';"
        " menu.innerHTML = items; document.querySelector('.side header').append(menu); }",
        items,
    )
    memory.baseline = "use"
    return await inspect(tab, memory)


async def marked(page: Page, name: str) -> str | None:
    """Return the accessible text of the element marked name, None when nothing is marked."""
    text: str | None = await page.evaluate(
        '(name) => { const e = document.querySelector(`[data-kioskguard="${name}"]`);'
        " return e ? (e.getAttribute('aria-label') || e.innerText).trim() : null; }",
        name,
    )
    return text


async def test_chat_list_without_ids_reads_as_chats_and_finds_both_openers(page: Page) -> None:
    tab = await show(page, WDS_SIDE.format(**EN))
    reading = await inspect(tab)
    assert reading.state is PageState.CHATS
    assert [kind for _, kind, _ in reading.openers] == ["menu", "settings"]
    assert "icon:menu" in reading.openers[0][2] and "rail" in reading.openers[1][2]


@pytest.mark.parametrize(
    "chat_list",
    [
        '<div role="grid"><div role="row">Ana</div><div role="row">Bo</div></div>',
        '<div aria-rowcount="2"><div>Ana</div><div>Bo</div></div>',
        '<div><div aria-selected="false">Ana</div><div aria-selected="true">Bo</div></div>',
    ],
    ids=["grid-with-rows", "aria-rowcount", "aria-selected-rows"],
)
async def test_a_chat_list_found_by_its_structure_alone_reads_as_chats(
    page: Page, chat_list: str
) -> None:
    # No ids, no rail, no name any table knows: only the list's own structure says chats.
    html = f'<div class="side"><header><h1>Kebo</h1></header>{chat_list}</div>'
    tab = await show(page, html)
    reading = await inspect(tab)
    assert reading.state is PageState.CHATS


async def test_openers_in_invented_words_are_found_by_their_icons(page: Page) -> None:
    tab = await show(page, WDS_SIDE.format(**XWORDS))
    reading = await inspect(tab)
    assert reading.state is PageState.CHATS
    assert [(kind, evidence) for _, kind, evidence in reading.openers] == [
        ("menu", "icon:menu"),
        ("settings", "icon:settings+rail"),
    ]


async def test_menuitem_buttons_are_candidates_and_words_choose_log_out(page: Page) -> None:
    tab = await show(page, WDS_SIDE.format(**EN))
    items = (
        '<button role="menuitem" aria-label="New group"><span>New group</span></button>'
        '<button role="menuitem" aria-label="Log out"><span>Log out</span></button>'
    )
    reading = await open_menu(page, tab, items, Memory())
    assert reading.logout_item and reading.logout_how == "words"
    assert await marked(page, "logout-item") == "Log out"


async def test_a_nested_aria_label_names_a_classic_2023_item(page: Page) -> None:
    tab = await show(page, WDS_SIDE.format(**EN))
    items = (
        '<ul><li role="button" tabindex="0" data-animate-dropdown-item="true">'
        '<div aria-label="Starred messages">Starred messages</div></li>'
        '<li role="button" tabindex="0" data-animate-dropdown-item="true">'
        '<div aria-label="Abmelden"><span>Abmelden</span></div></li></ul>'
    )
    reading = await open_menu(page, tab, items, Memory(language="de"))
    assert reading.logout_item and "words" in reading.logout_how
    assert await marked(page, "logout-item") == "Abmelden"


async def test_case_whitespace_and_diacritics_are_folded(page: Page) -> None:
    tab = await show(page, WDS_SIDE.format(**EN))
    items = (
        '<button role="menuitem">Settings</button>'
        '<button role="menuitem"><span>[Ļöĝ   ÖÛŢ one two]</span></button>'
    )
    reading = await open_menu(page, tab, items, Memory())
    assert reading.logout_item and reading.logout_how == "words"


async def test_pseudo_locale_letters_without_a_decomposition_are_folded(page: Page) -> None:
    # ł, ø and ŧ have no Unicode decomposition: only the reader's own table folds them.
    tab = await show(page, WDS_SIDE.format(**EN))
    items = (
        '<button role="menuitem">Settings</button>'
        '<button role="menuitem"><span>[Łöğ øûŧ one two]</span></button>'
    )
    reading = await open_menu(page, tab, items, Memory())
    assert reading.logout_item and reading.logout_how == "words"


async def test_a_log_out_word_inside_a_phrase_without_spaces_is_found(page: Page) -> None:
    # Chinese writes no spaces between words: "立即退出登录" ("log out now") holds 退出登录
    # with letters on both sides, which word bounds alone would refuse.
    tab = await show(page, WDS_SIDE.format(**EN))
    items = '<button role="menuitem">设置</button><button role="menuitem">立即退出登录</button>'
    reading = await open_menu(page, tab, items, Memory(language="zh-CN"))
    assert reading.logout_item and "words" in reading.logout_how
    assert await marked(page, "logout-item") == "立即退出登录"


@pytest.mark.parametrize(
    ("item", "how"),
    [
        # named only by an element it points to (aria-labelledby)
        (
            '<button role="menuitem" aria-labelledby="kg-l1"><svg></svg></button>'
            '<span id="kg-l1" hidden>Log out</span>',
            "words",
        ),
        # named only by the aria-label of an element inside it
        (
            '<li role="button" tabindex="0"><div aria-label="Log out"><svg></svg></div></li>',
            "words",
        ),
        # an icon named only by its own data-icon
        ('<button role="menuitem" data-icon="logout"></button>', "icon"),
    ],
    ids=["aria-labelledby", "nested-aria-label", "own-data-icon"],
)
async def test_an_item_without_text_is_named_by_its_labels_or_icon(
    page: Page, item: str, how: str
) -> None:
    tab = await show(page, WDS_SIDE.format(**EN))
    items = '<button role="menuitem">Settings</button>' + item
    reading = await open_menu(page, tab, items, Memory())
    assert reading.logout_item and reading.logout_how == how, reading


async def test_items_that_are_only_pointer_styled_are_candidates(page: Page) -> None:
    # Two plain divs whose only click evidence is cursor: pointer (too few to read as a list).
    tab = await show(page, WDS_SIDE.format(**EN))
    items = '<div style="cursor: pointer">Settings</div><div style="cursor: pointer">Log out</div>'
    reading = await open_menu(page, tab, items, Memory())
    assert reading.logout_item and reading.logout_how == "words"
    assert await marked(page, "logout-item") == "Log out"


async def test_a_logout_icon_alone_singles_out_the_item(page: Page) -> None:
    tab = await show(page, WDS_SIDE.format(**XWORDS))
    items = (
        '<div class="list"><button>Bafo</button><button>Limu</button>'
        "<button><svg><title>ic-logout</title></svg><span>Zibo kuf</span></button></div>"
    )
    reading = await open_menu(page, tab, items, Memory())
    assert reading.logout_how == "icon"
    assert await marked(page, "logout-item") == "Zibo kuf"


async def test_red_on_a_child_of_a_plain_li_counts_as_destructive(page: Page) -> None:
    tab = await show(page, WDS_SIDE.format(**XWORDS))
    items = (
        '<ul><li>Bafo</li><li>Limu daso</li><li><span data-icon="logout"></span>'
        f'<span style="{RED}">Zibo kuf</span></li></ul>'
    )
    reading = await open_menu(page, tab, items, Memory())
    assert reading.logout_how == "icon+destructive"
    assert await marked(page, "logout-item") == "Zibo kuf"


async def test_a_lone_red_item_that_nothing_else_names_is_never_clicked(page: Page) -> None:
    # The red team's Swahili menu: Log out not red and unknown, the only red item a decoy
    # ("Funga akaunti yako", close your account) that no table lists.
    tab = await show(page, WDS_SIDE.format(**XWORDS))
    items = f'<ul><li>Bafo</li><li>Limu daso</li><li><span style="{RED}">Zibo kuf</span></li></ul>'
    reading = await open_menu(page, tab, items, Memory())
    assert reading.logout_item is None
    assert reading.ambiguity and "1 destructive candidate(s)" in reading.ambiguity


async def test_rows_without_any_click_evidence_are_found_as_the_new_list(page: Page) -> None:
    tab = await show(page, WDS_SIDE.format(**EN))
    items = (
        '<div><div style="cursor: default">Account</div><div>Privacy</div>'
        "<div>Help</div><div>Log out</div></div>"
    )
    reading = await open_menu(page, tab, items, Memory())
    assert reading.logout_item and await marked(page, "logout-item") == "Log out"


async def test_the_clients_own_title_chooses_among_invented_words(page: Page) -> None:
    tab = await show(page, WDS_SIDE.format(**XWORDS), client=("Zibo kuf", "CONNECTED"))
    items = (
        f'<button role="menuitem" style="{RED}">Dafe kebo</button>'
        f'<button role="menuitem" style="{RED}">Zibo kuf</button>'
        f'<button role="menuitem" style="{RED}">Nopa</button>'
    )
    reading = await open_menu(page, tab, items, Memory())
    assert reading.logout_how == "words:client+destructive"
    assert await marked(page, "logout-item") == "Zibo kuf"


async def test_the_confirm_dialog_of_wds_2026_is_read_and_its_log_out_chosen(page: Page) -> None:
    html = WDS_SIDE.format(**EN) + (
        '<div role="dialog" aria-modal="true"><div data-animate-modal-popup="true">'
        "<h1>Log out?</h1><p>Are you sure you want to log out?</p>"
        '<button>Cancel</button><button style="background:#ea0038;color:#fff">Log out</button>'
        "</div></div>"
    )
    tab = await show(page, html)
    reading = await inspect(tab)
    assert reading.dialog_kind == "confirm" and reading.confirm
    assert await marked(page, "confirm") == "Log out"


@pytest.mark.parametrize("opened", ["open attribute", "showModal"])
async def test_a_confirm_in_a_native_dialog_element_is_read(page: Page, opened: str) -> None:
    # The red team's v7i/v7j: a <dialog> element has the dialog role without any attribute.
    attribute = " open" if opened == "open attribute" else ""
    html = WDS_SIDE.format(**EN) + (
        f"<dialog{attribute}><h1>Log out?</h1><p>Are you sure you want to log out?</p>"
        '<button>Cancel</button><button style="background:#ea0038;color:#fff">Log out</button>'
        "</dialog>"
    )
    tab = await show(page, html)
    if opened == "showModal":
        await page.evaluate("document.querySelector('dialog').showModal()")
    reading = await inspect(tab)
    assert reading.dialog_kind == "confirm" and reading.confirm
    assert await marked(page, "confirm") == "Log out"


async def test_a_confirm_in_invented_words_is_chosen_by_its_destructive_style(
    page: Page,
) -> None:
    html = WDS_SIDE.format(**XWORDS) + (
        '<div role="dialog" aria-modal="true"><div data-animate-modal-popup="true">'
        "<h1>Zibo kuf?</h1><button>Bamu</button><button>Fide tar</button>"
        '<button style="background:#ea0038;color:#fff">Zibo kuf</button></div></div>'
    )
    tab = await show(page, html)
    reading = await inspect(tab, Memory(expect_confirm=True))
    assert reading.confirm_how == "destructive"
    assert await marked(page, "confirm") == "Zibo kuf"


XWORDS_CONFIRM = (
    '<div role="dialog" aria-modal="true"><div data-animate-modal-popup="true">'
    "<h1>Mek?</h1>{buttons}</div></div>"
)


async def test_a_lone_plain_confirm_button_is_chosen_by_structure_only_after_our_item_click(
    page: Page,
) -> None:
    # No id, no words of any table or the client, no red: after our item click, the dialog's
    # only button that is not a cancel is the confirm (structure:only); without our click the
    # same dialog is a modal, never confirmed.
    html = WDS_SIDE.format(**XWORDS) + XWORDS_CONFIRM.format(buttons="<button>Zibo kuf</button>")
    tab = await show(page, html)
    reading = await inspect(tab, Memory(expect_confirm=True))
    assert (reading.dialog_kind, reading.confirm_how) == ("confirm", "structure:only")
    assert await marked(page, "confirm") == "Zibo kuf"
    unasked = await inspect(tab, Memory())
    assert unasked.dialog_kind == "modal" and unasked.confirm is None


async def test_the_last_of_several_plain_confirm_buttons_is_chosen_by_structure_after_our_click(
    page: Page,
) -> None:
    buttons = "<button>Bamu</button><button>Fide tar</button><button>Zibo kuf</button>"
    html = WDS_SIDE.format(**XWORDS) + XWORDS_CONFIRM.format(buttons=buttons)
    tab = await show(page, html)
    reading = await inspect(tab, Memory(expect_confirm=True))
    assert (reading.dialog_kind, reading.confirm_how) == ("confirm", "structure:last")
    assert await marked(page, "confirm") == "Zibo kuf"


async def test_a_cancel_button_leaves_the_other_one_as_the_only_confirm(page: Page) -> None:
    buttons = "<button>Cancel</button><button>Zibo kuf</button>"
    html = WDS_SIDE.format(**XWORDS) + XWORDS_CONFIRM.format(buttons=buttons)
    tab = await show(page, html)
    reading = await inspect(tab, Memory(expect_confirm=True))
    assert reading.confirm_how == "structure:only"
    assert await marked(page, "confirm") == "Zibo kuf"


async def test_a_confirm_whose_only_red_is_its_svg_icon_is_chosen_as_destructive(
    page: Page,
) -> None:
    # The red icon's fill is the only evidence; it comes first, so structure:last would miss it.
    icon = '<svg width="16" height="16"><path fill="#ea0038" d="M0 0h16v16H0z"/></svg>'
    buttons = f"<button>{icon}Zibo kuf</button><button>Bamu</button>"
    html = WDS_SIDE.format(**XWORDS) + XWORDS_CONFIRM.format(buttons=buttons)
    tab = await show(page, html)
    reading = await inspect(tab, Memory(expect_confirm=True))
    assert reading.confirm_how == "destructive"
    assert await marked(page, "confirm") == "Zibo kuf"


async def test_socket_state_tells_the_qr_screen_when_the_dom_says_nothing(page: Page) -> None:
    tab = await show(
        page,
        "<div class='landing'><div class='spinner'></div></div>",
        client=("Log out", "UNPAIRED_IDLE"),
    )
    reading = await inspect(tab)
    assert reading.state is PageState.QR


async def test_socket_conflict_tells_conflict_from_another_session(page: Page) -> None:
    html = "<div><p>Kebo tamor</p><button>Zibo kuf</button><button>Lami dor</button></div>"
    tab = await show(page, html, client=("Nothing like it", "CONFLICT"))
    reading = await inspect(tab)
    assert reading.state is PageState.CONFLICT and reading.use_here


async def test_a_menu_inside_the_open_conversation_is_never_the_opener(page: Page) -> None:
    own_menu = (
        '<button aria-label="Menu" class="more"><svg><title>wds-ic-more</title></svg></button>'
    )
    html = WDS_SIDE.format(**EN).replace(own_menu, "") + (
        '<div class="conversation"><header><button aria-label="Menu">'
        "<svg><title>wds-ic-more</title></svg></button></header>"
        '<footer><div contenteditable="true" role="textbox"></div></footer></div>'
    )
    tab = await show(page, html)
    reading = await inspect(tab)
    assert [kind for _, kind, _ in reading.openers] == ["settings"]


async def test_a_menu_kept_hidden_in_the_page_counts_as_new_once_shown(page: Page) -> None:
    hidden = (
        '<div class="menu" style="display:none"><button>Starred</button>'
        '<button style="color:#f15c6d">Log out</button></div>'
    )
    tab = await show(page, WDS_SIDE.format(**EN) + hidden)
    memory = Memory(baseline="take")
    assert (await inspect(tab, memory)).logout_item is None
    await page.evaluate("() => { document.querySelector('.menu').style.display = 'block'; }")
    memory.baseline = "use"
    reading = await inspect(tab, memory)
    assert reading.logout_how == "words+destructive"  # dark theme's red counts too
    assert await marked(page, "logout-item") == "Log out"
