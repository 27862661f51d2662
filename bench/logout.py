"""Cold and warm verified logouts, each beside its floor, on the bundled simulator.

Cold: SessionService launches the closed, linked profile headless, logs out, verifies, closes.
Its floor: bare Playwright launches the same profile, loads the page and clicks Settings, Log out
and the confirmation with no waiting or verification, then closes.
Warm: SessionService attaches to the running managed browser. Its floor: connect_over_cdp, find
the client's tab, disconnect.
"""

from __future__ import annotations

import time
from pathlib import Path

from playwright.async_api import Playwright

from agent.browser.discovery import QUIET_ARGS, Browser
from agent.browser.managed import running_endpoint
from agent.outcome import Result, Trigger
from agent.probe.origin import origin_of
from agent.session.service import SessionService
from agent.settings import ProfileSettings
from agent.simulator.testing import SimulatorHandle
from bench.linking import link_page, prepare_profile
from bench.stats import Figure

FLOOR_CLICKS = ('[data-icon="settings-refreshed"]', "#logout", 'div[role="dialog"] button.danger')


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
    playwright: Playwright, user_data_dir: Path, executable: Browser, url: str
) -> float:
    """Launch the profile bare, load url, click the three logout controls, close; return ms."""
    started = time.perf_counter()
    context = await playwright.chromium.launch_persistent_context(
        str(user_data_dir),
        executable_path=str(executable.path),
        headless=True,
        args=list(QUIET_ARGS),
    )
    try:
        page = context.pages[0] if context.pages else await context.new_page()
        await page.goto(url)
        for selector in FLOOR_CLICKS:
            await page.click(selector)
    finally:
        await context.close()
    return (time.perf_counter() - started) * 1000


async def bench_cold(
    service: SessionService,
    playwright: Playwright,
    profile: ProfileSettings,
    sim: SimulatorHandle,
    logouts: int,
    floor_runs: int,
) -> tuple[Figure, Figure]:
    """Interleave floor runs and cold logouts of a freshly linked profile; return both figures."""
    executable = service.executable()
    cold = Figure("cold verified logout", "ms")
    floor = Figure("cold floor (bare launch + load + 3 clicks)", "ms")
    for index in range(logouts):
        if index < floor_runs:
            await prepare_profile(playwright, profile.user_data_dir, executable, sim, linked=True)
            floor.samples.append(
                await cold_floor_once(playwright, profile.user_data_dir, executable, sim.url)
            )
            sim.logout_all()  # the floor does not wait for the unpair; keep the phone tidy
        await prepare_profile(playwright, profile.user_data_dir, executable, sim, linked=True)
        await timed_logout(service, profile, sim, cold)
    return cold, floor


async def attach_floor_once(playwright: Playwright, endpoint: str, url: str) -> float:
    """Connect over CDP, find the client's tab, disconnect; return ms. Raise if no tab."""
    origin = origin_of(url)
    started = time.perf_counter()
    browser = await playwright.chromium.connect_over_cdp(endpoint)
    try:
        pages = browser.contexts[0].pages if browser.contexts else []
        if not any(page.url.startswith(origin) for page in pages):
            raise RuntimeError(f"no tab on {origin} in the managed browser")
    finally:
        await browser.close()
    return (time.perf_counter() - started) * 1000


async def relink_managed(playwright: Playwright, endpoint: str, sim: SimulatorHandle) -> None:
    """Link the managed browser's client tab again (not measured)."""
    browser = await playwright.chromium.connect_over_cdp(endpoint)
    try:
        page = next(page for page in browser.contexts[0].pages if page.url.startswith(sim.url))
        await link_page(page, sim)
    finally:
        await browser.close()


async def bench_warm(
    service: SessionService,
    playwright: Playwright,
    profile: ProfileSettings,
    sim: SimulatorHandle,
    runs: int,
) -> tuple[Figure, Figure]:
    """With the managed browser running on profile, alternate attach floors and warm logouts."""
    endpoint = running_endpoint(profile.user_data_dir)
    if endpoint is None:
        raise RuntimeError(f"no managed browser answers for {profile.user_data_dir}")
    warm = Figure("warm verified logout", "ms")
    floor = Figure("attach floor (connect_over_cdp + find tab + disconnect)", "ms")
    for _ in range(runs):
        floor.samples.append(await attach_floor_once(playwright, endpoint, sim.url))
        await relink_managed(playwright, endpoint, sim)
        await timed_logout(service, profile, sim, warm)
    return warm, floor
