"""The fleet sees a guard that stopped: a real Mosquitto, a real `kioskguard fleet collect`
and a real `kioskguard run` (no browser: an empty profile).

Killed (SIGKILL): the broker's last will says offline, reason "lost"; the next start sends
a guard_gap event (killed). Stopped (SIGTERM): the kiosk's own retained presence says
offline, reason "stopped", since when. `fleet report` and `fleet status` show both.
"""

from __future__ import annotations

import asyncio
import json
import signal
import subprocess
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from agent.fleet.admin import collect_status
from agent.fleet.collector import EventStore
from agent.fleet.report import as_html, as_json, as_table, build_report
from agent.fleet.testing import LocalBroker
from agent.settings import FleetSettings
from tests.daemon_integration.conftest import DaemonProcess, wait_until, write_config
from tests.fleet.conftest import Collector, fleet_table, kioskguard

SITE, HOST = "hotel-b", "hotel-b-01"
T0 = "2026-12-04T18:00:00.000+00:00"
WILL_WAIT_S = 90.0  # the broker sends the will after 1.5 keep-alives (5 s): generous


@pytest.fixture
def kiosk_config(broker: LocalBroker, tmp_path: Path) -> Path:
    sections = {
        "general": {"state_dir": tmp_path / "state", "log_level": "DEBUG"},
        "check": {"probe_interval_s": 5, "browser_poll_s": 0.5},
        "idle": {"enabled": False},
        "events": {"on_shutdown": False, "on_sleep": False, "on_logoff": False},
        "fleet": fleet_table(broker, HOST, enabled=True, site=SITE, host=HOST, status_interval_s=2),
    }
    return write_config(tmp_path / "kioskguard.toml", sections)


@pytest.fixture
def daemons() -> Iterator[list[DaemonProcess]]:
    started: list[DaemonProcess] = []
    yield started
    for daemon in started:
        daemon.stop()


def start(daemons: list[DaemonProcess], config: Path) -> DaemonProcess:
    daemon = DaemonProcess(config, config.parent / "state")
    daemons.append(daemon)
    daemon.wait_for_log("fleet: connected to")
    return daemon


def presence(collector: Collector) -> dict[str, Any] | None:
    if not collector.database.exists():
        return None
    store = EventStore(collector.database)
    try:
        rows = [row for row in store.presence(SITE) if row["host"] == HOST]
    finally:
        store.close()
    return rows[0] if rows else None


def wait_presence(collector: Collector, online: bool, reason: str | None) -> dict[str, Any]:
    def seen() -> dict[str, Any] | None:
        row = presence(collector)
        return row if row and (row["online"], row["reason"]) == (online, reason) else None

    found: dict[str, Any] = wait_until(seen, f"presence {online} {reason}", WILL_WAIT_S)
    return found


def stopped_in_time(daemon: DaemonProcess) -> int:
    """SIGTERM the daemon; return its exit code. Fail with its log if it does not exit."""
    try:
        return daemon.terminate(timeout_s=120)
    except subprocess.TimeoutExpired:
        pytest.fail(f"the daemon did not exit within 120 s of SIGTERM:\n{daemon.log()[-6000:]}")


def retained(admin: FleetSettings) -> Any:
    kiosks = asyncio.run(collect_status(admin, SITE))
    return next(kiosk for kiosk in kiosks if kiosk.host == HOST)


def test_a_killed_guard_goes_offline_lost_and_a_stopped_one_says_stopped_since_when(
    broker: LocalBroker,
    collector: Collector,
    admin: FleetSettings,
    admin_config: Path,
    kiosk_config: Path,
    daemons: list[DaemonProcess],
) -> None:
    wait_until(collector.connected, "the collector to subscribe")
    first = start(daemons, kiosk_config)
    wait_presence(collector, True, None)
    first.process.send_signal(signal.SIGKILL)
    first.process.wait(timeout=30)
    lost = wait_presence(collector, False, "lost")  # the broker's last will
    assert (retained(admin).online, retained(admin).offline_reason) == (False, "lost")

    second = start(daemons, kiosk_config)
    wait_presence(collector, True, None)

    def gap_event() -> dict[str, Any] | None:
        gaps = [event for event in collector.events() if event["kind"] == "guard_gap"]
        return gaps[0] if gaps and gaps[0]["host"] == HOST else None

    event = wait_until(gap_event, "the guard_gap event at the collector", WILL_WAIT_S)
    assert event["gap"]["cause"] == "killed" and event["site"] == SITE
    assert collector.rejected() == [] or all(r["host"] != HOST for r in collector.rejected())

    assert stopped_in_time(second) == 0
    stopped = wait_presence(collector, False, "stopped")
    assert stopped["since"] > lost["since"]
    kiosk = retained(admin)  # a fresh subscriber: the presence is retained
    assert (kiosk.online, kiosk.offline_reason) == (False, "stopped")

    report = kioskguard(
        "fleet", "--config", str(admin_config), "report", "--db", str(collector.database),
        "--format", "json",
    )  # fmt: skip
    assert report.returncode == 0, report.stderr
    data = json.loads(report.stdout)
    [offline] = [item for item in data["offline"] if item["host"] == HOST]
    assert offline["reason"] == "stopped" and offline["since"] == stopped["since"]
    assert [gap["cause"] for gap in data["guard_gaps"] if gap["host"] == HOST] == ["killed"]
    table = kioskguard(
        "fleet", "--config", str(admin_config), "report", "--db", str(collector.database)
    )
    assert f"{SITE}/{HOST}: stopped since {stopped['since']}" in table.stdout
    assert f"{SITE}/{HOST}: killed from " in table.stdout
    status = kioskguard("fleet", "--config", str(admin_config), "status")
    assert "OFFLINE (stopped)" in status.stdout, status.stdout + status.stderr


def test_the_collector_keeps_when_a_kiosk_went_offline_and_forgets_a_retired_one(
    tmp_path: Path,
) -> None:
    store = EventStore(tmp_path / "events.sqlite3")
    try:
        store.note_presence("s", "h", {"online": False, "reason": "stopped", "at": T0})
        assert store.presence() == [
            {
                "site": "s",
                "host": "h",
                "online": False,
                "reason": "stopped",
                "since": T0,
            }
        ]
        store.note_presence("s", "h", {"online": False, "reason": "stopped", "at": "later"})
        assert store.presence()[0]["since"] == T0  # heard again: since kept
        store.note_presence("s", "h", {"online": False, "reason": "lost"})  # the will: no time
        [lost] = store.presence()
        assert lost["reason"] == "lost" and lost["since"] > T0
        store.note_presence("s", "h", None)  # `fleet retire`'s empty retained message
        assert store.presence() == []
    finally:
        store.close()


def test_the_report_lists_offline_kiosks_and_guard_gaps_in_table_json_and_html() -> None:
    gap = {"cause": "killed", "from": T0, "to": "2026-12-04T18:05:00+00:00", "seconds": 300}
    events = [{"kind": "guard_gap", "site": "s", "host": "h", "at": T0, "gap": gap}]
    presence = [
        {"site": "s", "host": "h", "online": False, "reason": "lost", "since": T0},
        {"site": "s", "host": "up", "online": True, "reason": None, "since": T0},
    ]
    report = build_report(events, datetime.fromisoformat(T0), None, (), presence)
    assert report.offline == [{"site": "s", "host": "h", "reason": "lost", "since": T0}]
    assert report.guard_gaps == [{"site": "s", "host": "h", **gap}]
    assert f"  s/h: lost since {T0}" in as_table(report)
    assert f"  s/h: killed from {T0} to 2026-12-04T18:05:00+00:00 (300 s)" in as_table(report)
    assert json.loads(as_json(report))["offline"][0]["reason"] == "lost"
    page = as_html(report)
    assert f"<li>s/h: lost since {T0}</li>" in page and "s/h: killed from" in page
