"""`kioskguard run` as a real process under faults: a second daemon, a broken state file, a
full audit disk, SIGHUP. No browser: the profiles are empty, the logouts have nothing to do.

Reported on main: two daemons ran side by side on one state dir; state.json being a directory
crashed the daemon; a full audit disk lost the line silently (exit 0); SIGHUP killed it (129).
"""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

REPOSITORY = Path(__file__).resolve().parents[2]
WAIT_S = 60.0
QUIET = (
    "[idle]\nenabled = false\n"
    "[events]\non_shutdown = false\non_sleep = false\non_logoff = false\n"
    "[check]\nprobe_interval_s = 5\nbrowser_poll_s = 0.5\n"
)


class Daemon:
    """One `kioskguard run` subprocess and its console log."""

    def __init__(self, config: Path, log: Path) -> None:
        self.log_path = log
        self._log = open(log, "wb")  # noqa: SIM115 (closed in stop)
        self.process = subprocess.Popen(
            [sys.executable, "-m", "agent", "run", "--config", str(config)],
            cwd=REPOSITORY,
            stdin=subprocess.DEVNULL,
            stdout=self._log,
            stderr=subprocess.STDOUT,
        )

    def log(self) -> str:
        return self.log_path.read_text(encoding="utf-8", errors="replace")

    def wait_for_log(self, text: str, count: int = 1) -> None:
        deadline = time.monotonic() + WAIT_S
        while self.log().count(text) < count:
            if self.process.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"no {text!r} (exit {self.process.poll()}):\n{self.log()}")
            time.sleep(0.1)

    def terminate(self) -> int:
        self.process.send_signal(signal.SIGTERM)
        return self.process.wait(timeout=WAIT_S)

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait(timeout=30)
        self._log.close()


@pytest.fixture
def daemons(tmp_path: Path) -> Iterator[list[Daemon]]:
    started: list[Daemon] = []
    yield started
    for daemon in started:
        daemon.stop()


def start(daemons: list[Daemon], config: Path) -> Daemon:
    daemon = Daemon(config, config.parent / f"daemon-{len(daemons)}.log")
    daemons.append(daemon)
    return daemon


def config_file(tmp_path: Path, extra: str = "", name: str = "kioskguard.toml") -> Path:
    path = tmp_path / name
    general = f'[general]\nstate_dir = "{tmp_path / "state"}"\nlog_level = "DEBUG"\n'
    path.write_text(general + extra + QUIET, encoding="utf-8")
    return path


def test_a_second_daemon_on_the_same_state_dir_refuses_naming_the_first(
    tmp_path: Path, daemons: list[Daemon]
) -> None:
    first = start(daemons, config_file(tmp_path))
    first.wait_for_log("kioskguard runs")
    second = subprocess.run(
        [sys.executable, "-m", "agent", "run", "--config", str(config_file(tmp_path))],
        cwd=REPOSITORY,
        capture_output=True,
        text=True,
        timeout=WAIT_S,
    )
    assert second.returncode == 2, second.stderr
    assert "another kioskguard daemon uses this state directory" in second.stderr
    assert f"locked by pid {first.process.pid} (" in second.stderr  # named from /proc/locks
    assert f"agent run --config {tmp_path / 'kioskguard.toml'}" in second.stderr
    assert "Traceback" not in second.stderr
    assert first.process.poll() is None and first.terminate() == 0


def test_a_state_file_that_is_a_directory_is_reported_and_the_daemon_still_runs(
    tmp_path: Path, daemons: list[Daemon]
) -> None:
    (tmp_path / "state" / "state.json").mkdir(parents=True)
    daemon = start(daemons, config_file(tmp_path))
    daemon.wait_for_log("kioskguard runs")
    assert f"{tmp_path / 'state' / 'state.json'}: is a directory, not the state file" in (
        daemon.log()
    )
    assert "recovering every profile to be safe" in daemon.log()
    assert "managed: logout nothing_to_do (recovery" in daemon.log()
    assert daemon.terminate() == 0
    assert "Traceback" not in daemon.log()


def test_check_config_reports_a_state_file_that_is_a_directory(tmp_path: Path) -> None:
    (tmp_path / "state" / "state.json").mkdir(parents=True)
    config = config_file(tmp_path)
    result = subprocess.run(
        [sys.executable, "-m", "agent", "check-config", str(config)],
        cwd=REPOSITORY,
        capture_output=True,
        text=True,
        timeout=WAIT_S,
    )
    assert result.returncode == 2
    assert "state.json': is a directory, not a file" in result.stderr


def test_a_full_audit_disk_is_logged_counted_and_makes_run_exit_1(
    tmp_path: Path, daemons: list[Daemon]
) -> None:
    state = tmp_path / "state"
    state.mkdir()
    started = "2025-06-14T19:00:00+02:00"
    record = {"in_progress": {"managed": {"trigger": "signal", "started_at": started}}}
    (state / "state.json").write_text(json.dumps(record), encoding="utf-8")
    textfile = tmp_path / "metrics.prom"
    config = config_file(tmp_path)  # the audit file on /dev/full: every write fails, ENOSPC
    text = config.read_text(encoding="utf-8").replace(
        "[general]\n", '[general]\naudit_log = "/dev/full"\n'
    )
    config.write_text(text + f'[metrics]\nenabled = true\ntextfile = "{textfile}"\n')
    daemon = start(daemons, config)
    daemon.wait_for_log("kioskguard runs")
    assert "managed: logout nothing_to_do (recovery" in daemon.log()  # the logout still ran
    assert "audit log /dev/full: the line for managed (nothing_to_do, recovery) was not" in (
        daemon.log()
    )
    assert "kioskguard_audit_write_errors_total 1.0" in textfile.read_text(encoding="utf-8")
    assert daemon.terminate() == 1
    assert "Traceback" not in daemon.log()


def test_sighup_reloads_a_valid_file_and_keeps_the_running_one_when_invalid(
    tmp_path: Path, daemons: list[Daemon]
) -> None:
    config = config_file(tmp_path)
    valid = config.read_text(encoding="utf-8")
    daemon = start(daemons, config)
    daemon.wait_for_log("kioskguard runs")
    config.write_text(valid + '[browser]\nallow_remote_cdp = "yes"\n', encoding="utf-8")
    daemon.process.send_signal(signal.SIGHUP)
    daemon.wait_for_log("reload failed; the running configuration stays")
    assert "browser.allow_remote_cdp: 'yes'" in daemon.log()
    assert daemon.process.poll() is None
    config.write_text(valid.replace("probe_interval_s = 5", "probe_interval_s = 7"))
    daemon.process.send_signal(signal.SIGHUP)
    daemon.wait_for_log("reload: configuration applied")
    daemon.wait_for_log("kioskguard runs", count=2)
    assert daemon.terminate() == 0
    assert "Traceback" not in daemon.log()
