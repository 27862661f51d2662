"""The drift laboratory: the seeded mutator, its decoys, strip_controls and the pseudo-locales."""

from __future__ import annotations

import pytest
from playwright.async_api import Locator, Page, expect

from agent.simulator.config import PSEUDO_LOCALES
from agent.simulator.locales import EN, STRINGS
from agent.simulator.testing import SimulatorHandle
from tests.simulator.flows import QR_CANVAS, open_linked_generation, stored_keys

pytestmark = pytest.mark.browser

RED = "rgb(234, 0, 56)"
DECOY_LABELS = [
    EN[key] for key in ("delete_chat", "clear_chat", "delete_account", "block", "report")
]
STRIPPED = ".x1c2k3"
# Whether the element or one of its descendants is drawn red (where the mutator may move it).
IS_RED = """(element) => [element, ...element.querySelectorAll('*')].some(
  (e) => getComputedStyle(e).color === 'rgb(234, 0, 56)')"""


def opener(page: Page, generation: str) -> Locator:
    """The Log out path's opener, found by its name as a person reads it."""
    if generation.startswith("classic"):
        return page.locator(".side-header").get_by_label(EN["menu"], exact=True)
    return page.locator("header.rail").get_by_label(EN["settings"], exact=True)


def overlay(generation: str) -> str:
    return ".dropdown" if generation.startswith("classic") else ".drawer"


async def open_list(page: Page, generation: str) -> str:
    """Open the menu or settings list that holds Log out; return its outer HTML."""
    await opener(page, generation).click()
    await page.locator(overlay(generation)).get_by_text(EN["log_out"], exact=True).wait_for()
    return str(await page.locator(overlay(generation)).evaluate("(e) => e.outerHTML"))


async def rendered(page: Page, sim: SimulatorHandle, generation: str, seed: int | None) -> str:
    """Render the chats and the Log out list under ``seed``; return both as HTML."""
    sim.configure(mutate=seed)
    await page.reload()
    await page.get_by_label(EN["chat_list"], exact=True).wait_for()
    chats = await page.locator("#app").evaluate("(e) => e.innerHTML")
    return chats + await open_list(page, generation)


@pytest.mark.parametrize("generation", ["classic-2023", "wds-2026"])
async def test_same_seed_gives_the_same_dom_and_other_seeds_differ(
    sim: SimulatorHandle, page: Page, generation: str
) -> None:
    await open_linked_generation(sim, page, generation)
    first = await rendered(page, sim, generation, 11)
    assert await rendered(page, sim, generation, 11) == first
    others = {await rendered(page, sim, generation, seed) for seed in (12, 13, 14)}
    assert first not in others and len(others) > 1


async def test_mutations_change_the_markup_of_the_generation(
    sim: SimulatorHandle, page: Page
) -> None:
    await open_linked_generation(sim, page, "classic-2021")
    plain = await rendered(page, sim, "classic-2021", None)
    seen = {"id": 0, "data-testid": 0, "data-icon": 0, "role": 0}
    for seed in range(1, 9):
        html = await rendered(page, sim, "classic-2021", seed)
        for marker in seen:
            seen[marker] += html.count(f' {marker}="') < plain.count(f' {marker}="')
    assert all(seen.values()), seen


async def decoys_for(
    page: Page, sim: SimulatorHandle, generation: str, seeds: range
) -> dict[int, list[str]]:
    """Return, per seed, the decoy labels its Log out list shows."""
    found = {}
    for seed in seeds:
        await rendered(page, sim, generation, seed)
        texts = await page.locator(overlay(generation)).inner_text()
        found[seed] = [label for label in DECOY_LABELS if label in texts]
    return found


@pytest.mark.parametrize("generation", ["classic-2023", "rail-2024", "wds-2026"])
async def test_decoys_are_red_like_log_out_and_a_click_is_recorded(
    sim: SimulatorHandle, page: Page, generation: str
) -> None:
    await open_linked_generation(sim, page, generation)
    found = await decoys_for(page, sim, generation, range(1, 11))
    seed = next(seed for seed, labels in found.items() if labels)
    assert sum(bool(labels) for labels in found.values()) >= 3, found
    await rendered(page, sim, generation, seed)
    decoy = page.locator(overlay(generation)).get_by_text(found[seed][0], exact=True)
    assert await decoy.evaluate(IS_RED)
    async with page.expect_response("**/api/client/decoy") as answer:
        await decoy.click()
    assert (await answer.value).status == 200
    assert [(d["label"], d["where"]) for d in sim.decoys()] == [
        (found[seed][0], "menu" if generation.startswith("classic") else "settings")
    ]
    assert len(sim.devices()) == 1, "a decoy logged the device out"


@pytest.mark.parametrize("seed", range(1, 9))
@pytest.mark.parametrize("generation", ["classic-2023", "wds-2026"])
async def test_a_person_still_logs_out_under_every_mutation_without_a_decoy(
    sim: SimulatorHandle, page: Page, generation: str, seed: int
) -> None:
    await open_linked_generation(sim, page, generation, extra=f"&mutate={seed}")
    await opener(page, generation).click()
    item = page.locator(overlay(generation)).get_by_text(EN["log_out"], exact=True)
    assert await item.evaluate(IS_RED)
    await item.click()
    await page.locator(".overlay .controls").get_by_text(EN["log_out"], exact=True).click()
    await page.wait_for_url("**/?post_logout=1")
    await expect(page.locator(QR_CANVAS)).to_be_visible()
    assert sim.devices() == [] and sim.decoys() == []


async def evidence_of(control: Locator) -> dict[str, object]:
    return dict(
        await control.evaluate(
            """(e) => ({
              tag: e.tagName, attributes: [...e.attributes].map((a) => a.name),
              text: e.innerText.trim(), titles: e.querySelectorAll('title').length,
              icons: e.querySelectorAll('[data-icon]').length,
              red: getComputedStyle(e).color === 'rgb(234, 0, 56)'})"""
        )
    )


NO_EVIDENCE = {
    "tag": "DIV",
    "attributes": ["class"],
    "text": "",
    "titles": 0,
    "icons": 0,
    "red": False,
}


@pytest.mark.parametrize("generation", ["classic-2021", "classic-2023", "rail-2024", "wds-2026"])
async def test_strip_controls_leaves_no_evidence_yet_a_click_still_logs_out(
    sim: SimulatorHandle, page: Page, generation: str
) -> None:
    sim.configure(strip_controls=True, client_api=False)
    await open_linked_generation(sim, page, generation)
    assert await page.evaluate("typeof window.require") == "undefined"
    await expect(opener(page, generation)).to_have_count(0)
    side = page.locator(".side-header" if generation.startswith("classic") else "header.rail")
    stripped_opener = side.locator(STRIPPED).last
    assert await evidence_of(stripped_opener) == NO_EVIDENCE
    await stripped_opener.click()
    logout_item = page.locator(f"{overlay(generation)} {STRIPPED}")
    assert await evidence_of(logout_item) == NO_EVIDENCE
    await expect(page.get_by_text(EN["log_out"], exact=True)).to_have_count(0)
    await logout_item.click()
    confirm_button = page.locator(f".overlay {STRIPPED}")
    assert await evidence_of(confirm_button) == NO_EVIDENCE
    await confirm_button.click()
    await page.wait_for_url("**/?post_logout=1")
    assert sim.devices() == []


@pytest.mark.parametrize("locale", PSEUDO_LOCALES)
@pytest.mark.parametrize("generation", ["classic-2021", "wds-2026"])
async def test_pseudo_locale_pages_speak_it_and_log_out(
    sim: SimulatorHandle, page: Page, generation: str, locale: str
) -> None:
    strings = STRINGS[locale]
    await open_linked_generation(sim, page, generation, locale)
    assert await page.evaluate("document.documentElement.lang") == locale
    title = await page.evaluate("() => String(require('WAWebSettingsFBT').logoutTitle())")
    assert title == strings["log_out"] != EN["log_out"]
    if generation.startswith("classic"):
        await page.locator(".side-header").get_by_label(strings["menu"], exact=True).click()
        await page.locator(".dropdown").get_by_text(strings["log_out"], exact=True).click()
    else:
        await page.locator("header.rail").get_by_label(strings["settings"], exact=True).click()
        await page.locator(".drawer").get_by_text(strings["log_out"], exact=True).click()
    await expect(page.locator(".overlay")).to_contain_text(strings["confirm_title"])
    await page.locator(".overlay .controls").get_by_text(strings["log_out"], exact=True).click()
    await page.wait_for_url("**/?post_logout=1")
    assert await stored_keys(page) == [] and sim.devices() == []
