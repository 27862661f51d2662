"""``python -m bench.profile``: where a warm and a cold verified logout spend their time.

Runs --runs warm and --runs cold logouts against a simulator in its own process, each under
pyinstrument (wall-clock, await time attributed to the awaiting line), and prints the call trees
trimmed to the agent's own frames. Also writes them to --out (default docs/profile/).
"""

from __future__ import annotations

import argparse
import asyncio
import shutil
import tempfile
from pathlib import Path

from playwright.async_api import async_playwright
from pyinstrument import Profiler

from agent.linking import link_browser
from agent.outcome import Result, Trigger
from agent.session.service import SessionService
from agent.settings import ProfileSettings, Settings
from agent.simulator.testing import SimulatorHandle, simulator_process
from bench.__main__ import quiet_logs, warm_browser
from bench.linking import prepare_profile

DOCS = Path(__file__).resolve().parent.parent / "docs" / "profile"


def parse(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench.profile", description=__doc__)
    parser.add_argument("--runs", type=int, default=10, help="logouts per path (at least 1)")
    parser.add_argument("--out", type=Path, default=DOCS, help="where to write the trees")
    args = parser.parse_args(argv)
    if args.runs < 1:
        parser.error(f"--runs must be at least 1, got {args.runs}")
    return args


async def profile_paths(work: Path, sim: SimulatorHandle, runs: int) -> dict[str, str]:
    """Return pyinstrument's text tree of runs cold, then runs warm, verified logouts."""
    url = sim.url
    settings = Settings.model_validate(
        {"general": {"state_dir": str(work / "state"), "client_url": url}}
    )
    service = SessionService(settings)
    await service.driver.start()
    trees: dict[str, str] = {}
    try:
        async with async_playwright() as playwright:
            cold = ProfileSettings(name="cold", user_data_dir=work / "cold", url=url)
            profiler = Profiler(interval=0.0005, async_mode="enabled")
            for _ in range(runs):
                executable = service.executable()
                await prepare_profile(playwright, cold.user_data_dir, executable, sim, True)
                profiler.start()
                outcome = await service.logout(cold, Trigger.MANUAL, 30.0)
                profiler.stop()
                if outcome.result is not Result.LOGGED_OUT:
                    raise RuntimeError(f"cold logout failed: {outcome}")
            trees["cold"] = profiler.output_text(show_all=False)
            warm = ProfileSettings(name="warm", user_data_dir=work / "warm", url=url)
            with warm_browser(service, warm, url):
                endpoint = service.endpoint(warm).endpoint
                assert endpoint is not None
                profiler = Profiler(interval=0.0005, async_mode="enabled")
                for _ in range(runs):
                    await link_browser(service.driver, endpoint, sim)
                    profiler.start()
                    outcome = await service.logout(warm, Trigger.MANUAL, 30.0)
                    profiler.stop()
                    if outcome.result is not Result.LOGGED_OUT:
                        raise RuntimeError(f"warm logout failed: {outcome}")
                trees["warm"] = profiler.output_text(show_all=False)
    finally:
        await service.close()
    return trees


def main(argv: list[str] | None = None) -> int:
    args = parse(argv)
    quiet_logs()
    work = Path(tempfile.mkdtemp(prefix="kioskguard-profile-"))
    try:
        with simulator_process(work / "simulator.sqlite3") as sim:
            trees = asyncio.run(profile_paths(work, sim, args.runs))
    finally:
        shutil.rmtree(work, ignore_errors=True)
    args.out.mkdir(parents=True, exist_ok=True)
    for name, tree in trees.items():
        (args.out / f"{name}-logout.txt").write_text(tree)
        print(f"== {name} logout, {args.runs} runs ==\n{tree}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
