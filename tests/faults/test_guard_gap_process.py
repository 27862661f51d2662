"""Tamper is visible: a real `kioskguard run` killed with SIGKILL, or stopped with SIGTERM or
SIGINT, then started again, tells at the next start how long the guard was not running and
why: one audit line, the metrics. No browser: the profiles are empty.

Reported (issue 20): a visitor could kill the guard and nothing was recorded.
"""

from __future__ import annotations

import json
import re
import signal
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.faults.test_daemon_process import Daemon, config_file, start


@pytest.fixture
def daemons() -> Iterator[list[Daemon]]:
    started: list[Daemon] = []
    yield started
    for daemon in started:
        daemon.stop()


def metrics_config(tmp_path: Path) -> Path:
    return config_file(
        tmp_path, f'[metrics]\nenabled = true\ntextfile = "{tmp_path / "kioskguard.prom"}"\n'
    )


def gap_lines(tmp_path: Path) -> list[dict[str, Any]]:
    path = tmp_path / "state" / "audit.jsonl"
    lines = path.read_text(encoding="utf-8").splitlines() if path.exists() else []
    return [record for record in map(json.loads, lines) if record.get("event") == "guard_gap"]


def metric(tmp_path: Path, name: str) -> float:
    text = (tmp_path / "kioskguard.prom").read_text(encoding="utf-8")
    found = re.search(rf"^{re.escape(name)} (\S+)$", text, re.MULTILINE)
    assert found is not None, f"{name} not in:\n{text}"
    return float(found.group(1))


def beat(tmp_path: Path) -> dict[str, Any]:
    return dict(json.loads((tmp_path / "state" / "guard-heartbeat.json").read_text("utf-8")))


def restarted(tmp_path: Path, daemons: list[Daemon]) -> Daemon:
    daemon = start(daemons, metrics_config(tmp_path))
    daemon.wait_for_log("kioskguard runs")
    return daemon


def test_a_first_start_tells_no_gap_and_keeps_a_heartbeat(
    tmp_path: Path, daemons: list[Daemon]
) -> None:
    daemon = restarted(tmp_path, daemons)
    assert "no gap to tell" in daemon.log()
    assert gap_lines(tmp_path) == []
    assert beat(tmp_path)["pid"] == daemon.process.pid and beat(tmp_path)["stop"] is None
    assert metric(tmp_path, 'kioskguard_guard_gaps_total{cause="killed"}') == 0
    assert daemon.terminate() == 0


def test_a_guard_killed_with_sigkill_is_told_at_the_next_start_as_killed(
    tmp_path: Path, daemons: list[Daemon]
) -> None:
    first = restarted(tmp_path, daemons)
    first.process.send_signal(signal.SIGKILL)
    assert first.process.wait(timeout=60) == -signal.SIGKILL
    last_beat = beat(tmp_path)["at"]
    second = restarted(tmp_path, daemons)
    [gap] = gap_lines(tmp_path)
    assert gap["cause"] == "killed" and gap["stop_cause"] is None
    assert gap["rebooted"] is False  # the same boot id
    assert gap["from"] == last_beat and gap["to"] > gap["from"]
    assert gap["message"].startswith("guard was not running from ")
    assert gap["message"] in second.log()
    assert metric(tmp_path, 'kioskguard_guard_gaps_total{cause="killed"}') == 1
    assert metric(tmp_path, 'kioskguard_guard_gaps_total{cause="stopped"}') == 0
    assert metric(tmp_path, "kioskguard_last_guard_gap_seconds") == pytest.approx(
        gap["seconds"], abs=1
    )
    assert metric(tmp_path, "kioskguard_last_guard_gap_timestamp_seconds") > 0
    assert second.terminate() == 0


@pytest.mark.parametrize("stop", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "SIGINT"])
def test_a_guard_stopped_with_a_signal_is_told_at_the_next_start_as_stopped(
    tmp_path: Path, daemons: list[Daemon], stop: signal.Signals
) -> None:
    first = restarted(tmp_path, daemons)
    first.process.send_signal(stop)
    assert first.process.wait(timeout=60) == 0
    assert beat(tmp_path)["stop"] == "stopped" and beat(tmp_path)["stop_cause"] == stop.name
    second = restarted(tmp_path, daemons)
    [gap] = gap_lines(tmp_path)
    assert gap["cause"] == "stopped" and gap["stop_cause"] == stop.name
    assert metric(tmp_path, 'kioskguard_guard_gaps_total{cause="stopped"}') == 1
    assert metric(tmp_path, 'kioskguard_guard_gaps_total{cause="killed"}') == 0
    assert second.terminate() == 0
    assert "Traceback" not in first.log() + second.log()


def test_the_heartbeat_is_rewritten_while_the_guard_runs(
    tmp_path: Path, daemons: list[Daemon]
) -> None:
    daemon = restarted(tmp_path, daemons)
    first = beat(tmp_path)["at"]
    deadline = time.monotonic() + 60
    while beat(tmp_path)["at"] == first:
        assert time.monotonic() < deadline, "the heartbeat was never rewritten"
        time.sleep(0.2)
    assert daemon.terminate() == 0
