"""``python -m bench``: measure every figure beside its floor; write docs/benchmarks.{md,json}."""

from __future__ import annotations

import argparse
import asyncio
import fcntl
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path

from loguru import logger
from playwright.async_api import Playwright, async_playwright

from agent.browser.discovery import find_browser
from agent.browser.managed import port_in_use, start_managed
from agent.session.service import SessionService
from agent.settings import ProfileSettings, Settings
from agent.simulator.testing import SimulatorHandle, simulator_process
from bench.fleet import bench_fleet
from bench.fleet import targets as fleet_targets
from bench.footprint import bench_floor, bench_footprint
from bench.logout import GENERATIONS, bench_cold, bench_cold_only, bench_warm
from bench.probe import bench_probe
from bench.processes import browser_processes
from bench.report import Results, markdown, write
from bench.scrub import bench_scrub
from bench.shutdown import measure_shutdown
from bench.stats import Target, ratio
from bench.sweep import bench_sweep
from bench.visitor import add_visitor

DOCS = Path(__file__).resolve().parent.parent / "docs"
TEMPLATES = (
    Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache"))
    / "kioskguard"
    / "profile-templates"
)


def parse(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="20 logouts, 10 s idle, 3 sweeps")
    parser.add_argument("--runs", type=int, default=10, help="runs per figure (at least 10)")
    parser.add_argument("--docs", type=Path, default=DOCS, help="where to write the results")
    args = parser.parse_args(argv)
    if args.runs < 10:
        parser.error(f"--runs must be at least 10, got {args.runs}")
    return args


def quiet_logs() -> None:
    """Keep the agent's own log lines (one per logout) out of the benchmark's output."""
    logger.remove()
    logger.add(sys.stderr, level="WARNING")


def step(text: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {text}", flush=True)


@contextmanager
def warm_browser(
    service: SessionService, profile: ProfileSettings, url: str
) -> Iterator[subprocess.Popen[bytes]]:
    """Run the managed browser headless on profile on the configured (fixed, default 9222)
    DevTools port, as shipped, until the block ends; found through that port, not
    DevToolsActivePort. Holds /tmp/kioskguard-port-PORT.lock meanwhile (tests on the same
    machine use the port too)."""
    port = service.settings.browser.debugging_port
    with open(f"/tmp/kioskguard-port-{port}.lock", "a+") as lock:
        fcntl.flock(lock.fileno(), fcntl.LOCK_EX)
        if port_in_use(port):
            raise RuntimeError(f"port {port} is in use by another program")
        process = start_managed(
            service.executable(), profile.user_data_dir, url, port=port, headless=True
        )
        try:
            deadline = time.monotonic() + 30
            while service.endpoint(profile, timeout_s=0.2).endpoint is None:
                if process.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError("the managed browser did not start")
                time.sleep(0.1)
            yield process
        finally:
            process.terminate()
            process.wait(timeout=15)


async def cold_and_warm(
    args: argparse.Namespace,
    work: Path,
    service: SessionService,
    playwright: Playwright,
    sim: SimulatorHandle,
    generation: str,
    results: Results,
    first: bool,
) -> None:
    """Cold and warm verified logouts beside their floors on one markup generation."""
    settings = service.settings
    logouts = 20 if args.quick else 100
    suffix = f" ({generation})"
    cold_profile = ProfileSettings(
        name="cold", user_data_dir=work / f"cold-{generation}", url=sim.url
    )
    before = browser_processes(str(work))
    step(f"{generation} cold: {logouts} verified logouts, {args.runs} floor runs")
    cold, cold_floor = await bench_cold(
        service, playwright, cold_profile, sim, logouts, args.runs, generation
    )
    after = browser_processes(str(work))
    cold.name += suffix
    cold_floor.name += suffix
    results.figures += [cold, cold_floor]
    cold_ratio = ratio(cold, cold_floor)
    results.facts[f"cold / floor (medians){suffix}"] = f"{cold_ratio:.2f}"
    results.targets += [
        Target(f"cold median{suffix}", cold.median, 1200, "ms"),
        Target(f"cold median / floor median{suffix}", cold_ratio, 1.05, "x"),
        Target(f"leftover browser processes after {logouts} logouts{suffix}", len(after), 0, ""),
    ]
    if first:
        results.facts["browser processes before / after the logouts"] = (
            f"{len(before)} / {len(after)} ({logouts} logouts + {args.runs} floor runs)"
        )
        relaunch = service.cold_executable()
        results.facts["cold relaunches (agent and floor)"] = (
            f"{relaunch.kind} {relaunch.path} ({relaunch.version})"
        )
        if relaunch != service.executable():
            step(f"cold with the full browser: {args.runs} verified logouts, for comparison")
            full_settings = settings.model_copy(
                update={"browser": settings.browser.model_copy(update={"headless_shell": False})}
            )
            full_service = SessionService(full_settings)
            try:
                results.figures.append(
                    await bench_cold_only(
                        full_service,
                        playwright,
                        cold_profile,
                        sim,
                        f"cold verified logout, full browser headless (no shell){suffix}, context",
                        args.runs,
                    )
                )
            finally:
                await full_service.close()
    step(f"{generation} warm: {args.runs} verified logouts beside the attach floor")
    warm_profile = ProfileSettings(
        name="warm", user_data_dir=work / f"warm-{generation}", url=sim.url
    )
    with warm_browser(service, warm_profile, sim.url):
        warm, warm_floor, bare_warm = await bench_warm(
            service, warm_profile, sim, args.runs, generation
        )
    if first:
        results.facts["warm: managed browser's DevTools port"] = (
            f"{settings.browser.debugging_port} (fixed, the default; found by the configured"
            " port and proven to be the profile's browser)"
        )
    for figure in (warm, warm_floor, bare_warm):
        figure.name += suffix
    results.figures += [warm, warm_floor, bare_warm]
    results.targets.append(Target(f"warm median{suffix}", warm.median, 200, "ms"))
    results.generations[generation] = (cold, cold_floor, warm, warm_floor)


async def browser_phases(
    args: argparse.Namespace, work: Path, sims: list[SimulatorHandle], results: Results
) -> None:
    sim = sims[0]
    settings = Settings.model_validate(
        {"general": {"state_dir": str(work / "state"), "client_url": sim.url}}
    )
    service = SessionService(settings)
    await service.driver.start()
    try:
        async with async_playwright() as playwright:
            for index, generation in enumerate(GENERATIONS):
                sim.configure(generation=generation)
                await cold_and_warm(
                    args, work, service, playwright, sim, generation, results, first=index == 0
                )
            sim.configure(generation=GENERATIONS[0])  # the sweep runs on the default
            sweeps = 3 if args.quick else args.runs
            step(f"sweep: {sweeps} sweeps of 20 profiles")
            sweep = await bench_sweep(settings, playwright, work / "sweep", sims, 20, sweeps)
            results.facts["sweep"] = (
                "Daemon.logout_linked with the real SessionService,"
                f" logout.parallel_launches {settings.logout.parallel_launches}"
            )
            results.figures.append(sweep)
            results.targets.append(Target("sweep of 20, median", sweep.median, 10_000, "ms"))
    finally:
        await service.close()
        await service.driver.stop()
    results.facts["browser"] = str(service.executable().path)


def measure(args: argparse.Namespace, work: Path, results: Results) -> None:
    with ExitStack() as stack:
        # Each in its own process, as the client's servers are never inside the agent.
        sims = [
            stack.enter_context(simulator_process(work / f"simulator-{index}.sqlite3"))
            for index in range(3)
        ]
        results.facts["simulator"] = (
            f"default config (generations {', '.join(GENERATIONS)} for cold and warm,"
            f" startup_delay_ms {sims[0].config()['startup_delay_ms']} to restore a session,"
            f" qr_delay_ms {sims[0].config()['qr_delay_ms']} to the QR), 3 phones for the sweep,"
            " each simulator in its own process"
        )
        asyncio.run(browser_phases(args, work, sims, results))
        step("visitor: 20 closes, and starts with a stored session, beside their floors")
        add_visitor(results, work / "visitor", sims[0], args.quick)
        step("shutdown: first cold logouts at SIGTERM (busy, floor); steady-state tree RSS")
        figures, targets = measure_shutdown(
            work / "shutdown", sims[0], find_browser(None), args.runs, args.quick
        )
        results.figures += figures
        results.targets += targets
    step(f"probe: {args.runs * 2} passes over a tree of 50 profiles")
    probe, probe_floor = bench_probe(work / "tree", TEMPLATES, 50, args.runs * 2)
    results.figures += [probe, probe_floor]
    results.targets.append(Target("probe median per profile", probe.median, 2, "ms"))
    step(f"scrub: {args.runs} profiles scrubbed after a logout")
    (work / "scrub").mkdir()
    scrub, scrub_floor = bench_scrub(work / "scrub", args.runs)
    results.figures += [scrub, scrub_floor]
    results.targets.append(Target("scrub median (1 MiB of other origins)", scrub.median, 500, "ms"))
    duration = 10.0 if args.quick else 60.0
    step(f"daemon idle footprint over {duration:.0f} s")
    rss, cpu, overall = bench_footprint(work / "daemon", duration)
    floor = bench_floor(duration)
    results.figures += [rss, floor, cpu]
    results.facts["daemon CPU over the whole window"] = f"{overall:.3f} % ({duration:.0f} s)"
    results.facts["daemon idle RSS above the floor (kioskguard's own code and data)"] = (
        f"{rss.median - floor.median:.1f} MB (medians); the 40 MB target lies"
        f" {'below' if floor.median > 40 else 'above'} the floor of the dependencies alone"
    )
    results.targets += [
        Target("daemon idle RSS p95", rss.p95, 40, "MB"),
        Target("daemon idle CPU over the window", overall, 0.5, "%"),
    ]
    step("fleet: logout --all to 200 virtual kiosks, and a bare broadcast floor")
    fleet, fleet_floor = bench_fleet(work / "fleet", 200, args.runs)
    results.figures += [fleet, fleet_floor]
    results.targets += fleet_targets(fleet, fleet_floor)


def main(argv: list[str] | None = None) -> int:
    args = parse(argv)
    quiet_logs()
    results = Results(mode="quick" if args.quick else "full")
    results.facts["cpus"] = os.cpu_count()
    work = Path(tempfile.mkdtemp(prefix="kioskguard-bench-"))
    started = time.monotonic()
    try:
        measure(args, work, results)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    results.facts["bench duration"] = f"{time.monotonic() - started:.0f} s"
    write(results, args.docs)
    print(markdown(results))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
