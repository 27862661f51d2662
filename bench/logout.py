"""Cold and warm verified logouts, each beside its floor, on the bundled simulator.

Cold: SessionService launches the closed, linked profile headless, logs out, verifies, closes.
Its floor: bare Playwright launches the same profile with the same executable (the headless shell
when the agent uses one), loads the page and clicks Settings, Log out and the confirmation with no
waiting or verification, then closes. The profile is always linked by the full browser, as a
visitor's would be.
Warm: SessionService attaches to the running managed browser. Its floor: connect_over_cdp, find
the client's tab, disconnect.
"""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

from playwright.async_api import Playwright

from agent.browser.cdp import CdpTab, attach_tab
from agent.browser.discovery import Browser
from agent.errors import DriverError
from agent.linking import link_browser
from agent.outcome import Result, Trigger
from agent.session.service import SessionService
from agent.settings import ProfileSettings
from agent.simulator.testing import SimulatorHandle
from bench.linking import opened_profile, prepare_profile
from bench.stats import Figure

# The floor's three clicks per markup generation (hard-coded: the floor knows the markup; the
# agent reads it). wds-2026 has no ids: the chat list's menu, its Log out item, the confirm.
FLOOR_CLICKS: dict[str, tuple[str, ...]] = {
    "rail-2024": (
        '[data-icon="settings-refreshed"]',
        "#logout",
        'div[role="dialog"] button.danger',
    ),
    "wds-2026": (
        'button[aria-label="Menu"]',
        'button[role="menuitem"][aria-label="Log out"]',
        'div[role="dialog"] button.danger',
    ),
}
GENERATIONS = tuple(FLOOR_CLICKS)


async def timed_logout(
    service: SessionService, profile: ProfileSettings, sim: SimulatorHandle, figure: Figure
) -> None:
    """Log the profile out through the service; add the time to figure if verified and unlinked."""
    started = time.perf_counter()
    outcome = await service.logout(profile, Trigger.MANUAL, 30.0)
    elapsed = time.perf_counter() - started
    if outcome.result is Result.LOGGED_OUT and outcome.verified and not sim.devices():
        figure.samples.append(elapsed * 1000)
    else:
        figure.failures += 1
        figure.note = f"last failure: {outcome.result.value} {outcome.error or ''}".strip()
        sim.logout_all()


async def cold_floor_once(
    playwright: Playwright,
    user_data_dir: Path,
    executable: Browser,
    url: str,
    generation: str = GENERATIONS[0],
) -> float:
    """Launch the profile bare, load url, click the three logout controls, close; return ms."""
    started = time.perf_counter()
    async with opened_profile(playwright, user_data_dir, executable) as page:
        await page.goto(url)
        for selector in FLOOR_CLICKS[generation]:
            await page.click(selector)
    return (time.perf_counter() - started) * 1000


async def bench_cold_only(
    service: SessionService,
    playwright: Playwright,
    profile: ProfileSettings,
    sim: SimulatorHandle,
    name: str,
    runs: int,
) -> Figure:
    """Cold logouts of a freshly linked profile, without a floor (for comparisons)."""
    figure = Figure(name, "ms")
    for _ in range(runs):
        await prepare_profile(playwright, profile.user_data_dir, service.executable(), sim, True)
        await timed_logout(service, profile, sim, figure)
    return figure


async def bench_cold(
    service: SessionService,
    playwright: Playwright,
    profile: ProfileSettings,
    sim: SimulatorHandle,
    logouts: int,
    floor_runs: int,
    generation: str = GENERATIONS[0],
) -> tuple[Figure, Figure]:
    """Interleave floor runs and cold logouts of a freshly linked profile; return both figures.

    The simulator must show ``generation`` (its floor clicks are that markup's).
    """
    executable = service.executable()  # what the visitor used
    relaunch = service.cold_executable()  # what the agent relaunches with
    cold = Figure("cold verified logout", "ms")
    floor = Figure("cold floor (bare launch + load + 3 clicks)", "ms")
    for index in range(logouts):
        if index < floor_runs:
            await prepare_profile(playwright, profile.user_data_dir, executable, sim, linked=True)
            floor.samples.append(
                await cold_floor_once(
                    playwright, profile.user_data_dir, relaunch, sim.url, generation
                )
            )
            sim.logout_all()  # the floor does not wait for the unpair; keep the phone tidy
        await prepare_profile(playwright, profile.user_data_dir, executable, sim, linked=True)
        await timed_logout(service, profile, sim, cold)
    return cold, floor


async def attach_floor_once(endpoint: str, url: str) -> float:
    """Connect over CDP, find the client's tab, attach to it, detach, disconnect; return ms.

    Plain CDP, as the agent's warm path: Playwright's connect_over_cdp would leave its utility
    world (and paused-target state) in the managed browser and skew every later figure.
    """
    started = time.perf_counter()
    connection, _, opened = await attach_tab(endpoint, url, 15.0)
    await connection.close()
    if opened is not None:
        raise RuntimeError(f"no tab on {url} in the managed browser")
    return (time.perf_counter() - started) * 1000


async def bare_warm_logout_once(endpoint: str, url: str, generation: str = GENERATIONS[0]) -> float:
    """Attach, click the three controls (scroll, wait until clickable, click), wait for the QR
    canvas, detach; return ms. What any CDP client pays for a warm logout before verifying
    anything: context for the warm figure, whose floor (the issue's) is the attach alone."""
    started = time.perf_counter()
    connection, tab, _ = await attach_tab(endpoint, url, 15.0)
    try:
        for selector in FLOOR_CLICKS[generation]:
            await tab.click(selector, 10.0)
        deadline = time.monotonic() + 15
        while not await _has_qr(tab):
            if time.monotonic() > deadline:
                raise RuntimeError("no QR after the bare logout")
            await asyncio.sleep(0.01)
    finally:
        await connection.close()
    return (time.perf_counter() - started) * 1000


async def _has_qr(tab: CdpTab) -> bool:
    try:
        return bool(await tab.evaluate("() => !!document.querySelector('div[data-ref] canvas')"))
    except DriverError:
        return False  # between documents


async def bench_warm(
    service: SessionService,
    profile: ProfileSettings,
    sim: SimulatorHandle,
    runs: int,
    generation: str = GENERATIONS[0],
) -> tuple[Figure, Figure, Figure]:
    """With the managed browser running on profile, alternate attach floors and warm logouts.

    Return the warm figure, its attach floor and the bare warm logout (context).
    """
    endpoint = service.endpoint(profile).endpoint
    if endpoint is None:
        raise RuntimeError(f"no managed browser answers for {profile.user_data_dir}")
    warm = Figure("warm verified logout", "ms")
    floor = Figure("attach floor (CDP connect + find tab + attach + detach)", "ms")
    bare = Figure(
        "bare warm logout (attach + 3 clicks + wait for the QR, no checks), context", "ms"
    )
    for _ in range(runs):
        floor.samples.append(await attach_floor_once(endpoint, sim.url))
        await link_browser(service.driver, endpoint, sim)  # not measured
        bare.samples.append(await bare_warm_logout_once(endpoint, sim.url, generation))
        sim.logout_all()  # the bare run does not check the unpair; keep the phone tidy
        await link_browser(service.driver, endpoint, sim)  # not measured
        await timed_logout(service, profile, sim, warm)
    return warm, floor, bare
