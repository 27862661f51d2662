"""The monitoring files under config/fleet/: alert rules (promtool), the Grafana dashboard
(structure, PromQL syntax through promtool, metric names the daemon really exports), and the
broker files (the example ACL is what `kioskguard fleet acl` generates)."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
from prometheus_client import generate_latest

from agent.cli import main
from agent.daemon.metrics import Metrics

CONFIG = Path(__file__).resolve().parents[2] / "config" / "fleet"
PANEL_TYPES = {"stat", "timeseries", "table", "gauge", "bargauge", "text"}


def promtool() -> str:
    found = shutil.which("promtool")
    if found is None:
        pytest.fail("promtool is missing: run `make bootstrap` (Debian package prometheus)")
    return found


def test_alert_rules_pass_promtool_check() -> None:
    completed = subprocess.run(
        [promtool(), "check", "rules", str(CONFIG / "alerts.yml")], capture_output=True, text=True
    )
    assert completed.returncode == 0, completed.stdout + completed.stderr
    assert "SUCCESS: 10 rules found" in completed.stdout


def test_alerts_fire_on_a_linked_session_after_closing_local_only_and_offline() -> None:
    completed = subprocess.run(
        [promtool(), "test", "rules", "alerts_test.yml"],
        cwd=CONFIG,
        capture_output=True,
        text=True,
    )
    assert completed.returncode == 0, completed.stdout + completed.stderr


def dashboard() -> dict[str, Any]:
    return dict(json.loads((CONFIG / "grafana-dashboard.json").read_text(encoding="utf-8")))


def test_dashboard_has_the_structure_grafana_imports() -> None:
    board = dashboard()
    assert isinstance(board["title"], str) and board["uid"] == "kioskguard-fleet"
    assert isinstance(board["schemaVersion"], int) and board["schemaVersion"] >= 36
    ids = [panel["id"] for panel in board["panels"]]
    assert len(ids) == len(set(ids)) and len(ids) >= 8
    for panel in board["panels"]:
        assert panel["type"] in PANEL_TYPES, panel["title"]
        grid = panel["gridPos"]
        assert (
            {"x", "y", "w", "h"} <= grid.keys() and grid["x"] >= 0 and grid["x"] + grid["w"] <= 24
        )
        assert panel["targets"] and all(target["expr"].strip() for target in panel["targets"])
    variables = {variable["name"] for variable in board["templating"]["list"]}
    assert {"datasource", "instance"} <= variables


def test_dashboard_queries_are_valid_promql_over_metrics_the_daemon_exports(
    tmp_path: Path,
) -> None:
    expressions = [t["expr"] for panel in dashboard()["panels"] for t in panel["targets"]]
    rules = {
        "groups": [
            {
                "name": "dashboard",
                "rules": [
                    {"record": f"dashboard:query{index}", "expr": expr.replace("$instance", ".*")}
                    for index, expr in enumerate(expressions)
                ],
            }
        ]
    }
    path = tmp_path / "dashboard-rules.yml"
    path.write_text(json.dumps(rules))  # JSON is YAML
    completed = subprocess.run(
        [promtool(), "check", "rules", str(path)], capture_output=True, text=True
    )
    assert completed.returncode == 0, completed.stdout + completed.stderr
    metrics = Metrics(profiles=["managed"])
    metrics.fleet()  # a fleet kiosk's series too
    exported = generate_latest(metrics.http_registry).decode()
    for name in set(re.findall(r"\b(kioskguard_\w+|process_\w+)", " ".join(expressions))):
        assert re.search(rf"^(# TYPE )?{name}[{{ ]", exported, re.MULTILINE), f"{name} is missing"


def test_the_example_acl_is_what_fleet_acl_generates(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["fleet", "acl", str(CONFIG / "users.example.csv")]) == 0
    assert capsys.readouterr().out == (CONFIG / "kioskguard.acl").read_text(encoding="utf-8")


def test_the_example_admin_file_is_a_valid_configuration() -> None:
    assert main(["check-config", str(CONFIG / "admin.toml")]) == 0
