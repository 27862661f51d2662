"""The audit trail (one scrubbed JSON line per outcome) and the Prometheus metrics."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from loguru import logger

from agent.audit import audit, audit_line, configure_logging
from agent.daemon.daemon import Daemon
from agent.daemon.metrics import Metrics
from agent.errors import ConfigError
from agent.outcome import Outcome, Result, Trigger

from .conftest import SATURDAY_EVENING

FAILED = Outcome(
    "desk",
    Trigger.IDLE,
    Result.FAILED,
    error="stuck on 491511234567:12@c.us after Timeout 490.20620157ms",
    notes=["+49 1511234567"],
)


@pytest.fixture
def audit_file(tmp_path: Path) -> Iterator[Path]:
    path = tmp_path / "logs" / "audit.jsonl"
    configure_logging("INFO", path)
    yield path
    configure_logging("INFO", None)


def test_audit_line_is_json_with_phone_numbers_masked() -> None:
    record = json.loads(audit_line(FAILED, SATURDAY_EVENING))
    assert record["at"] == "2025-06-14T19:00:00.000+02:00"
    assert (record["profile"], record["trigger"], record["result"]) == ("desk", "idle", "failed")
    assert record["error"] == "stuck on 49151*****67:12@c.us after Timeout 490.20620157ms"
    assert record["notes"] == ["+49151*****67"]


def test_audit_writes_one_line_per_outcome_and_nothing_else(audit_file: Path) -> None:
    logger.info("an ordinary log line")
    audit(FAILED)
    audit(Outcome("desk", Trigger.CLOSING_TIME, Result.LOGGED_OUT))
    lines = audit_file.read_text(encoding="utf-8").splitlines()
    assert [json.loads(line)["result"] for line in lines] == ["failed", "logged_out"]
    assert "491511234567" not in audit_file.read_text(encoding="utf-8")


def test_bad_rotation_is_a_config_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="audit log"):
        configure_logging("INFO", tmp_path / "audit.jsonl", rotation="whenever")
    configure_logging("INFO", None)


def test_metrics_count_logouts_by_result_and_trigger() -> None:
    metrics = Metrics()
    metrics.record_outcome(FAILED)
    metrics.record_outcome(FAILED)
    labels = {"result": "failed", "trigger": "idle", "how": "none"}
    assert metrics.registry.get_sample_value("kioskguard_logouts_total", labels) == 2


def test_metrics_label_logouts_by_the_path_that_did_them() -> None:
    metrics = Metrics()
    metrics.record_outcome(Outcome("desk", Trigger.IDLE, Result.LOGGED_OUT, how="client_function"))
    metrics.record_outcome(Outcome("desk", Trigger.IDLE, Result.LOGGED_OUT, how="ui:settings"))
    metrics.record_outcome(Outcome("desk", Trigger.IDLE, Result.LOCAL_ONLY, how="wipe"))
    metrics.record_outcome(Outcome("desk", Trigger.IDLE, Result.LOGGED_OUT, how="free text 1"))

    def count(result: str, how: str) -> float | None:
        labels = {"result": result, "trigger": "idle", "how": how}
        return metrics.registry.get_sample_value("kioskguard_logouts_total", labels)

    assert count("logged_out", "client_function") == 1
    assert count("logged_out", "ui:settings") == 1
    assert count("local_only", "wipe") == 1
    assert count("logged_out", "none") == 1  # unknown values never become new label values


def test_audit_line_says_how_the_logout_was_done() -> None:
    line = audit_line(Outcome("desk", Trigger.IDLE, Result.LOGGED_OUT, how="ui:menu"))
    assert json.loads(line)["how"] == "ui:menu"


def test_metrics_textfile_is_written_whole(tmp_path: Path) -> None:
    metrics = Metrics()
    metrics.record_check(linked_count=1, timestamp=1_750_000_000)
    metrics.write_textfile(tmp_path / "kioskguard.prom")
    text = (tmp_path / "kioskguard.prom").read_text()
    assert "kioskguard_linked_profiles 1.0" in text
    assert sorted(path.name for path in tmp_path.iterdir()) == ["kioskguard.prom"]


async def test_daemon_check_updates_the_linked_gauge(make_settings, agent, clock) -> None:
    metrics = Metrics()
    await Daemon(make_settings(), agent, clock, metrics=metrics).check_linked()
    assert metrics.registry.get_sample_value("kioskguard_linked_profiles") == 1
    assert metrics.registry.get_sample_value("kioskguard_last_check_timestamp_seconds") == (
        clock.now().timestamp()
    )
