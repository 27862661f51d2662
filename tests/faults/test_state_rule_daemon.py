"""`kioskguard run` restores "no browser running, no session stored", whatever it witnessed.

Reported: a kiosk started with a visitor's session stored and the browser closed (a power cut, a
crash, a first install) stayed linked: the daemon logged out on the browser *closing*, and never
saw it open. 45 s after start the phone still listed the device. And the close itself was seen by
a 2 s poll. Here: a real daemon with a shipped-style configuration (fixed DevTools port 9222 as
browser.debugging_port, idle off, the default probe and poll intervals), real Chromium, the
simulator's phone.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from agent.browser.cdp import CdpConnection
from agent.browser.discovery import Browser
from agent.browser.managed import running_endpoint
from agent.simulator.testing import SimulatorHandle
from tests.daemon_integration.conftest import DaemonFactory, DaemonProcess, wait_until
from tests.session.helpers import link_managed, managed_browser, stored_on_disk

pytestmark = pytest.mark.browser


def shipped_style(
    state_dir: Path, profile_dir: Path, sim: SimulatorHandle, browser: Browser, **extra: Any
) -> dict[str, dict[str, Any]]:
    """As reported: the shipped defaults (browser.debugging_port 9222, probe and poll
    intervals, fallback on), idle off, no logind events (none on a test machine)."""
    return {
        "general": {"state_dir": state_dir, "client_url": sim.url, "log_level": "DEBUG"},
        "browser": {"user_data_dir": profile_dir, "executable": browser.path},
        "idle": {"enabled": False},
        "events": {"on_shutdown": False, "on_sleep": False, "on_logoff": False},
        **extra,
    }


@dataclass
class Kiosk:
    """A guarded profile, its state dir, the simulator, the browser and the daemon factory."""

    profile_dir: Path
    state_dir: Path
    sim: SimulatorHandle
    browser: Browser
    start_daemon: DaemonFactory

    def start(self, **extra: Any) -> DaemonProcess:
        """Start `kioskguard run` on the shipped-style configuration plus extra sections."""
        config = shipped_style(self.state_dir, self.profile_dir, self.sim, self.browser, **extra)
        return self.start_daemon(config)

    async def store_a_session_and_close(self) -> None:
        """Link through the phone, wait until the offline probe reads it, close the browser."""
        with managed_browser(self.browser, self.profile_dir, self.sim.url, port=0) as process:
            await link_managed(self.profile_dir, self.sim)
            await stored_on_disk(self.profile_dir, self.sim.url)
            process.terminate()
            process.wait(timeout=30)
        assert len(self.sim.devices()) == 1


@pytest.fixture
def kiosk(
    profile_dir: Path,
    state_dir: Path,
    sim: SimulatorHandle,
    browser_executable: Browser,
    start_daemon: DaemonFactory,
) -> Kiosk:
    return Kiosk(profile_dir, state_dir, sim, browser_executable, start_daemon)


def rule_lines(daemon: DaemonProcess) -> list[dict[str, Any]]:
    return [record for record in daemon.audit() if record["trigger"] == "browser_closed"]


async def test_a_session_stored_before_the_start_is_unlinked_without_any_browser_event(
    kiosk: Kiosk, sim: SimulatorHandle
) -> None:
    await kiosk.store_a_session_and_close()
    daemon = kiosk.start()
    wait_until(lambda: sim.devices() == [], "the phone's linked-device list to empty", 90)
    (record,) = wait_until(lambda: rule_lines(daemon), "the state rule's audit line")
    assert (record["result"], record["path"], record["verified"]) == ("logged_out", "cold", True)
    assert "found at start" in record["notes"][0], record
    assert "the browser closed" not in daemon.log()  # no browser event was witnessed
    assert "the browser is open" not in daemon.log()
    assert daemon.terminate() == 0


async def test_a_failed_first_try_is_retried_and_verified_one_audit_line_per_try(
    kiosk: Kiosk, sim: SimulatorHandle
) -> None:
    await kiosk.store_a_session_and_close()
    sim.configure(startup_delay_ms=60_000)  # the client never gets past its progress bar
    # Without the wipe: with it, the failed try would end local_only (nothing stored: the
    # rule holds) instead of failed.
    logout = {"deadline_s": 8, "retries": 2, "fallback_clear": False}
    daemon = kiosk.start(logout=logout)
    wait_until(lambda: rule_lines(daemon), "the first try's audit line", 90)
    sim.configure(startup_delay_ms=0)  # the fault goes away
    wait_until(lambda: sim.devices() == [], "the phone's linked-device list to empty", 120)
    records = wait_until(
        lambda: [r for r in rule_lines(daemon) if r["result"] != "failed"] and rule_lines(daemon),
        "the verified try's audit line",
    )
    *failed, last = records
    assert failed and all(record["result"] == "failed" for record in failed), records
    assert (last["result"], last["verified"]) == ("logged_out", True), last
    tries = daemon.log().count("managed: logout starts (browser_closed)")
    assert tries == len(records), daemon.log()  # one audit line per try
    assert "retry after a failed logout" in last["notes"][0]
    assert "the logout failed; next try in 2 s" in daemon.log()
    assert daemon.terminate() == 0


async def close_normally(profile_dir: Path) -> None:
    """Close the browser as its own menu does (Browser.close), not by a signal."""
    endpoint = await asyncio.to_thread(running_endpoint, profile_dir, 2.0, None)
    assert endpoint, "the managed browser has no DevTools endpoint"
    connection = await CdpConnection.open(endpoint, 10.0)
    try:
        await connection.send("Browser.close", {})
    except Exception:  # the browser may go before it answers
        pass
    finally:
        await connection.close()


@pytest.mark.parametrize("close", ["sigterm", "normal"])
async def test_the_visitors_close_is_acted_on_at_once_not_at_the_next_poll(
    close: str, kiosk: Kiosk, profile_dir: Path, sim: SimulatorHandle
) -> None:
    with managed_browser(kiosk.browser, profile_dir, sim.url, port=0) as process:
        await link_managed(profile_dir, sim)
        await stored_on_disk(profile_dir, sim.url)
        daemon = kiosk.start(check={"browser_poll_s": 60})  # sees the browser open: waits on it
        daemon.wait_for_log("managed: the browser is open")
        daemon.wait_for_log("kioskguard runs")
        if close == "sigterm":
            process.terminate()
        else:
            await close_normally(profile_dir)
        process.wait(timeout=30)
        daemon.wait_for_log("managed: the browser closed (its process exited)")
    wait_until(lambda: sim.devices() == [], "the phone's linked-device list to empty", 90)
    (record,) = wait_until(lambda: rule_lines(daemon), "the close's audit line")
    assert (record["result"], record["verified"]) == ("logged_out", True), record
    assert "the browser closed" in record["notes"][0]
    log = daemon.log()  # the 60 s poll never saw the close: the process exit did
    assert "managed: the browser closed\n" not in log.split("(its process exited)")[0]
    assert daemon.terminate() == 0
