"""Sweep: probe every profile and log out the linked ones, as closing time does.

The sweep is the daemon's own: Daemon.logout_linked with the real SessionService (probes in
parallel, then verified logouts, at most logout.parallel_launches relaunched browsers at once).
The simulator allows 4 linked devices per phone, so the linked profiles are spread over several
simulators (one origin each), as different accounts would be.
"""

from __future__ import annotations

import time
from datetime import UTC
from pathlib import Path

from playwright.async_api import Playwright

from agent.daemon.clock import SystemClock
from agent.daemon.daemon import Daemon
from agent.outcome import Result, Trigger
from agent.session.service import SessionService
from agent.settings import ProfileSettings, Settings
from agent.simulator.testing import SimulatorHandle
from bench.linking import prepare_profile
from bench.stats import Figure

DEVICES_PER_PHONE = 4


def sweep_profiles(
    root: Path, sims: list[SimulatorHandle], count: int
) -> tuple[list[ProfileSettings], list[int]]:
    """Given simulators, return count profiles under root and the indexes to link (every other).

    Raise ValueError if the simulators cannot hold that many linked devices.
    """
    linked = list(range(0, count, 2))
    if len(linked) > DEVICES_PER_PHONE * len(sims):
        raise ValueError(f"{len(linked)} linked profiles need more than {len(sims)} simulators")
    profiles = []
    for index in range(count):
        if index in linked:
            sim = sims[linked.index(index) // DEVICES_PER_PHONE]
        else:
            sim = sims[index % len(sims)]
        profiles.append(
            ProfileSettings(name=f"seat-{index}", user_data_dir=root / f"seat-{index}", url=sim.url)
        )
    return profiles, linked


async def bench_sweep(
    settings: Settings,
    playwright: Playwright,
    root: Path,
    sims: list[SimulatorHandle],
    count: int,
    runs: int,
) -> Figure:
    """Time runs sweeps over count profiles (half linked, relinked before each sweep)."""
    figure = Figure(f"sweep of {count} profiles (half linked)", "ms")
    profiles, linked = sweep_profiles(root, sims, count)
    settings = settings.model_copy(update={"profiles": profiles})
    service = SessionService(settings)
    daemon = Daemon(settings, service, SystemClock(UTC))
    by_url = {sim.url: sim for sim in sims}
    executable = service.executable()
    for index, profile in enumerate(profiles):  # the unlinked half: visited the page, never linked
        if index not in linked:
            await prepare_profile(
                playwright, profile.user_data_dir, executable, by_url[str(profile.url)], False
            )
    for _ in range(runs):
        for index in linked:
            profile = profiles[index]
            await prepare_profile(
                playwright, profile.user_data_dir, executable, by_url[str(profile.url)], True
            )
        started = time.perf_counter()
        outcomes = await daemon.logout_linked(Trigger.SCHEDULE)
        elapsed = time.perf_counter() - started
        logged_out = [o.profile for o in outcomes if o.result is Result.LOGGED_OUT and o.verified]
        expected = sorted(profiles[index].name for index in linked)
        devices_left = sum(len(sim.devices()) for sim in sims)
        if sorted(logged_out) == expected and len(outcomes) == len(linked) and not devices_left:
            figure.samples.append(elapsed * 1000)
        else:
            figure.failures += 1
            figure.note = (
                f"last failure: {len(logged_out)} of {len(linked)} logged out,"
                f" {len(outcomes)} logouts run, {devices_left} devices still listed"
            )
            for sim in sims:
                sim.logout_all()
    await service.close()
    return figure
