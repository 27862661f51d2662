"""The guard gap's logic: which cause a start tells from the last heartbeat, this boot's id
(a file the test writes: the fake of an OS fact) and the stop record; the heartbeat file on a
real full tmpfs."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from agent.daemon.daemon import Daemon
from agent.daemon.fakes import FakeTriggerSource
from agent.daemon.guard_gap import GuardTrace, gap_since, stop_record, tell_gap
from agent.daemon.heartbeat import Beat, HeartbeatFile
from agent.daemon.metrics import Metrics
from agent.outcome import Trigger
from tests.faults.disk_helpers import fill, free, small_tmpfs

T0 = datetime(2026, 12, 4, 18, 0, tzinfo=UTC)


class Clock:
    def __init__(self) -> None:
        self.at = T0

    def now(self) -> datetime:
        return self.at


def boot(tmp_path: Path, boot_id: str) -> Path:
    path = tmp_path / "boot_id"
    path.write_text(boot_id + "\n", encoding="ascii")
    return path


def trace(tmp_path: Path, clock: Clock, boot_id: str) -> GuardTrace:
    return GuardTrace(tmp_path / "state", clock.now, boot_id_path=boot(tmp_path, boot_id))


def test_a_new_boot_without_a_stop_record_is_a_power_loss_or_crash(tmp_path: Path) -> None:
    clock = Clock()
    assert trace(tmp_path, clock, "boot-a").start() is None  # first start: nothing to compare
    clock.at = T0 + timedelta(hours=2)
    gap = trace(tmp_path, clock, "boot-b").start()
    assert gap is not None
    assert (gap.cause, gap.rebooted, gap.seconds) == ("power_loss_or_crash", True, 7200)
    assert gap.began == T0 and gap.ended == clock.at


def test_the_same_boot_without_a_stop_record_is_a_kill(tmp_path: Path) -> None:
    clock = Clock()
    trace(tmp_path, clock, "boot-a").start()
    clock.at = T0 + timedelta(minutes=3)
    gap = trace(tmp_path, clock, "boot-a").start()
    assert gap is not None and (gap.cause, gap.rebooted) == ("killed", False)


def test_a_stop_during_a_shutdown_then_a_new_boot_is_a_shutdown(tmp_path: Path) -> None:
    clock = Clock()
    first = trace(tmp_path, clock, "boot-a")
    first.start()
    clock.at = T0 + timedelta(minutes=1)
    first.stopped("shutdown", "PrepareForShutdown, then SIGTERM")
    clock.at = T0 + timedelta(hours=10)
    gap = trace(tmp_path, clock, "boot-b").start()
    assert gap is not None and gap.cause == "shutdown"
    assert gap.began == T0 + timedelta(minutes=1)  # from the recorded stop
    assert gap.stop_cause == "PrepareForShutdown, then SIGTERM"


def test_a_shutdown_after_which_the_machine_did_not_restart_is_a_stop(tmp_path: Path) -> None:
    clock = Clock()
    first = trace(tmp_path, clock, "boot-a")
    first.start()
    first.stopped("shutdown", "PrepareForShutdown, then SIGTERM")
    gap = trace(tmp_path, clock, "boot-a").start()
    assert gap is not None and gap.cause == "stopped"


def test_an_orderly_stop_is_a_stop_whatever_the_boot(tmp_path: Path) -> None:
    clock = Clock()
    first = trace(tmp_path, clock, "boot-a")
    first.start()
    first.stopped("stopped", "SIGTERM")
    gap = trace(tmp_path, clock, "boot-b").start()
    assert gap is not None and (gap.cause, gap.stop_cause) == ("stopped", "SIGTERM")


def test_without_boot_ids_a_missing_stop_record_reads_killed() -> None:
    last = Beat(T0, None, 1)
    gap = gap_since(last, T0 + timedelta(seconds=5), None)
    assert gap is not None and (gap.cause, gap.rebooted) == ("killed", None)


@pytest.mark.parametrize(
    ("trigger", "seen", "signal", "expected"),
    [
        (Trigger.SIGNAL, False, "SIGTERM", ("stopped", "SIGTERM")),
        (Trigger.SIGNAL, False, "SIGINT", ("stopped", "SIGINT")),
        (Trigger.SIGNAL, True, "SIGTERM", ("shutdown", "PrepareForShutdown, then SIGTERM")),
        (Trigger.SHUTDOWN, False, None, ("shutdown", "session end: shutdown")),
        (Trigger.LOGOFF, False, None, ("stopped", "session end: logoff")),
    ],
)
def test_the_stop_record_names_the_stop(
    trigger: Trigger, seen: bool, signal: str | None, expected: tuple[str, str]
) -> None:
    assert stop_record(trigger, seen, signal) == expected


def test_a_gap_is_told_to_the_audit_the_metrics_and_the_fleet(tmp_path: Path) -> None:
    gap = gap_since(Beat(T0, "a", 1), T0 + timedelta(seconds=90), "a")
    lines: list[tuple[dict[str, Any], datetime]] = []
    events: list[dict[str, Any]] = []
    metrics = Metrics()
    tell_gap(gap, lambda fields, at: lines.append((fields, at)), metrics, events.append)
    [(fields, at)] = lines
    assert fields["event"] == "guard_gap" and fields["cause"] == "killed"
    assert fields["seconds"] == 90 and at == T0 + timedelta(seconds=90)
    assert events == [fields]
    assert metrics.registry.get_sample_value("kioskguard_guard_gaps_total", {"cause": "killed"})
    assert metrics.registry.get_sample_value("kioskguard_last_guard_gap_seconds") == 90


def test_a_damaged_heartbeat_reads_as_none(tmp_path: Path) -> None:
    heartbeat = HeartbeatFile(tmp_path)
    heartbeat.path.write_text('{"at": "yesterday"}', encoding="utf-8")
    assert heartbeat.read() is None


def test_a_full_disk_keeps_the_last_heartbeat_and_leaves_nothing_behind(tmp_path: Path) -> None:
    with small_tmpfs(tmp_path / "disk") as disk:
        heartbeat = HeartbeatFile(disk)
        assert heartbeat.write(Beat(T0, "a", 1))
        fill(disk)
        assert not heartbeat.write(Beat(T0 + timedelta(seconds=5), "a", 1))  # no exception
        assert heartbeat.failing
        assert heartbeat.read() == Beat(T0, "a", 1)  # the old beat, whole
        assert sorted(path.name for path in disk.iterdir()) == [
            "filler",
            "guard-heartbeat.json",
            "probe",
        ]
        free(disk)
        assert heartbeat.write(Beat(T0 + timedelta(seconds=10), "a", 1))
        assert json.loads(heartbeat.path.read_text("utf-8"))["at"].startswith("2026-12-04T18:00:10")


async def test_the_daemon_remembers_a_shutdown_announced_before_its_stop(
    make_daemon: Callable[..., Daemon],
) -> None:
    source = FakeTriggerSource()
    daemon = make_daemon(idle={"enabled": False})
    daemon.trigger_sources = [source]
    running = asyncio.create_task(daemon.run())
    source.put(Trigger.LOCK)
    while not source.handled:
        await asyncio.sleep(0.01)
    assert not daemon.shutdown_seen  # another event is no shutdown
    source.put(Trigger.SHUTDOWN)
    while len(source.handled) < 2:
        await asyncio.sleep(0.01)
    daemon.request_stop()
    assert await asyncio.wait_for(running, 10) == 0
    assert daemon.shutdown_seen and daemon.stop_trigger is Trigger.SIGNAL
