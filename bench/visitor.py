"""What a visitor sees of the guard: the unlink after their close, and after a start with a
session stored (a power cut, a crash, a first install), each beside its floor.

(a) close to unlinked: a real `kioskguard run` (shipped defaults: check.browser_poll_s 2 s, idle
off) guards a profile; the managed browser runs on it, linked through the simulator's phone, the
session stored on disk and the daemon watching the browser. The clock starts when the visitor's
close reaches the browser (SIGTERM, as the OS delivers a window close) and stops when the phone's
linked-device list is empty. Its floor: the cold logout alone (SessionService.logout on the same
kind of closed, linked profile, no daemon), until the list is empty.
(b) start to unlinked: the profile holds a stored session, the browser closed; the clock starts
with the daemon process and stops when the list is empty. Its floor: the daemon's own start with
nothing stored (process start to "kioskguard runs"), beside the cold logout alone.
"""

from __future__ import annotations

import asyncio
import json
import re
import subprocess
import time
from collections.abc import Callable
from pathlib import Path

from agent.browser.discovery import find_browser
from agent.browser.driver import Driver
from agent.browser.managed import running_endpoint, start_managed
from agent.linking import link_browser
from agent.outcome import Linked, Result, Trigger
from agent.probe.probe import probe_user_data_dir
from agent.session.service import SessionService
from agent.settings import ProfileSettings, Settings
from agent.simulator.testing import SimulatorHandle
from bench.daemon import DaemonProcess, wait_for
from bench.report import Results
from bench.stats import Figure, Target

REPOSITORY = Path(__file__).resolve().parent.parent
WAIT_S = 90.0
FINISHED = r"managed: logout (logged_out|local_only|failed|nothing_to_do) \("


def _wait(condition: Callable[[], object], what: str, timeout_s: float = WAIT_S) -> None:
    wait_for(condition, what, timeout_s, 0.02)


class Guard(DaemonProcess):
    """One `kioskguard run` subprocess on one profile; its log in the work directory."""

    def __init__(self, work: Path, profile: Path, sim: SimulatorHandle) -> None:
        executable = find_browser()
        work.mkdir(parents=True, exist_ok=True)
        config = work / "kioskguard.toml"
        tables = {
            "general": {"state_dir": str(work / "state"), "client_url": sim.url},
            "browser": {"user_data_dir": str(profile), "executable": str(executable.path)},
            "idle": {"enabled": False},
            "events": {"on_shutdown": False, "on_sleep": False, "on_logoff": False},
        }
        lines = []
        for table, entries in tables.items():
            lines.append(f"[{table}]")
            lines += [f"{key} = {json.dumps(value)}" for key, value in entries.items()]
        config.write_text("\n".join(lines) + "\n", encoding="utf-8")
        log_path = work / f"daemon-{time.monotonic_ns()}.log"
        super().__init__(config, log_path, cwd=REPOSITORY, stop_s=60.0)

    def wait_for(self, text: str, count: int = 1) -> None:
        """Wait until the log holds count matches of the regular expression text."""
        self.wait_for_output(
            lambda log: len(re.findall(text, log)) >= count, repr(text), WAIT_S, 0.02
        )


def _stored(profile: Path, url: str) -> bool:
    return any(result.linked is Linked.LINKED for result in probe_user_data_dir(profile, url))


async def open_linked(profile: Path, sim: SimulatorHandle) -> subprocess.Popen[bytes]:
    """Start the managed browser on profile, link it through the phone, wait until stored."""
    process = start_managed(find_browser(), profile, sim.url, port=0, headless=True)
    _wait(lambda: running_endpoint(profile, timeout_s=0.2, port=None), "the managed browser")
    endpoint = running_endpoint(profile, port=None)
    assert endpoint is not None
    async with Driver() as driver:
        await link_browser(driver, endpoint, sim)
    await asyncio.to_thread(_wait, lambda: _stored(profile, sim.url), "the session on disk")
    return process


async def stored_and_closed(profile: Path, sim: SimulatorHandle) -> None:
    process = await open_linked(profile, sim)
    process.terminate()
    process.wait(timeout=30)


def _until_unlinked(sim: SimulatorHandle, started: float, figure: Figure) -> None:
    deadline = time.monotonic() + WAIT_S
    while sim.devices():
        if time.monotonic() > deadline:
            figure.failures += 1
            figure.note = "the phone still listed the device after 90 s"
            sim.logout_all()
            return
        time.sleep(0.01)
    figure.samples.append((time.perf_counter() - started) * 1000)


async def close_to_unlinked(work: Path, sim: SimulatorHandle, closes: int) -> Figure:
    """(a): the daemon runs throughout; each close timed until the phone's list is empty."""
    figure = Figure("visitor's close to the phone's list empty (kioskguard run)", "ms")
    profile = work / "guarded"
    guard = Guard(work, profile, sim)
    try:
        guard.wait_for("kioskguard runs")
        for index in range(1, closes + 1):
            process = await open_linked(profile, sim)
            guard.wait_for("managed: the browser is open", index)  # watched (poll, then pidfd)
            started = time.perf_counter()
            process.terminate()
            await asyncio.to_thread(_until_unlinked, sim, started, figure)
            process.wait(timeout=30)
            guard.wait_for(FINISHED, index)  # its audit line, before the next visit
    finally:
        guard.stop()
    figure.note = figure.note or _close_paths(guard.log(), closes)
    return figure


def _close_paths(log: str, closes: int) -> str:
    exits = log.count("the browser closed (its process exited)")
    return f"{exits} of {closes} closes seen by the process exit (pidfd), the rest by the poll"


async def start_to_unlinked(work: Path, sim: SimulatorHandle, runs: int) -> tuple[Figure, Figure]:
    """(b): a stored session, the browser closed, then the daemon starts; and its bare start."""
    figure = Figure("daemon start with a stored session to the phone's list empty", "ms")
    bare = Figure("daemon start with nothing stored to 'kioskguard runs' (floor)", "ms")
    for index in range(runs):
        profile = work / f"stored-{index}"
        await stored_and_closed(profile, sim)
        started = time.perf_counter()
        guard = Guard(work, profile, sim)
        try:
            await asyncio.to_thread(_until_unlinked, sim, started, figure)
        finally:
            guard.stop()
        started = time.perf_counter()
        guard = Guard(work, work / f"empty-{index}", sim)
        try:
            await asyncio.to_thread(guard.wait_for, "kioskguard runs")
            bare.samples.append((time.perf_counter() - started) * 1000)
        finally:
            guard.stop()
    return figure, bare


async def cold_floor(work: Path, sim: SimulatorHandle, runs: int) -> Figure:
    """The cold logout alone: SessionService on a closed, linked profile, until unlinked."""
    figure = Figure("cold logout alone, to the phone's list empty (floor)", "ms")
    settings = Settings.model_validate(
        {"general": {"state_dir": str(work / "floor-state"), "client_url": sim.url}}
    )
    service = SessionService(settings)
    profile = ProfileSettings(name="floor", user_data_dir=work / "floor", url=sim.url)
    try:
        for _ in range(runs):
            await stored_and_closed(profile.user_data_dir, sim)
            started = time.perf_counter()
            outcome = await service.logout(profile, Trigger.MANUAL, 30.0)
            if outcome.result is not Result.LOGGED_OUT:
                figure.failures += 1
                figure.note = f"last failure: {outcome.result.value} {outcome.error or ''}"
                sim.logout_all()
                continue
            await asyncio.to_thread(_until_unlinked, sim, started, figure)
    finally:
        await service.close()
    return figure


def bench_visitor(work: Path, sim: SimulatorHandle, closes: int, starts: int) -> list[Figure]:
    """Measure (a) over closes and (b) over starts, beside their floors; return the figures:
    close, start, cold floor, bare start."""
    work.mkdir(parents=True, exist_ok=True)
    close = asyncio.run(close_to_unlinked(work / "close", sim, closes))
    start, bare = asyncio.run(start_to_unlinked(work / "start", sim, starts))
    floor = asyncio.run(cold_floor(work / "floor", sim, max(starts, 3)))
    return [close, start, floor, bare]


def add_visitor(results: Results, work: Path, sim: SimulatorHandle, quick: bool) -> None:
    """Run bench_visitor (20 closes, 5 or 10 starts) and add its figures and targets."""
    close, start, floor, bare = bench_visitor(work, sim, 20, 5 if quick else 10)
    results.figures += [close, start, floor, bare]
    results.targets += [
        Target("visitor's close to unlinked, p95", close.p95, 1500, "ms"),
        Target("daemon start with a stored session to unlinked, p95", start.p95, 10_000, "ms"),
    ]
    results.facts["close detection"] = close.note
