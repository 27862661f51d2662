"""Helpers of the full-disk, audit-file, signal and guard fault tests: a small tmpfs the test
mounts, filled and freed; a profile whose linked session is stored with its browser closed and
a daemon guarding it (the ``stored_session_guard`` fixture, imported by the test modules);
`kioskguard` commands; metrics read from the daemon's textfile."""

from __future__ import annotations

import contextlib
import errno
import os
import subprocess
import sys
from collections.abc import Awaitable, Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from agent.browser.discovery import Browser
from agent.simulator.testing import SimulatorHandle
from tests.daemon_integration.conftest import REPOSITORY, DaemonFactory, DaemonProcess
from tests.session.helpers import link_managed, managed_browser, stored_on_disk

FILLER = "filler"


@contextlib.contextmanager
def small_tmpfs(mount_point: Path, size: str = "2m") -> Iterator[Path]:
    """Mount a tmpfs of size at mount_point for the block. Fail (never skip) if not root."""
    if os.geteuid() != 0:
        pytest.fail("the full-disk tests mount a tmpfs: run them as root (the suite does)")
    mount_point.mkdir(parents=True, exist_ok=True)
    subprocess.run(
        ["mount", "-t", "tmpfs", "-o", f"size={size},mode=0755", "tmpfs", str(mount_point)],
        check=True,
        capture_output=True,
    )
    try:
        yield mount_point
    finally:
        subprocess.run(["umount", "-l", str(mount_point)], check=False, capture_output=True)


def fill(mount_point: Path) -> None:
    """Write zeros into mount_point until the file system refuses (ENOSPC)."""
    block = b"\0" * 4096
    with open(mount_point / FILLER, "ab", buffering=0) as file:
        while True:
            try:
                file.write(block)
            except OSError as exc:
                assert exc.errno == errno.ENOSPC, exc
                break
    with open(mount_point / "probe", "ab", buffering=0) as probe, pytest.raises(OSError):
        probe.write(b"x")  # nothing fits any more


def free(mount_point: Path) -> None:
    (mount_point / FILLER).unlink()


async def linked_and_closed(executable: Browser, profile_dir: Path, sim: SimulatorHandle) -> None:
    """Link the profile through the phone and close its browser with the session stored."""
    with managed_browser(executable, profile_dir, sim.url, port=0) as browser:
        await link_managed(profile_dir, sim)
        await stored_on_disk(profile_dir, sim.url)
        browser.terminate()
        browser.wait(timeout=30)
    assert len(sim.devices()) == 1


def metric(textfile: Path, name: str) -> float | None:
    """Return the value of an unlabelled sample in the metrics textfile, None if absent."""
    if not textfile.exists():
        return None
    for line in textfile.read_text(encoding="utf-8").splitlines():
        if line.startswith(f"{name} "):
            return float(line.split()[1])
    return None


def patient(config: dict[str, dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """Return config with 60 s logout budgets: these tests check what the signal, the disk or
    the lock does, not whether a cold logout fits a short shutdown budget on a loaded machine
    (issue 16's item 3 has its own test)."""
    return {**config, "logout": {"deadline_s": 60, "shutdown_deadline_s": 60}}


def kioskguard(*arguments: str) -> subprocess.CompletedProcess[str]:
    """Run `kioskguard ARGUMENTS` (generous timeout: a hang guard only); return the result."""
    return subprocess.run(
        [sys.executable, "-m", "agent", *arguments],
        cwd=REPOSITORY,
        capture_output=True,
        text=True,
        timeout=120,
    )


GuardFactory = Callable[..., Awaitable[DaemonProcess]]


@pytest.fixture
def stored_session_guard(
    profile_dir: Path,
    sim: SimulatorHandle,
    browser_executable: Browser,
    start_daemon: DaemonFactory,
    base_config: dict[str, dict[str, Any]],
) -> GuardFactory:
    """Return an async factory: link the profile, close its browser with the session stored,
    start a daemon on it (patient budgets, plus the given tables) and wait until it runs."""

    async def start(**tables: dict[str, Any]) -> DaemonProcess:
        await linked_and_closed(browser_executable, profile_dir, sim)
        # The state rule would log the stored session out at start; these tests need it still
        # stored when the signal, the disk or the file change under test comes, so the rule's
        # logouts are off (events.on_browser_closed = false) and the stop logs it out.
        events = {**base_config["events"], "on_browser_closed": False}
        daemon = start_daemon({**patient(base_config), "events": events, **tables})
        daemon.wait_for_log("kioskguard runs")
        return daemon

    return start


def assert_logged_out_at_stop(daemon: DaemonProcess, sim: SimulatorHandle) -> None:
    """Check the daemon's only audit record: the stop's logout, verified; the phone's list empty."""
    (record,) = daemon.audit()
    assert (record["trigger"], record["result"], record["verified"]) == (
        "signal",
        "logged_out",
        True,
    ), record
    assert sim.devices() == []
