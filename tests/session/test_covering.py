"""Interference that really covers the opener: the notification banner laid over the chat list's
header (its close button is the only way on) and a toast over it that goes by itself.

Real Chromium on the simulator (covering_banner, covering_toast_ms). The UI path alone
(paths=("ui",)): the client function cannot stand in for a step the UI path skipped.
"""

from __future__ import annotations

import pytest
from playwright.async_api import Page

from agent.session.logout import log_out_in_page, stored_keys
from agent.simulator.testing import SimulatorHandle
from tests.session.helpers import deadline, linked_tab

pytestmark = pytest.mark.browser

# The generations whose menu sits in the chat list's header, inside #side (wds-2026 has no ids,
# and the reader finds a banner's close only inside #side: see docs/mutation.md).
HEADER_MENU = ("classic-2021", "classic-2023")


def first_step(steps: list[str], prefix: str) -> int:
    """Return the index of the first step starting with prefix (len(steps) when none does)."""
    return next((i for i, step in enumerate(steps) if step.startswith(prefix)), len(steps))


@pytest.mark.parametrize("generation", HEADER_MENU)
async def test_a_banner_over_the_menu_is_closed_before_the_menu_opens(
    page: Page, sim: SimulatorHandle, generation: str
) -> None:
    sim.configure(generation=generation, locale="en")
    tab = await linked_tab(page, sim, covering_banner=True)
    await page.wait_for_selector(".side-header", timeout=15_000)
    hit = await page.evaluate(
        "() => { const r = document.querySelector('.side-header').getBoundingClientRect();"
        " return Boolean(document.elementFromPoint(r.right - 20, r.top + r.height / 2)"
        ".closest('.banner.covering')); }"
    )
    assert hit, "the banner must cover the header's menu button"
    report = await log_out_in_page(tab, sim.url, deadline(25.0), paths=("ui",))
    assert report.verified and report.how == "ui:menu", report
    steps = report.steps
    assert first_step(steps, "dismiss banner") < first_step(steps, "open menu") < len(steps)
    assert steps.count("dismiss banner") == 1
    assert await stored_keys(tab) == [] and sim.devices() == []


async def test_a_toast_over_the_menu_is_waited_out_and_the_menu_opened_after_it(
    page: Page, sim: SimulatorHandle
) -> None:
    sim.configure(generation="classic-2023", locale="en")
    tab = await linked_tab(page, sim, covering_toast_ms=4000)
    await page.wait_for_selector(".side-header", timeout=15_000)
    covered = await page.evaluate("() => document.querySelector('.toast.covering') !== null")
    assert covered, "the toast must be up when the logout starts"
    report = await log_out_in_page(tab, sim.url, deadline(25.0), paths=("ui",))
    assert report.verified and report.how == "ui:menu", report
    assert "dismiss banner" not in report.steps
    assert await stored_keys(tab) == [] and sim.devices() == []
