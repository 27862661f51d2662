"""The alert rules against what a real daemon exports: a real `kioskguard run` (metrics on,
the fleet on with its broker unreachable) is scraped over HTTP at start-up, and that text is
promtool's input series. Every series is there from the first scrape, so the very first
local_only, failed logout or refused publish is an increase Prometheus sees; the fleet gauges
(broker connection, outbox depth, oldest event) each have their alert.

After the scrape the timeline is scripted the way the counters and gauges move: the series
and their start-up values are the daemon's own. A series missing from the scrape starts at the
first event ("_" before it), exactly as Prometheus would first see it, and the alert then
stays silent: the test fails.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import urllib.request
from pathlib import Path
from typing import Any

import pytest
import yaml
from prometheus_client.parser import text_string_to_metric_families

from agent.fleet.testing import free_port
from tests.daemon_integration.conftest import DaemonProcess, wait_until, write_config

CONFIG = Path(__file__).resolve().parents[2] / "config" / "fleet"
INSTANCE = "lib-a-01:9108"
MINUTES = 120


def promtool() -> str:
    found = shutil.which("promtool")
    if found is None:
        pytest.fail("promtool is missing: run `make bootstrap` (Debian package prometheus)")
    return found


@pytest.fixture(scope="module")
def scrape(tmp_path_factory: pytest.TempPathFactory) -> str:
    """Return the metrics text of a real daemon just after start-up."""
    root = tmp_path_factory.mktemp("scraped")
    port, dead_broker = free_port(), free_port()
    config = write_config(
        root / "kioskguard.toml",
        {
            "general": {"state_dir": root / "state"},
            "browser": {"user_data_dir": root / "profile"},
            "idle": {"enabled": False},
            "events": {"on_shutdown": False, "on_sleep": False, "on_logoff": False},
            "metrics": {"enabled": True, "listen": f"127.0.0.1:{port}"},
            "fleet": {
                "enabled": True,
                "broker": f"127.0.0.1:{dead_broker}",
                "tls": False,
                "site": "library-a",
                "host": "lib-a-01",
                "reconnect_s": 1,
            },
        },
    )
    (root / "profile").mkdir()
    daemon = DaemonProcess(config, root / "state")
    try:

        def text() -> str | None:
            if daemon.process.poll() is not None:
                pytest.fail(f"daemon exited {daemon.process.returncode}:\n{daemon.log()}")
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5) as r:
                    body = r.read().decode()
            except OSError:
                return None
            return body if "kioskguard_fleet_broker_connected" in body else None

        return str(wait_until(text, "the daemon's metrics endpoint"))
    finally:
        daemon.stop()


def series_of(text: str) -> dict[str, float]:
    """Given metrics text, return each sample as a promtool series selector and its value."""
    found: dict[str, float] = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            labels = {**sample.labels, "instance": INSTANCE, "job": "kioskguard"}
            inner = ",".join(f"{k}={json.dumps(v)}" for k, v in sorted(labels.items()))
            found[f"{sample.name}{{{inner}}}"] = sample.value
    return found


def selector(name: str, **labels: str) -> str:
    full = {**labels, "instance": INSTANCE, "job": "kioskguard"}
    return f"{name}{{{','.join(f'{k}={json.dumps(v)}' for k, v in sorted(full.items()))}}}"


def moves(start: float | None, at_minute: int, then: str) -> str:
    """Return promtool values: the scraped start until at_minute, then `then`; a series the
    scrape lacks is absent ("_") until the event creates it."""
    before = "_" if start is None else f"{start:g}"
    return " ".join([before] * at_minute) + " " + then


def annotations(name: str, labels: dict[str, str], value: str) -> dict[str, str]:
    """Return the alert's annotations from alerts.yml with its templates filled in."""
    rules = yaml.safe_load((CONFIG / "alerts.yml").read_text(encoding="utf-8"))
    rule = next(r for g in rules["groups"] for r in g["rules"] if r.get("alert") == name)
    fill = {"$value": value, **{f"$labels.{key}": item for key, item in labels.items()}}
    return {
        key: re.sub(r"\{\{\s*(\$[\w.]+)\s*\}\}", lambda m: fill[m.group(1)], text)
        for key, text in rule.get("annotations", {}).items()
    }


def alert(
    name: str, eval_minutes: int, fired: list[dict[str, str]], value: str = ""
) -> dict[str, Any]:
    return {
        "eval_time": f"{eval_minutes}m",
        "alertname": name,
        "exp_alerts": [
            {"exp_labels": labels, "exp_annotations": annotations(name, labels, value)}
            for labels in fired
        ],
    }


def test_the_first_events_fire_their_alerts_and_the_dashboard_stat_on_a_real_scrape(
    scrape: str, tmp_path: Path
) -> None:
    scraped = series_of(scrape)
    series = {name: f"{value:g}x{MINUTES}" for name, value in scraped.items()}
    local_only = selector(
        "kioskguard_logouts_total", result="local_only", trigger="idle", how="wipe"
    )
    failed = selector("kioskguard_logouts_total", result="failed", trigger="closing_time",
                      how="none")  # fmt: skip
    refused = selector("kioskguard_fleet_publishes_refused_total")
    backlog = selector("kioskguard_fleet_outbox_events")
    oldest = selector("kioskguard_fleet_outbox_oldest_age_seconds")
    connected = selector("kioskguard_fleet_broker_connected")
    assert scraped.get(connected) == 0  # the broker is unreachable: the daemon says so
    series[local_only] = moves(scraped.get(local_only), 3, f"1x{MINUTES - 3}")
    series[failed] = moves(scraped.get(failed), 3, f"1x{MINUTES - 3}")
    series[refused] = moves(scraped.get(refused), 3, f"1x{MINUTES - 3}")
    series[backlog] = moves(scraped.get(backlog), 3, f"500x{MINUTES - 3}")
    series[oldest] = moves(scraped.get(oldest), 3, f"0+60x{MINUTES - 3}")
    labels = {"instance": INSTANCE, "job": "kioskguard"}
    board = json.loads((CONFIG / "grafana-dashboard.json").read_text(encoding="utf-8"))
    panel = next(p for p in board["panels"] if p["title"] == "local_only logouts (24 h)")
    stat = panel["targets"][0]["expr"].replace("$instance", ".*")
    tests = {
        "rule_files": [str(CONFIG / "alerts.yml")],
        "evaluation_interval": "1m",
        "tests": [
            {
                "interval": "1m",
                "input_series": [{"series": k, "values": v} for k, v in series.items()],
                "alert_rule_test": [
                    alert("KioskguardLocalOnlyLogout", 2, []),  # nothing happened yet
                    alert(
                        "KioskguardLocalOnlyLogout",
                        5,
                        [
                            labels
                            | {
                                "severity": "warning",
                                "result": "local_only",
                                "trigger": "idle",
                                "how": "wipe",
                            }
                        ],
                    ),
                    alert(
                        "KioskguardLogoutFailed",
                        5,
                        [
                            labels
                            | {
                                "severity": "critical",
                                "result": "failed",
                                "trigger": "closing_time",
                                "how": "none",
                            }
                        ],
                    ),
                    alert("KioskguardFleetPublishRefused", 5, [labels | {"severity": "critical"}]),
                    alert("KioskguardFleetBrokerDisconnected", 10, []),
                    alert(
                        "KioskguardFleetBrokerDisconnected", 20, [labels | {"severity": "warning"}]
                    ),
                    alert(
                        "KioskguardFleetOutboxBacklog",
                        20,
                        [labels | {"severity": "warning"}],
                        "500",
                    ),
                    alert("KioskguardFleetEventStuck", 30, []),
                    alert("KioskguardFleetEventStuck", 70, [labels | {"severity": "warning"}]),
                ],
                "promql_expr_test": [  # the dashboard's "local_only logouts (24 h)" stat
                    {
                        "expr": stat,
                        "eval_time": "2m",
                        "exp_samples": [{"labels": "{}", "value": 0}],
                    },
                    {
                        "expr": stat,
                        "eval_time": "5m",
                        "exp_samples": [{"labels": "{}", "value": 1}],
                    },
                ],
            }
        ],
    }
    path = tmp_path / "alerts_from_scrape_test.yml"
    path.write_text(json.dumps(tests))  # JSON is YAML
    completed = subprocess.run(
        [promtool(), "test", "rules", str(path)], capture_output=True, text=True
    )
    assert completed.returncode == 0, completed.stdout + completed.stderr
