"""The in-page logout across layouts, locales and every kind of interference (real Chromium).

Locales en, es, pt-BR and id are in the agent's tables; de and fr are not, so they exercise the
structural fallback (icons, the destructive last item, the words of the clicked item).
"""

from __future__ import annotations

import pytest
from playwright.async_api import Page

from agent.session.logout import log_out_in_page, stored_keys
from agent.simulator.testing import SimulatorHandle
from tests.session.helpers import deadline, linked_tab

LAYOUTS = ("classic", "rail")
LOCALES = ("en", "es", "pt-BR", "id", "de", "fr")
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

pytestmark = pytest.mark.browser


@pytest.mark.parametrize("interference", INTERFERENCE)
@pytest.mark.parametrize("locale", LOCALES)
@pytest.mark.parametrize("layout", LAYOUTS)
async def test_logout_is_verified_and_unlinks_the_device(
    page: Page, sim: SimulatorHandle, layout: str, locale: str, interference: str
) -> None:
    sim.configure(layout=layout, locale=locale)
    tab = await linked_tab(page, sim, **INTERFERENCE[interference])
    report = await log_out_in_page(tab, sim.url, deadline())
    assert report.verified, report
    assert report.confirmed and not report.nothing_to_do
    assert await stored_keys(tab) == []
    assert report.device_unlinked is True
    assert sim.devices() == []
