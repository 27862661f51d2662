"""What the reader finds in a language no table knows when the client's own words are missing.

The simulator's x-words locale (invented words, in no table) with the client API off: no
logoutTitle(), no socket, no Socket.logout(). On the UI path alone, each generation is logged
out only through the evidence its markup still carries: classic-2021's test id, rail-2024's
#logout, wds-2026's logout icon; classic-2023 carries none of those (its red item alone is
never enough: colour alone never picks an item), so it is not logged out, and the report says
why. docs/reader.md ("What structure alone does not do") says the same.
"""

from __future__ import annotations

import pytest
from playwright.async_api import Page

from agent.session.logout import log_out_in_page
from agent.simulator.testing import SimulatorHandle
from tests.session.helpers import deadline, linked_tab

pytestmark = pytest.mark.browser


@pytest.mark.parametrize(
    ("generation", "evidence"),
    [("classic-2021", "id"), ("rail-2024", "id"), ("wds-2026", "icon")],
)
async def test_x_words_without_the_client_api_is_logged_out_by_id_or_icon(
    page: Page, sim: SimulatorHandle, generation: str, evidence: str
) -> None:
    sim.configure(generation=generation, locale="x-words")
    tab = await linked_tab(page, sim, client_api=False)
    report = await log_out_in_page(tab, sim.url, deadline(30.0), paths=("ui",))
    assert report.verified, report
    items = [note for note in report.evidence if note.startswith("item: ")]
    assert items and evidence in items[0].removeprefix("item: ").split("+"), report.evidence
    assert not any("words" in item for item in items), report.evidence


async def test_x_words_without_the_client_api_on_classic_2023_is_not_logged_out(
    page: Page, sim: SimulatorHandle
) -> None:
    sim.configure(generation="classic-2023", locale="x-words")
    tab = await linked_tab(page, sim, client_api=False)
    report = await log_out_in_page(tab, sim.url, deadline(20.0), paths=("ui",))
    assert not report.verified and not report.confirmed, report
    assert any(step.startswith("open menu") for step in report.steps), report.steps
    assert sim.devices() != []
