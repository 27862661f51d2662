"""The daemon's idle footprint: `kioskguard run` with 5 profiles, idle off, no browser running.

RSS comes from /proc/PID/status (VmRSS), CPU from /proc/PID/stat (utime + stime), sampled once a
second after a settling period so start-up is not counted. Beside it, the floor: a bare Python
process importing only what the idle daemon always needs (FLOOR_MODULES), the most that making
the daemon import less could win. Playwright is not among them: the daemon never loads it.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from bench.stats import Figure

SETTLE_S = 5.0
# What the idle daemon imports from its dependencies (found with python -X importtime -m agent
# run): the floor process imports these and nothing of kioskguard.
FLOOR_MODULES = (
    "argparse",
    "asyncio",
    "tomllib",
    "apscheduler.schedulers.asyncio",
    "apscheduler.triggers.combining",
    "apscheduler.triggers.cron",
    "apscheduler.triggers.interval",
    "dbus_fast.aio",
    "google_crc32c",
    "loguru",
    "prometheus_client",
    "psutil",
    "pydantic.main",  # "import pydantic" alone defers BaseModel: the daemon's settings use it
    "pydantic_settings",  # the settings are BaseSettings (about 3 MB of its own)
    "tzlocal",
)
TICKS_PER_SECOND = os.sysconf("SC_CLK_TCK")


def write_config(root: Path, profiles: int = 5) -> Path:
    """Write a daemon config under root with empty profiles and idle disabled; return its path."""
    root.mkdir(parents=True, exist_ok=True)
    lines = [
        "[general]",
        f'state_dir = "{root / "state"}"',
        'client_url = "http://127.0.0.1:9/"',
        'log_level = "WARNING"',
        "[idle]",
        "enabled = false",
        "[metrics]",
        "enabled = false",
    ]
    for index in range(profiles):
        (root / f"profile-{index}").mkdir(exist_ok=True)
        lines += [
            "[[profiles]]",
            f'name = "seat-{index}"',
            f'user_data_dir = "{root / f"profile-{index}"}"',
        ]
    path = root / "kioskguard.toml"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def rss_mb(pid: int) -> float:
    """Return the process's resident set size in MB. Raise ValueError if VmRSS is missing."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise ValueError(f"no VmRSS for process {pid}")


def cpu_seconds(pid: int) -> float:
    """Return utime + stime of the process in seconds (fields 14 and 15 of /proc/PID/stat)."""
    text = Path(f"/proc/{pid}/stat").read_text()
    fields = text[text.rindex(")") + 2 :].split()  # the command name may contain spaces
    return (int(fields[11]) + int(fields[12])) / TICKS_PER_SECOND


def bench_footprint(root: Path, duration_s: float) -> tuple[Figure, Figure, float]:
    """Run the daemon for duration_s after settling; return RSS and per-second CPU figures and
    the CPU % over the whole window. Raise RuntimeError if the daemon exits early."""
    config = write_config(root)
    process = subprocess.Popen(
        [sys.executable, "-m", "agent", "run", "--config", str(config)],
        stdout=subprocess.DEVNULL,
        stderr=open(root / "daemon.log", "wb"),  # noqa: SIM115
    )
    rss = Figure("daemon idle RSS", "MB")
    cpu = Figure("daemon idle CPU (per 1 s sample)", "%")
    try:
        time.sleep(SETTLE_S)
        if process.poll() is not None:
            raise RuntimeError(
                f"daemon exited with {process.returncode}; see {root / 'daemon.log'}"
            )
        window_start, cpu_start = time.monotonic(), cpu_seconds(process.pid)
        previous_time, previous_cpu = window_start, cpu_start
        while time.monotonic() - window_start < duration_s:
            time.sleep(1.0)
            if process.poll() is not None:
                raise RuntimeError(f"daemon exited with {process.returncode}")
            now, used = time.monotonic(), cpu_seconds(process.pid)
            rss.samples.append(rss_mb(process.pid))
            cpu.samples.append((used - previous_cpu) / (now - previous_time) * 100)
            previous_time, previous_cpu = now, used
        overall = (previous_cpu - cpu_start) / (previous_time - window_start) * 100
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
    return rss, cpu, overall


def bench_floor(duration_s: float) -> Figure:
    """Return the RSS figure of a bare Python process that imported FLOOR_MODULES, sampled once
    a second for duration_s after settling. Raise RuntimeError if the process exits early."""
    script = f"import {', '.join(FLOOR_MODULES)}, time\ntime.sleep({SETTLE_S + duration_s + 30})"
    process = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.DEVNULL)
    rss = Figure("bare Python importing the daemon's dependencies (floor) RSS", "MB")
    try:
        time.sleep(SETTLE_S)
        started = time.monotonic()
        while time.monotonic() - started < duration_s:
            if process.poll() is not None:
                raise RuntimeError(f"the floor process exited with {process.returncode}")
            rss.samples.append(rss_mb(process.pid))
            time.sleep(1.0)
    finally:
        process.kill()
        process.wait()
    return rss
