"""Markup drift on the simulator (real Chromium): the seeded mutator, controls stripped of all
evidence, the client's own logout function alone, and the case where neither path can work."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.async_api import Page

from agent.outcome import Result, Trigger
from agent.session.logout import log_out_in_page, stored_keys
from agent.session.service import SessionService
from agent.settings import ProfileSettings
from agent.simulator.testing import SimulatorHandle
from tests.conftest import PersistentLauncher
from tests.session.conftest import MUTATED
from tests.session.helpers import deadline, linked_tab, settings_for

pytestmark = pytest.mark.browser

GENERATIONS = ("classic-2021", "classic-2023", "rail-2024", "wds-2026")
SEEDS = range(1, 51)


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("generation", ("wds-2026", "classic-2023"))
async def test_mutated_markup_is_logged_out_in_page_and_no_decoy_is_clicked(
    page: Page, sim: SimulatorHandle, generation: str, seed: int
) -> None:
    sim.configure(generation=generation)
    tab = await linked_tab(page, sim, mutate=seed)
    report = await log_out_in_page(tab, sim.url, deadline())
    assert sim.decoys() == []
    assert report.verified and report.device_unlinked is True, report
    assert await stored_keys(tab) == [] and sim.devices() == []
    assert report.how.startswith("ui:") or report.how == "client_function", report
    MUTATED.append((generation, seed, report.how, report.ui_failed))


@pytest.mark.parametrize("locale", ("en", "de", "x-words"))
@pytest.mark.parametrize("generation", GENERATIONS)
async def test_controls_without_evidence_are_left_to_the_client_function(
    page: Page, sim: SimulatorHandle, generation: str, locale: str
) -> None:
    sim.configure(generation=generation, locale=locale)
    tab = await linked_tab(page, sim, strip_controls=True, client_api=True)
    report = await log_out_in_page(tab, sim.url, deadline())
    assert report.verified and report.device_unlinked is True, report
    assert report.how == "client_function" and report.ui_failed
    assert "client: Socket.logout called; Cmd logout: event" in report.evidence
    assert sim.devices() == [] and sim.decoys() == []


@pytest.mark.parametrize("generation", GENERATIONS)
async def test_client_function_alone_never_clicks_and_is_verified(
    page: Page, sim: SimulatorHandle, generation: str
) -> None:
    sim.configure(generation=generation)
    tab = await linked_tab(page, sim)
    report = await log_out_in_page(tab, sim.url, deadline(), paths=("client_function",))
    assert report.verified and report.device_unlinked is True, report
    assert report.how == "client_function" and report.attempts == 1
    assert not any(step.startswith(("open", "log out item", "confirm")) for step in report.steps)
    assert sim.devices() == []


async def test_without_client_modules_the_ui_path_still_logs_out(
    page: Page, sim: SimulatorHandle
) -> None:
    sim.configure(generation="wds-2026", locale="de")
    tab = await linked_tab(page, sim, client_api=False)
    report = await log_out_in_page(tab, sim.url, deadline())
    assert report.verified and report.how == "ui:menu" and sim.devices() == []


async def test_neither_path_ends_local_only_never_logged_out(
    tmp_path: Path, launch_persistent: PersistentLauncher, sim: SimulatorHandle
) -> None:
    profile = ProfileSettings(name="kiosk", user_data_dir=tmp_path / "profile", url=sim.url)
    context = await launch_persistent(profile.user_data_dir)
    await linked_tab(context.pages[0], sim)
    await context.close()
    sim.configure(generation="wds-2026", strip_controls=True, client_api=False)
    service = SessionService(settings_for(tmp_path, sim))
    try:
        outcome = await service.logout(profile, Trigger.MANUAL, 30.0)
    finally:
        await service.close()
    assert outcome.result is Result.LOCAL_ONLY and outcome.how == "wipe", outcome
    assert outcome.fallback_used and outcome.action == "fallback_clear"
    assert any(note.startswith("client function unavailable: no require") for note in outcome.notes)
    assert len(sim.devices()) == 1  # honest: the phone still lists the device


async def test_a_menu_too_slow_for_half_the_time_gives_way_to_the_client_function(
    page: Page, sim: SimulatorHandle
) -> None:
    tab = await linked_tab(page, sim, menu_delay_ms=30_000)
    report = await log_out_in_page(tab, sim.url, deadline(10.0))
    assert report.verified and report.how == "client_function", report
    assert report.ui_failed == "no confirm after 50% of the time available"
    assert sim.devices() == []
