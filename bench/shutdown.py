"""A kiosk's shutdown and steady state, with a real `kioskguard run` and a real Chromium.

- The first cold logout at shutdown: a fresh daemon watches a linked profile's browser; the
  browser is killed and SIGTERM reaches the daemon at once (as at logoff). The figure is the
  logout's duration in its audit line, counting a run as failed unless that line says
  logged_out, verified, and the phone lists no device. Busy: two processes spin on the CPU
  meanwhile (both cores of the 2-core target); the floor is the same on the machine as it is.
- The daemon's whole process tree RSS (the daemon and all its children, psutil) in a kiosk's
  steady state: after several visitors closed their browser (each close a cold logout), with a
  managed browser open and watched (the visitor's: not counted) and metrics served.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import math
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import psutil

import agent
from agent.browser.discovery import Browser, find_browser
from agent.browser.driver import Driver
from agent.browser.managed import running_endpoint, start_managed
from agent.linking import link_browser
from agent.outcome import Linked
from agent.probe.probe import probe_user_data_dir
from agent.settings import Settings
from agent.simulator.testing import SimulatorHandle, simulator_process
from bench.daemon import DaemonProcess
from bench.daemon import wait_for as bench_wait_for
from bench.stats import Figure, Target

ROOT = Path(agent.__file__).resolve().parent.parent  # the tree under measure (PYTHONPATH)
BUSY_LOOP = "while True:\n    pass\n"
WAIT_S = 60.0
SAMPLE_S = 1.0


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def write_config(work: Path, sim: SimulatorHandle, executable: Browser, metrics: bool) -> Path:
    """Write a one-profile daemon config under work (idle off, OS events off); return it."""
    lines = [
        "[general]",
        f'state_dir = "{work / "state"}"',
        f'client_url = "{sim.url}"',
        'log_level = "DEBUG"',
        "[browser]",
        f'user_data_dir = "{work / "profile"}"',
        f'executable = "{executable.path}"',
        "[check]",
        "browser_poll_s = 0.5",
        "[idle]",
        "enabled = false",
        "[events]",
        "on_shutdown = false",
        "on_sleep = false",
        "on_logoff = false",
        "[metrics]",
        f"enabled = {'true' if metrics else 'false'}",
        f'listen = "127.0.0.1:{free_port()}"',
    ]
    path = work / "kioskguard.toml"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def wait_for(condition: Callable[[], object], what: str, timeout_s: float = WAIT_S) -> None:
    bench_wait_for(condition, what, timeout_s, 0.1)


class Daemon(DaemonProcess):
    """`kioskguard run` of the tree under measure, logging to work/daemon.log."""

    def __init__(self, config: Path, work: Path) -> None:
        self.work = work
        env = {**os.environ, "PYTHONPATH": str(ROOT)}
        super().__init__(config, work / "daemon.log", cwd=ROOT, env=env, append=True)

    def wait_for_log(self, text: str, timeout_s: float = WAIT_S) -> None:
        self.wait_for_output(lambda log: text in log, repr(text), timeout_s, 0.1)

    def audit(self) -> list[dict[str, Any]]:
        path = self.work / "state" / "audit.jsonl"
        lines = path.read_text(encoding="utf-8").splitlines() if path.exists() else []
        return [json.loads(line) for line in lines if line.strip()]


@contextmanager
def busy_cores(count: int) -> Iterator[None]:
    """Spin count processes on the CPU until the block ends."""
    loops = [subprocess.Popen([sys.executable, "-c", BUSY_LOOP]) for _ in range(count)]
    try:
        yield
    finally:
        for loop in loops:
            loop.kill()
            loop.wait()


def open_browser(executable: Browser, profile: Path, url: str) -> subprocess.Popen[bytes]:
    """Start the visitor's managed browser (headless, DevTools on a free port) until it answers."""
    process = start_managed(executable, profile, url, port=0, headless=True)
    wait_for(lambda: running_endpoint(profile, timeout_s=0.2, port=None), "the managed browser")
    return process


def link_and_store(profile: Path, sim: SimulatorHandle) -> None:
    """Link the running browser's client tab; wait until the session is on disk."""
    endpoint = running_endpoint(profile, port=None)
    assert endpoint
    asyncio.run(link_browser(Driver(), endpoint, sim))
    wait_for(
        lambda: any(r.linked is Linked.LINKED for r in probe_user_data_dir(profile, sim.url)),
        "the session on disk",
    )


def shutdown_once(
    work: Path, sim: SimulatorHandle, executable: Browser, busy: bool
) -> tuple[float, str | None]:
    """One first cold logout at shutdown; return its seconds (the audit line's duration; SIGTERM
    to the daemon's exit when there is none), and None if it logged out, verified, with the
    phone empty (else what happened).

    Raise RuntimeError if the scenario itself cannot be set up.
    """
    work.mkdir(parents=True)
    profile = work / "profile"
    daemon = None
    browser = open_browser(executable, profile, sim.url)
    try:
        link_and_store(profile, sim)
        daemon = Daemon(write_config(work, sim, executable, metrics=False), work)
        daemon.wait_for_log("kioskguard runs")
        with contextlib.suppress(RuntimeError):  # trees before it had nothing to get ready
            daemon.wait_for_log("cold logouts are ready", 20.0)
        with busy_cores(2 if busy else 0):
            time.sleep(1.0 if busy else 0.0)  # the loops are up to speed
            os.killpg(browser.pid, signal.SIGKILL)
            browser.wait()
            started = time.monotonic()
            daemon.process.send_signal(signal.SIGTERM)
            daemon.process.wait(timeout=WAIT_S)
            took = time.monotonic() - started
        records = [r for r in daemon.audit() if r["result"] != "nothing_to_do"]
        took = records[-1]["duration_ms"] / 1000 if records else took
        if not records or (records[-1]["result"], records[-1]["verified"]) != ("logged_out", True):
            last = records[-1] if records else {}
            return took, f"{last.get('result')}: {last.get('error')}"
        if sim.devices():
            return took, "the phone still lists the device"
        return took, None
    finally:
        if browser.poll() is None:
            os.killpg(browser.pid, signal.SIGKILL)
            browser.wait()
        if daemon is not None:
            daemon.stop()
        sim.logout_all()


def bench_shutdown(
    work: Path, sim: SimulatorHandle, executable: Browser, runs: int, busy: bool
) -> Figure:
    """Return the figure of runs first cold logouts at shutdown (busy: both cores loaded)."""
    name = (
        "first cold logout at shutdown, both cores busy"
        if busy
        else "first cold logout at shutdown, no extra load (floor)"
    )
    figure = Figure(name, "s")
    errors, unverified = [], []
    for index in range(runs):
        try:
            took, error = shutdown_once(work / f"run-{index}", sim, executable, busy)
        except RuntimeError as exc:
            took, error = math.nan, str(exc)
        if error is None:
            figure.samples.append(took)
            continue
        figure.failures += 1
        unverified.append(f"{took:.2f}")
        errors.append(error.splitlines()[0][:160])
    if errors:
        figure.note = f"not verified ({', '.join(unverified)} s): {'; '.join(sorted(set(errors)))}"
    return figure


def tree_rss_mb(pid: int) -> tuple[float, int]:
    """Return the RSS of process pid and all its descendants in MB, and how many they are."""
    root = psutil.Process(pid)
    total, count = 0, 0
    for process in [root, *root.children(recursive=True)]:
        try:
            total += process.memory_info().rss
            count += 1
        except psutil.NoSuchProcess:
            continue
    return total / 1024 / 1024, count


def bench_steady_footprint(
    work: Path, sim: SimulatorHandle, executable: Browser, logouts: int, duration_s: float
) -> Figure:
    """Return the daemon's process-tree RSS (sampled once a second for duration_s) after
    ``logouts`` visitors closed a linked browser, with the next visitor's browser open."""
    work.mkdir(parents=True)
    profile = work / "profile"
    daemon = Daemon(write_config(work, sim, executable, metrics=True), work)
    browser = None
    figure = Figure(
        f"daemon process tree RSS, steady state (browser watched, after {logouts} cold"
        " logouts, metrics on)",
        "MB",
    )
    try:
        daemon.wait_for_log("kioskguard runs")
        for done in range(logouts):
            browser = open_browser(executable, profile, sim.url)
            link_and_store(profile, sim)
            browser.terminate()  # the visitor closes the browser: a cold logout follows
            browser.wait(timeout=WAIT_S)
            wait_for(
                lambda done=done: (
                    len([r for r in daemon.audit() if r["trigger"] == "browser_closed"]) > done
                ),
                "the cold logout's audit line",
            )
        browser = open_browser(executable, profile, sim.url)
        time.sleep(5.0)  # the daemon sees it and settles
        started = time.monotonic()
        children = 0
        while time.monotonic() - started < duration_s:
            rss, count = tree_rss_mb(daemon.process.pid)
            figure.samples.append(rss)
            children = max(children, count - 1)
            time.sleep(SAMPLE_S)
        outcomes = [r["result"] for r in daemon.audit() if r["trigger"] == "browser_closed"]
        figure.note = f"daemon children: {children}; cold logouts: {', '.join(outcomes)}"
    finally:
        if browser is not None and browser.poll() is None:
            browser.terminate()
            browser.wait(timeout=WAIT_S)
        daemon.stop()
    return figure


def measure_shutdown(
    work: Path, sim: SimulatorHandle, executable: Browser, runs: int, quick: bool
) -> tuple[list[Figure], list[Target]]:
    """Return the shutdown figures (busy, floor) and the steady-state footprint, with targets."""
    deadline_s = Settings().logout.shutdown_deadline_s
    busy = bench_shutdown(work / "shutdown-busy", sim, executable, runs, busy=True)
    floor = bench_shutdown(work / "shutdown-floor", sim, executable, runs, busy=False)
    steady = bench_steady_footprint(work / "steady", sim, executable, 3, 10.0 if quick else 60.0)
    targets = [
        Target("first cold logout at shutdown, both cores busy, p95", busy.p95, deadline_s, "s"),
        Target("first cold logouts at shutdown not verified", busy.failures, 0, ""),
        Target("daemon process tree RSS in a kiosk's steady state, p95", steady.p95, 80, "MB"),
    ]
    return [busy, floor, steady], targets


def main(argv: list[str] | None = None) -> int:
    """``python -m bench.shutdown [RUNS]``: these figures alone (small counts), printed."""
    runs = int((argv or sys.argv[1:] or ["3"])[0])
    work = Path(tempfile.mkdtemp(prefix="kioskguard-bench-shutdown-"))
    try:
        with simulator_process(work / "simulator.sqlite3") as sim:
            figures, targets = measure_shutdown(work, sim, find_browser(None), runs, quick=True)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    for figure in figures:
        print(
            f"{figure.name}: median {figure.median:.2f} {figure.unit}, p95 {figure.p95:.2f},"
            f" failures {figure.failures}/{runs if figure.unit == 's' else 1}; {figure.note}"
        )
        print("   samples:", ", ".join(f"{sample:.2f}" for sample in figure.samples))
    for target in targets:
        print(f"target {target.description}: {target.value:.2f} <= {target.limit}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
