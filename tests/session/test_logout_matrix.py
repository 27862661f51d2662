"""The in-page logout across markup generations, locales and every kind of interference.

Real Chromium on the simulator; one browser for the whole session, a new context per case.
Locales en, es, pt-BR and id are seen in the wild; de and fr are careful translations; en-XA
(accented) and x-words (invented words) are in no table. en-XA is read through the tables all
the same: folding maps its accented letters to ASCII ("[Ļöĝ öûţ one]" holds "log out"). x-words
is read here through the client's own Log out title (the client API is on in every case); without
it, it is found by id on classic-2021 (test id) and rail-2024 (#logout), by its logout icon on
wds-2026, and not at all on classic-2023 (tests/session/test_structure_claims.py). Every case
asserts which path did it (``how``).
"""

from __future__ import annotations

import pytest
from playwright.async_api import Page

from agent.session.logout import log_out_in_page, stored_keys
from agent.simulator.testing import SimulatorHandle
from tests.session.helpers import deadline, linked_tab

GENERATIONS = ("classic-2021", "classic-2023", "rail-2024", "wds-2026")
LOCALES = ("en", "es", "pt-BR", "id", "de", "fr", "en-XA", "x-words")
INTERFERENCE: dict[str, dict[str, object]] = {
    "none": {},
    "notification_banner": {"notification_banner": True},
    "whats_new_modal": {"whats_new_modal": True},
    "slow_startup": {"startup_delay_ms": 2000},
    "menu_delay": {"menu_delay_ms": 1500},
    "still_sending": {"confirm_variant": "still_sending"},
    "app_lock_upsell": {"confirm_variant": "app_lock"},
    "another_session": {"force_screen": "another_session"},
    "conflict": {"force_screen": "conflict"},
    "offline_banner": {"offline_banner": True},
}
# The path each generation's UI offers first: the chat list's menu, else the rail's settings.
UI_PATH = {
    "classic-2021": "ui:menu",
    "classic-2023": "ui:menu",
    "rail-2024": "ui:settings",
    "wds-2026": "ui:menu",
}

pytestmark = pytest.mark.browser


@pytest.mark.parametrize("interference", INTERFERENCE)
@pytest.mark.parametrize("locale", LOCALES)
@pytest.mark.parametrize("generation", GENERATIONS)
async def test_logout_is_verified_and_unlinks_the_device(
    page: Page, sim: SimulatorHandle, generation: str, locale: str, interference: str
) -> None:
    sim.configure(generation=generation, locale=locale)
    tab = await linked_tab(page, sim, **INTERFERENCE[interference])
    report = await log_out_in_page(tab, sim.url, deadline())
    assert report.verified, report
    assert report.confirmed and not report.nothing_to_do
    assert await stored_keys(tab) == []
    assert report.device_unlinked is True
    assert sim.devices() == []
    assert report.how == ("ui:conflict" if interference == "conflict" else UI_PATH[generation])
