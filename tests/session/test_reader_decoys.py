"""Decoys are never chosen, and no evidence means no guess (HTML fixtures, real Chromium)."""

from __future__ import annotations

import pytest
from playwright.async_api import Page

from agent.session.pagestate import Memory, inspect
from tests.session.test_reader_evidence import EN, RED, WDS_SIDE, XWORDS, marked, open_menu, show

pytestmark = pytest.mark.browser

DECOYS = {
    "en": ("Delete chat", "Clear chat", "Delete account", "Block", "Report", "Log out"),
    "es": (
        "Eliminar chat",
        "Vaciar chat",
        "Eliminar cuenta",
        "Bloquear",
        "Reportar",
        "Cerrar sesión",
    ),
    "pt-BR": (
        "Apagar conversa",
        "Limpar conversa",
        "Apagar conta",
        "Bloquear",
        "Denunciar",
        "Desconectar",
    ),
    "id": ("Hapus chat", "Bersihkan chat", "Hapus akun", "Blokir", "Laporkan", "Keluar"),
    "de": ("Chat löschen", "Chat leeren", "Konto löschen", "Blockieren", "Melden", "Abmelden"),
    "fr": (
        "Supprimer la discussion",
        "Effacer la discussion",
        "Supprimer le compte",
        "Bloquer",
        "Signaler",
        "Se déconnecter",
    ),
    "en-XA": (
        "[Ðéļéţé çĥåţ one]",
        "[Çļéåŕ çĥåţ one]",
        "[Ðéļéţé åççöûñţ one]",
        "[Ɓļöçķ one]",
        "[Ŕéþöŕţ one]",
        "[Ļöĝ öûţ one]",
    ),
}


@pytest.mark.parametrize("language", DECOYS)
async def test_red_decoys_around_log_out_are_never_chosen(page: Page, language: str) -> None:
    *decoys, logout = DECOYS[language]
    labels = [*decoys[:2], logout, *decoys[2:]]  # Log out neither first nor last
    items = "".join(
        f'<button role="menuitem" aria-label="{label}" style="{RED}">{label}</button>'
        for label in labels
    )
    tab = await show(page, WDS_SIDE.format(**EN))
    reading = await open_menu(page, tab, items, Memory())
    assert reading.logout_item, reading
    assert await marked(page, "logout-item") == logout


@pytest.mark.parametrize("language", DECOYS)
async def test_a_menu_of_decoys_only_marks_nothing(page: Page, language: str) -> None:
    *decoys, _ = DECOYS[language]
    items = "".join(
        f'<li role="button" tabindex="0" style="{RED}">{label}</li>' for label in decoys
    )
    tab = await show(page, WDS_SIDE.format(**EN))
    reading = await open_menu(page, tab, f"<ul>{items}</ul>", Memory())
    assert reading.logout_item is None
    assert await marked(page, "logout-item") is None


async def test_two_unnamed_red_items_are_an_ambiguity_not_a_guess(page: Page) -> None:
    items = (
        f'<button role="menuitem" style="{RED}">Dafe kebo</button>'
        '<button role="menuitem">Bafo</button>'
        f'<button role="menuitem" style="{RED}">Zibo kuf</button>'
    )
    tab = await show(page, WDS_SIDE.format(**XWORDS))
    reading = await open_menu(page, tab, items, Memory())
    assert reading.logout_item is None
    assert reading.ambiguity and "2 destructive candidate(s)" in reading.ambiguity


async def test_new_items_without_any_evidence_are_an_ambiguity(page: Page) -> None:
    items = '<button role="menuitem">Dafe kebo</button><button role="menuitem">Zibo kuf</button>'
    tab = await show(page, WDS_SIDE.format(**XWORDS))
    reading = await open_menu(page, tab, items, Memory())
    assert reading.logout_item is None and reading.new_items == 2
    assert reading.ambiguity and "none of 2 new items" in reading.ambiguity


async def test_a_log_out_button_outside_the_new_menu_is_never_chosen(page: Page) -> None:
    html = WDS_SIDE.format(**EN) + '<div class="promo"><button>Log out</button></div>'
    items = '<button role="menuitem">New group</button><button role="menuitem">Starred</button>'
    tab = await show(page, html)
    reading = await open_menu(page, tab, items, Memory())
    assert reading.logout_item is None
    assert await marked(page, "logout-item") is None


async def test_two_equal_log_out_items_are_an_ambiguity(page: Page) -> None:
    items = (
        '<button role="menuitem">Log out of this group</button>'
        '<button role="menuitem">Log out of the channel</button>'
    )
    tab = await show(page, WDS_SIDE.format(**EN))
    reading = await open_menu(page, tab, items, Memory())
    assert reading.logout_item is None
    assert reading.ambiguity and "2 candidates with the same evidence" in reading.ambiguity


async def test_an_exact_log_out_wins_over_a_longer_phrase(page: Page) -> None:
    items = (
        '<button role="menuitem">Log out of this group</button>'
        '<button role="menuitem">Log out</button>'
    )
    tab = await show(page, WDS_SIDE.format(**EN))
    reading = await open_menu(page, tab, items, Memory())
    assert await marked(page, "logout-item") == "Log out"
    assert reading.logout_how == "words"


async def test_a_decoy_button_in_the_confirm_dialog_is_never_the_confirm(page: Page) -> None:
    html = WDS_SIDE.format(**EN) + (
        '<div role="dialog" aria-modal="true"><h1>Log out?</h1>'
        "<button>Cancel</button>"
        '<button style="background:#ea0038;color:#fff">Delete account</button>'
        "<button>Log out</button></div>"
    )
    tab = await show(page, html)
    reading = await inspect(tab, Memory(expect_confirm=True))
    assert await marked(page, "confirm") == "Log out"
    assert reading.confirm_how == "words"


async def test_chat_rows_that_re_render_with_the_menu_are_never_candidates(page: Page) -> None:
    tab = await show(page, WDS_SIDE.format(**EN))
    memory = Memory(baseline="take")
    await inspect(tab, memory)
    # the opener click re-renders the chat list; a chat's last message says "Log out"
    await page.evaluate(
        """() => {
          const grid = document.querySelector('[role="grid"]');
          grid.innerHTML =
            '<div role="row" tabindex="-1">Ana: Log out</div><div role="row">Bo</div>';
        }"""
    )
    memory.baseline = "use"
    reading = await inspect(tab, memory)
    assert reading.logout_item is None


MODAL = """<div class="side"><header><h1>Chats</h1></header>
<div role="grid" aria-label="Chat list"><div role="row">Ana</div><div role="row">Bo</div></div>
</div>
<div role="dialog" aria-modal="true"><h2>{title}</h2><p>…</p><div>{buttons}</div></div>"""


@pytest.mark.parametrize(
    ("buttons", "dismiss"),
    [
        # the v4 replica: OK first, the Learn more decoy last (Arabic)
        ("<button>حسنًا</button><button>معرفة المزيد</button>", "حسنًا"),
        ("<button>Learn more</button><button>Got it</button>", "Got it"),
        (
            '<button aria-label="Close"><svg><title>x</title></svg></button>'
            "<button>Update now</button>",
            "Close",
        ),
        # no words anywhere: the one primary-styled button
        (
            '<button>Zuvaf</button><button style="background:#008069;color:#fff">Tamor</button>',
            "Tamor",
        ),
        ("<button>Tamor</button>", "Tamor"),  # the dialog's only button
    ],
)
async def test_a_modal_is_dismissed_only_by_a_control_the_evidence_singles_out(
    page: Page, buttons: str, dismiss: str
) -> None:
    tab = await show(page, MODAL.format(title="What's new", buttons=buttons))
    reading = await inspect(tab, Memory())
    assert reading.dialog_kind == "modal" and reading.dismiss
    assert await marked(page, "dismiss") == dismiss


@pytest.mark.parametrize(
    "buttons",
    [
        "<button>Zuvaf</button><button>Learn more</button>",  # never the last by position
        "<button>Zuvaf</button><button>Tamor</button>",
        "<button>Download</button><button>Install</button>",
        '<button style="background:#008069;color:#fff">Update</button><button>Zuvaf</button>',
    ],
)
async def test_a_modal_without_dismiss_evidence_marks_nothing(page: Page, buttons: str) -> None:
    tab = await show(page, MODAL.format(title="Kebo", buttons=buttons))
    reading = await inspect(tab, Memory())
    assert reading.dialog_kind == "modal" and reading.dismiss is None
    assert reading.ambiguity and reading.ambiguity.startswith("modal:")
    assert await marked(page, "dismiss") is None


async def test_a_chat_list_named_only_by_title_reads_as_chats(page: Page) -> None:
    tab = await show(
        page,
        '<div class="side"><header><div title="Menu" style="cursor:pointer"><svg></svg></div>'
        '</header><div title="Chat list"><div>Anna</div></div></div>',
    )
    reading = await inspect(tab, Memory())
    assert reading.state.value == "chats" and reading.openers


async def test_title_only_icon_items_of_a_new_menu_are_candidates_and_decoys_stay_out(
    page: Page,
) -> None:
    tab = await show(page, WDS_SIDE.format(**EN))
    memory = Memory()
    reading = await open_menu(
        page,
        tab,
        '<div title="New group"><svg></svg></div>'
        '<div title="Log out" style="color:#ea0038"><svg></svg></div>'
        '<div title="Report" style="color:#ea0038"><svg></svg></div>',
        memory,
    )
    assert reading.logout_item and "words" in reading.logout_how
    title = await page.evaluate(
        "() => document.querySelector('[data-kioskguard=\"logout-item\"]').getAttribute('title')"
    )
    assert title == "Log out"
