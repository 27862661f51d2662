"""Markup generations: what each one renders, and that a person can log out in each."""

from __future__ import annotations

import pytest
from playwright.async_api import Page, expect

from agent.simulator.config import GENERATIONS
from agent.simulator.locales import EN, STRINGS
from agent.simulator.testing import SimulatorHandle
from tests.simulator.flows import (
    QR_CANVAS,
    click_logout_as_a_human,
    confirm,
    database_names,
    open_linked_generation,
    open_qr,
    stored_keys,
)

pytestmark = pytest.mark.browser

RED = "rgb(234, 0, 56)"
COUNT_MARKERS = (
    "document.querySelectorAll('#app [id], #app [data-testid], #app [data-icon]').length"
)
SVG_TITLES = "(root) => [...root.querySelectorAll('svg title')].map((t) => t.textContent)"


async def markers_in_every_overlay(page: Page) -> list[int]:
    """Return the id/test-id/data-icon count with the menu, the drawer, the dialog open."""
    counts = []
    await page.locator(".side-header").get_by_role("button", name=EN["menu"]).click()
    await page.locator(".dropdown").wait_for()
    counts.append(await page.evaluate(COUNT_MARKERS))
    await page.locator("header.rail").get_by_label(EN["settings"], exact=True).click()
    await page.locator(".drawer").wait_for()
    counts.append(await page.evaluate(COUNT_MARKERS))
    await page.locator(".drawer").get_by_text(EN["log_out"], exact=True).click()
    await page.get_by_role("dialog").wait_for()
    counts.append(await page.evaluate(COUNT_MARKERS))
    return counts


@pytest.mark.parametrize(
    ("generation", "label"),
    [
        ("classic-2021", "Scan me!"),
        ("classic-2023", "Scan me!"),
        ("rail-2024", "Scan this QR code to link a device!"),
        ("wds-2026", "Scan this QR code to link a device!"),
    ],
)
async def test_qr_canvas_label_follows_the_generation(
    sim: SimulatorHandle, page: Page, generation: str, label: str
) -> None:
    await open_qr(page, f"{sim.url}?generation={generation}")
    await expect(page.locator(QR_CANVAS)).to_have_attribute("aria-label", label)


async def test_wds_2026_renders_no_ids_test_ids_or_icon_names(
    sim: SimulatorHandle, page: Page
) -> None:
    await open_linked_generation(sim, page, "wds-2026")
    await page.locator(".chat-row").first.click()
    await page.locator(".main-panel footer").wait_for()
    assert await page.evaluate(COUNT_MARKERS) == 0
    assert await markers_in_every_overlay(page) == [0, 0, 0]


async def test_wds_2026_rail_items_are_navbar_buttons_with_svg_titles_only(
    sim: SimulatorHandle, page: Page
) -> None:
    await open_linked_generation(sim, page, "wds-2026")
    items = page.locator('header.rail button[data-navbar-item="true"][aria-pressed]')
    assert await items.count() == 6
    titles = await page.locator("header.rail").evaluate(SVG_TITLES)
    for name in ("wds-ic-chats", "wds-ic-status", "wds-ic-channels", "wds-ic-communities"):
        assert name in titles
    settings = page.locator(f'header.rail button[aria-label="{EN["settings"]}"]')
    assert await settings.evaluate(SVG_TITLES) == ["wds-ic-settings"]


async def test_wds_2026_more_menu_holds_log_out_as_a_menuitem_button(
    sim: SimulatorHandle, page: Page
) -> None:
    await open_linked_generation(sim, page, "wds-2026")
    opener = page.locator(f'.side-header button[aria-label="{EN["menu"]}"]')
    assert await opener.evaluate(SVG_TITLES) == ["wds-ic-more"]
    await opener.click()
    item = page.locator(f'.dropdown button[role="menuitem"][aria-label="{EN["log_out"]}"]')
    await expect(item).to_have_css("color", RED)
    assert await page.locator('.dropdown button[role="menuitem"]').count() == 4


async def test_wds_2026_log_out_row_is_a_red_button_with_ic_logout_and_modal_confirm(
    sim: SimulatorHandle, page: Page
) -> None:
    await open_linked_generation(sim, page, "wds-2026")
    await page.locator("header.rail").get_by_label(EN["settings"], exact=True).click()
    row = page.locator(f'.drawer button[aria-label="{EN["log_out"]}"]')
    await expect(row).to_have_css("color", RED)
    assert await row.evaluate(SVG_TITLES) == ["ic-logout"]
    account = page.locator(f'.drawer button[aria-label="{EN["account"]}"]')
    await expect(account).to_contain_text(EN["account_sub"])
    await row.click()
    popup = page.locator('div[role="dialog"][aria-modal="true"] > div[data-animate-modal-popup]')
    await expect(popup).to_contain_text(EN["confirm_title"])
    names = await popup.locator("button").all_inner_texts()
    assert names == [EN["cancel"], EN["log_out"]]


async def test_classic_2021_renders_its_test_ids_and_ids(sim: SimulatorHandle, page: Page) -> None:
    await open_linked_generation(sim, page, "classic-2021")
    await expect(page.locator("#side #pane-side")).to_be_visible()
    await page.locator('#side [data-icon="menu"]').click()
    await page.locator('li[data-testid="mi-logout menu-item"]').click()
    dialog = page.locator('[data-testid="confirm-popup"]')
    await expect(dialog.locator('[data-testid="popup-controls-cancel"]')).to_have_text(EN["cancel"])
    await expect(dialog.locator('[data-testid="popup-controls-ok"]')).to_have_text(EN["log_out"])


async def test_classic_2023_dropdown_items_have_no_test_ids(
    sim: SimulatorHandle, page: Page
) -> None:
    await open_linked_generation(sim, page, "classic-2023")
    await page.locator('#side [data-icon="menu"]').click()
    item = page.locator(
        'li[role="button"][tabindex="0"][data-animate-dropdown-item] '
        f'> div[aria-label="{EN["log_out"]}"]'
    )
    await item.click()
    await page.get_by_role("dialog").wait_for()
    assert await page.locator("#app [data-testid]").count() == 0


async def test_rail_2024_keeps_the_logout_id_and_settings_icon(
    sim: SimulatorHandle, page: Page
) -> None:
    await open_linked_generation(sim, page, "rail-2024")
    await page.locator('[data-icon="settings-refreshed"]').click()
    await expect(page.locator('#logout [data-icon="exit"]')).to_be_visible()
    assert await page.locator("#app [data-testid]").count() == 0


@pytest.mark.parametrize("locale", ["en", "es"])
@pytest.mark.parametrize("generation", GENERATIONS)
async def test_a_person_logs_out_in_every_generation_and_the_phone_list_empties(
    sim: SimulatorHandle, page: Page, generation: str, locale: str
) -> None:
    await open_linked_generation(sim, page, generation, locale)
    assert len(sim.devices()) == 1
    await click_logout_as_a_human(page, generation, locale)
    await page.wait_for_url("**/?post_logout=1")
    await expect(page.locator(QR_CANVAS)).to_be_visible()
    assert await stored_keys(page) == []
    assert await database_names(page) == []
    assert sim.devices() == []


async def test_wds_2026_more_menu_logs_out_too(sim: SimulatorHandle, page: Page) -> None:
    await open_linked_generation(sim, page, "wds-2026", "pt-BR")
    strings = STRINGS["pt-BR"]
    await page.locator(".side-header").get_by_role("button", name=strings["menu"]).click()
    await page.get_by_role("menuitem", name=strings["log_out"]).click()
    await confirm(page, strings["log_out"])
    await page.wait_for_url("**/?post_logout=1")
    assert sim.devices() == []


async def test_layout_alias_selects_its_generation(sim: SimulatorHandle, page: Page) -> None:
    assert sim.configure(layout="classic")["generation"] == "classic-2023"
    await open_linked_generation(sim, page, "classic-2023")
    assert sim.configure(generation="wds-2026")["layout"] == "rail"
