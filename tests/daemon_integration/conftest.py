"""Fixtures of the daemon's integration tests: `kioskguard run` as a real subprocess.

A headless managed browser on a temporary profile, linked to the simulator through the phone
API; the daemon reads a TOML file written by the test and logs to a file the test polls.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from agent.browser.discovery import Browser
from agent.simulator.testing import SimulatorHandle
from tests.session.helpers import managed_browser

REPOSITORY = Path(__file__).resolve().parents[2]
WAIT_S = 60.0


def wait_until(condition: Callable[[], Any], what: str, timeout_s: float = WAIT_S) -> Any:
    """Poll condition until it returns something truthy; return it. Fail naming what if never."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.1)
    pytest.fail(f"timed out waiting for {what}")


class DaemonProcess:
    """One `kioskguard run` subprocess, its console log and its audit trail."""

    def __init__(self, config: Path, state_dir: Path, env: dict[str, str] | None = None) -> None:
        self.state_dir = state_dir
        self.log_path = state_dir.parent / f"daemon-{time.monotonic_ns()}.log"
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        self._log = open(self.log_path, "wb")  # noqa: SIM115 (closed in stop)
        self.process = subprocess.Popen(
            [sys.executable, "-m", "agent", "run", "--config", str(config)],
            cwd=REPOSITORY,
            env={**os.environ, **(env or {})},
            stdin=subprocess.DEVNULL,
            stdout=self._log,
            stderr=subprocess.STDOUT,
        )

    def log(self) -> str:
        return self.log_path.read_text(encoding="utf-8", errors="replace")

    def wait_for_log(self, text: str, timeout_s: float = WAIT_S) -> None:
        """Wait until the console log contains text. Fail (with the log) if the daemon exits."""

        def seen() -> bool:
            if self.process.poll() is not None and text not in self.log():
                pytest.fail(f"daemon exited {self.process.returncode}:\n{self.log()}")
            return text in self.log()

        wait_until(seen, f"{text!r} in the daemon log", timeout_s)

    def audit(self) -> list[dict[str, Any]]:
        """Return the audit file's logout records (the other lines: audit_events)."""
        return [record for record in self.audit_lines() if "event" not in record]

    def audit_events(self) -> list[dict[str, Any]]:
        """Return the audit file's lines that are no logout (the guard_gap line)."""
        return [record for record in self.audit_lines() if "event" in record]

    def audit_lines(self) -> list[dict[str, Any]]:
        path = self.state_dir / "audit.jsonl"
        if not path.exists():
            return []
        lines = path.read_text(encoding="utf-8").splitlines()
        return [json.loads(line) for line in lines if line.strip()]

    def wait_for_audit(self, trigger: str, timeout_s: float = WAIT_S) -> dict[str, Any]:
        """Return the first audit record of this trigger, waiting for it."""

        def record() -> dict[str, Any] | None:
            matches = [entry for entry in self.audit() if entry["trigger"] == trigger]
            return matches[0] if matches else None

        found: dict[str, Any] = wait_until(record, f"an audit line for {trigger}", timeout_s)
        return found

    def in_progress(self) -> dict[str, Any]:
        try:
            data = json.loads((self.state_dir / "state.json").read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return {}
        return dict(data.get("in_progress", {}))

    def terminate(self, timeout_s: float = WAIT_S) -> int:
        """Send SIGTERM and return the exit code."""
        self.process.send_signal(signal.SIGTERM)
        return self.process.wait(timeout=timeout_s)

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait(timeout=30)
        self._log.close()


def write_config(path: Path, sections: dict[str, dict[str, Any]]) -> Path:
    """Write a small TOML file of tables of scalars (enough for these tests); return path."""

    def value(item: Any) -> str:
        return json.dumps(item if not isinstance(item, Path) else str(item))

    lines = []
    for table, entries in sections.items():
        lines.append(f"[{table}]")
        lines.extend(f"{key} = {value(item)}" for key, item in entries.items())
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


@pytest.fixture
def profile_dir(tmp_path: Path) -> Path:
    return tmp_path / "profile"


@pytest.fixture
def state_dir(tmp_path: Path) -> Path:
    return tmp_path / "state"


@pytest.fixture
def base_config(
    profile_dir: Path, state_dir: Path, sim: SimulatorHandle, browser_executable: Browser
) -> dict[str, dict[str, Any]]:
    """Return the tables every test starts from: idle off, no OS events, fast browser watch."""
    return {
        "general": {"state_dir": state_dir, "client_url": sim.url, "log_level": "DEBUG"},
        "browser": {"user_data_dir": profile_dir, "executable": browser_executable.path},
        "check": {"probe_interval_s": 5, "browser_poll_s": 0.5},
        "idle": {"enabled": False},
        "events": {"on_shutdown": False, "on_sleep": False, "on_logoff": False},
        "logout": {"deadline_s": 30, "shutdown_deadline_s": 10},
    }


DaemonFactory = Callable[..., DaemonProcess]


@pytest.fixture
def start_daemon(tmp_path: Path, state_dir: Path) -> Iterator[DaemonFactory]:
    """Return a factory starting the daemon on a config; every daemon is killed at teardown."""
    started: list[DaemonProcess] = []

    def start(sections: dict[str, dict[str, Any]], env: dict[str, str] | None = None) -> Any:
        config = write_config(tmp_path / f"config-{len(started)}.toml", sections)
        daemon = DaemonProcess(config, state_dir, env)
        started.append(daemon)
        return daemon

    yield start
    for daemon in started:
        daemon.stop()


@pytest.fixture
def managed(
    profile_dir: Path, browser_executable: Browser, sim: SimulatorHandle, managed_port: int
) -> Iterator[subprocess.Popen[bytes]]:
    """Start the managed browser headless on the profile; yield its process.

    Every test using it runs twice: on the fixed default port 9222 (the daemon's configured
    browser.debugging_port, no DevToolsActivePort written) and on port 0 (DevToolsActivePort).
    """
    with managed_browser(browser_executable, profile_dir, sim.url, port=managed_port) as process:
        yield process
