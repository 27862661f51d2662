"""End-to-end delivery with a real Mosquitto (TLS, passwords, the generated ACL, a broker
queue of only 100 messages per client) and a real `kioskguard fleet collect`: the kiosk side
is FleetLink itself, run in this process beside a daemon stand-in without profiles (no
browser needed: the events are queued the way the daemon's hooks queue them).

An event leaves the outbox only once the collector has stored it; a publish the broker refuses
stays queued and is reported; forged events are rejected, counted and shown.
"""

from __future__ import annotations

import asyncio
import json
import os
import re
import shlex
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from loguru import logger
from prometheus_client import generate_latest

from agent.daemon.metrics import Metrics
from agent.fleet.admin import collect_status
from agent.fleet.connection import Refused, make_client
from agent.fleet.kiosk import FleetLink
from agent.fleet.testing import BrokerUnavailable, LocalBroker
from agent.fleet.topics import encode
from agent.settings import ProfileSettings, Settings
from tests.daemon_integration.conftest import wait_until, write_config
from tests.fleet.conftest import (
    USERS,
    Collector,
    fleet_settings,
    fleet_table,
    kioskguard,
    start_collector,
)

CONFIG = Path(__file__).resolve().parents[2] / "config" / "fleet"
QUEUE = 100  # the broker's max_queued_messages here: far smaller than the bursts
WAIT_S = 300.0
# Each wait is bounded by WAIT_S (a loaded CI machine restarts the collector slowly); the test's
# own limit lies beyond it, so a wait that runs out reports what it waited for.
pytestmark = pytest.mark.timeout(WAIT_S + 120)


@pytest.fixture(scope="module")
def broker(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalBroker]:
    """A Mosquitto whose per-client queue holds only QUEUE messages."""
    try:
        instance = LocalBroker(tmp_path_factory.mktemp("broker"), USERS, max_queued=QUEUE)
        instance.start()
    except BrokerUnavailable as exc:
        pytest.fail(f"no Mosquitto for the fleet tests: {exc}")
    yield instance
    instance.stop()


class NoProfiles:
    """The daemon as the link sees it, guarding no profile (the link only reads profiles)."""

    def __init__(self) -> None:
        self.profiles: list[ProfileSettings] = []
        self.coordinator: Any = None

    async def logout_linked(self, *_: Any) -> list[Any]:
        raise AssertionError("no command is sent in these tests")

    async def linked_now(self, profile: ProfileSettings) -> Any:
        raise AssertionError("no profile to read")


def kiosk_sections(
    broker: LocalBroker, state: Path, host: str, user: str, **fleet: Any
) -> dict[str, Any]:
    table = fleet_table(broker, user, enabled=True, site="library-a", host=host, **fleet)
    return {"general": {"state_dir": state}, "idle": {"enabled": False}, "fleet": table}


async def eventually(check: Callable[[], Any], what: str, timeout_s: float = WAIT_S) -> Any:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        value = check()
        if value:
            return value
        await asyncio.sleep(0.2)
    pytest.fail(f"timed out waiting for {what}")


async def running(link: FleetLink) -> asyncio.Task[None]:
    return asyncio.create_task(link.run(NoProfiles()))  # type: ignore[arg-type]


async def stop(link: FleetLink, task: asyncio.Task[None]) -> None:
    """Stop the link, bounded: a hang here must not hide the failure that led to it."""
    task.cancel()
    async with asyncio.timeout(30):
        await asyncio.gather(task, return_exceptions=True)
        await link.close()


def scrape(metrics: Metrics) -> str:
    return generate_latest(metrics.registry).decode()


async def test_a_kiosk_whose_host_is_not_its_broker_user_keeps_its_event_and_says_why(
    broker: LocalBroker, collector: Collector, tmp_path: Path
) -> None:
    wait_until(collector.connected, "the collector to subscribe")
    sections = kiosk_sections(broker, tmp_path / "state", "lib-a-09", "lib-a-01")
    config = write_config(tmp_path / "kiosk.toml", sections)
    errors: list[str] = []
    sink = logger.add(lambda message: errors.append(str(message)), level="ERROR")
    metrics = Metrics()
    link = FleetLink(Settings.model_validate(sections), metrics.fleet())
    task = await running(link)
    try:
        event_id = link.emit("command_refused", command_id=None, reason="a test event")
        await eventually(lambda: link.refusal, "the broker's refusal")
        await asyncio.sleep(1.0)  # time enough for a wrongly deleted row to go
        assert link.outbox.count() == 1
        exported = scrape(metrics)
    finally:
        await stop(link, task)
        logger.remove(sink)
    cause = "fleet.host is 'lib-a-09'"
    assert "Not authorized (reason code 135)" in (link.refusal or "") and cause in (
        link.refusal or ""
    )
    assert any(cause in line for line in errors), errors
    assert "kioskguard_fleet_outbox_events 1.0" in exported
    assert "kioskguard_fleet_publishes_refused_total 0.0" not in exported
    assert "kioskguard_fleet_broker_connected 1.0" in exported
    status = kioskguard("fleet", "--config", str(config), "status")
    assert status.returncode == 1, status.stdout + status.stderr
    assert "1 event(s) wait for the collector" in status.stdout and cause in status.stdout
    assert event_id not in {event["id"] for event in collector.events()}


async def test_an_event_goes_from_the_outbox_only_once_the_collector_stored_it(
    broker: LocalBroker, collector: Collector, tmp_path: Path
) -> None:
    wait_until(collector.connected, "the collector to subscribe")
    sections = kiosk_sections(broker, tmp_path / "state", "lib-a-01", "lib-a-01", ack_timeout_s=2)
    collector.stop()  # the broker took the event and acknowledged it: not enough
    link = FleetLink(Settings.model_validate(sections))
    task = await running(link)
    try:
        event_id = link.emit("command_refused", command_id=None, reason="stored first")
        await eventually(lambda: event_id in link._awaiting, "the broker's PUBACK")
        await asyncio.sleep(3.0)
        assert link.outbox.count() == 1  # PUBACK'd, never stored: kept
        again = start_collector(broker, collector.log.parent)
        try:
            await eventually(lambda: link.outbox.count() == 0, "the collector's acknowledgement")
        finally:
            collector.process = again.process  # the module's collector runs on
            collector.runs_before = again.runs_before
    finally:
        await stop(link, task)
    assert [e["id"] for e in collector.events()].count(event_id) == 1


async def test_a_burst_of_10000_events_through_a_queue_of_100_is_stored_each_once(
    broker: LocalBroker, collector: Collector, tmp_path: Path
) -> None:
    wait_until(collector.connected, "the collector to subscribe")
    sections = kiosk_sections(
        broker, tmp_path / "state", "lib-a-02", "lib-a-02", ack_timeout_s=3, ack_window=500
    )
    collector.stop()  # its session stays: the broker queues QUEUE messages for it, drops the rest
    link = FleetLink(Settings.model_validate(sections))
    ids = [
        link.emit("command_refused", command_id=None, reason=f"burst {n}") for n in range(10_000)
    ]
    task = await running(link)
    try:
        await eventually(
            lambda: "messages are being dropped" in broker.log(), "the broker dropping messages"
        )
        again = start_collector(broker, collector.log.parent)
        collector.process, collector.runs_before = again.process, again.runs_before
        await eventually(lambda: link.outbox.count() == 0, "the burst drained")
    finally:
        await stop(link, task)
    mine = [e["id"] for e in collector.events() if e["host"] == "lib-a-02"]
    assert len(mine) == len(set(mine)) == 10_000  # none lost, none twice
    assert set(mine) == set(ids)


async def test_forged_events_from_a_kiosks_account_are_rejected_counted_and_shown(
    broker: LocalBroker, collector: Collector, tmp_path: Path
) -> None:
    wait_until(collector.connected, "the collector to subscribe")
    settings = fleet_settings(broker, "lib-a-01")
    prefix = settings.topic_prefix
    own = f"{prefix}/library-a/lib-a-01/events"
    now = time.time()

    def at(offset_s: float) -> str:
        from datetime import UTC, datetime

        return datetime.fromtimestamp(now + offset_s, UTC).isoformat(timespec="milliseconds")

    def logout(host: str, trigger: str, offset_s: float, **extra: Any) -> dict[str, Any]:
        outcome = {"profile": "managed", "trigger": trigger, "result": "logged_out",
                   "verified": True, "duration_ms": 900}  # fmt: skip
        return {"id": f"{host}-{uuid.uuid4().hex}", "kind": "logout", "site": "library-a",
                "host": host, "at": at(offset_s), "outcome": outcome, **extra}  # fmt: skip

    forged = [
        logout("lib-a-02", "idle", 0),  # another kiosk's name in the payload
        logout("lib-a-01", "fleet", 0, command_id="cmd-never-sent"),  # no such command
        *[logout("lib-a-01", "idle", -30 + n * 0.01) for n in range(40)],  # 40 in a second
    ]
    async with make_client(settings, f"forger-{uuid.uuid4().hex[:8]}", username="lib-a-01",
                           persistent=False) as client:  # fmt: skip
        for message in forged:
            await client.publish(own, encode(message))
        with pytest.raises(Refused) as refused:  # the ACL: another kiosk's topic
            await client.publish(f"{prefix}/library-a/lib-a-02/events", encode(forged[0]))
        assert refused.value.code == 135
        for acknowledgement in (
            f"{prefix}/ack/library-a/lib-a-01",
            f"{prefix}/ack/library-a/lib-a-02",
        ):
            with pytest.raises(Refused):  # only the collector may make an outbox forget
                await client.publish(acknowledgement, encode({"ids": ["lib-a-01-x"]}))
    async with make_client(fleet_settings(broker, "admin"), f"admin-{uuid.uuid4().hex[:8]}",
                           username="admin", persistent=False) as client:  # fmt: skip
        with pytest.raises(Refused):
            await client.publish(f"{prefix}/ack/library-a/lib-a-01", encode({"ids": []}))

    def rejections() -> list[dict[str, Any]] | None:
        found = [row for row in collector.rejected() if row["host"] == "lib-a-01"]
        return found if len(found) >= len(forged) - 12 else None

    rows = await eventually(rejections, "the forged events rejected")
    reasons = " | ".join(row["reason"] for row in rows)
    assert "payload says library-a/lib-a-02" in reasons
    assert "'cmd-never-sent', which the collector never saw" in reasons
    assert "a burst: more than 12 logouts within a minute" in reasons
    accepted = [e for e in collector.events() if e["host"] == "lib-a-01" and e["kind"] == "logout"]
    assert len(accepted) <= 12  # the rate a real kiosk cannot exceed bounds what is believed
    admin = write_config(tmp_path / "admin.toml", {"fleet": fleet_table(broker, "admin")})
    report = kioskguard(
        "fleet", "--config", str(admin),
        "report", "--since", "1d", "--db", str(collector.database), "--format", "json",
    )  # fmt: skip
    assert report.returncode == 0, report.stderr
    shown = json.loads(report.stdout)
    assert shown["rejected_total"] == len(rows)
    assert {row["host"] for row in shown["rejected"]} == {"lib-a-01"}
    table = kioskguard(
        "fleet", "--config", str(admin), "report", "--since", "1d",
        "--db", str(collector.database),
    )  # fmt: skip
    assert f"{len(rows)} message(s) rejected" in table.stdout, table.stdout


async def test_retire_clears_a_kiosks_retained_status_and_only_the_admin_may(
    broker: LocalBroker, tmp_path: Path
) -> None:
    kiosk = fleet_settings(broker, "hotel-b-01")
    status = {"site": "hotel-b", "host": "hotel-b-01", "version": "test"}
    async with make_client(kiosk, "kioskguard-hotel-b-01", username="hotel-b-01",
                           persistent=False) as client:  # fmt: skip
        await client.publish("kioskguard/v1/hotel-b/hotel-b-01/status", encode(status),
                             retain=True)  # fmt: skip
    admin = fleet_settings(broker, "admin")
    assert "hotel-b-01" in {k.host for k in await collect_status(admin, quiet_s=0.5)}
    as_kiosk = write_config(tmp_path / "kiosk.toml", {"fleet": fleet_table(broker, "lib-a-01")})
    refused = kioskguard("fleet", "--config", str(as_kiosk), "retire", "--site", "hotel-b",
                         "--host", "hotel-b-01")  # fmt: skip
    assert refused.returncode == 1 and "Not authorized" in refused.stderr, refused.stderr
    config = write_config(tmp_path / "admin.toml", {"fleet": fleet_table(broker, "admin")})
    done = kioskguard("fleet", "--config", str(config), "retire", "--site", "hotel-b",
                      "--host", "hotel-b-01")  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert "hotel-b-01" not in {k.host for k in await collect_status(admin, quiet_s=0.5)}


def test_the_collector_unit_runs_its_exec_start_and_stops_cleanly_on_sigterm(
    broker: LocalBroker, collector: Collector, tmp_path: Path
) -> None:
    collector.stop()  # the unit's collector takes the same broker session
    unit = (CONFIG / "kioskguard-collector.service").read_text(encoding="utf-8")
    exec_start = shlex.split(re.search(r"^ExecStart=(.*)$", unit, re.M).group(1))  # type: ignore[union-attr]
    assert Path(exec_start[0]).name == "kioskguard"
    database = tmp_path / "events.sqlite3"
    table = fleet_table(broker, "collector", events_db=database)
    config = write_config(tmp_path / "collector.toml", {"fleet": table})
    argv = [str(Path(sys.executable).parent / "kioskguard"), *exec_start[1:]]
    argv[argv.index("/etc/kioskguard/collector.toml")] = str(config)
    environment = dict(re.findall(r"^Environment=(\w+)=(.*)$", unit, re.M))
    environment["KIOSKGUARD_GENERAL__STATE_DIR"] = str(tmp_path / "state")
    log = tmp_path / "unit.log"
    with open(log, "wb") as output:
        process = subprocess.Popen(argv, env={**os.environ, **environment},
                                   stdout=output, stderr=subprocess.STDOUT)  # fmt: skip
    try:
        wait_until(lambda: "collector: connected" in log.read_text(), "the unit's collector")
    finally:
        process.send_signal(signal.SIGTERM)  # what systemctl stop sends
        returncode = process.wait(timeout=30)
    assert returncode == 0, log.read_text()
    assert database.exists()
