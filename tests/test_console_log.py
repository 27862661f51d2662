"""The console log: journald's "<N>" priorities under $JOURNAL_STREAM, the usual format elsewhere.

The end-to-end tests run the real `kioskguard run` with stderr on a file and JOURNAL_STREAM set
to that file's device:inode (what systemd does for a unit whose stderr is the journal), then
parse the lines as journald would.
"""

from __future__ import annotations

import io
import logging
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from agent.audit import configure_logging
from agent.platform.journald import is_journal_stream, syslog_priority

REPOSITORY = Path(__file__).resolve().parents[1]
PRIORITY_LINE = re.compile(r"^<([0-7])>(\S+) +(.*)$")
TIMESTAMPED_LINE = re.compile(r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d (\S+) +(.*)$")
SKIPPED = 'Execution of job "check" skipped: maximum number of running instances reached (1)'


def test_loguru_levels_map_to_sd_daemon_priorities() -> None:
    levels = {"TRACE": 5, "DEBUG": 10, "INFO": 20, "SUCCESS": 25, "WARNING": 30, "ERROR": 40}
    priorities = {name: syslog_priority(number) for name, number in levels.items()}
    assert priorities == {
        "TRACE": 7, "DEBUG": 7, "INFO": 6, "SUCCESS": 5, "WARNING": 4, "ERROR": 3
    }  # fmt: skip
    assert syslog_priority(50) == 2


def test_journal_stream_must_name_this_very_stream(tmp_path: Path) -> None:
    with open(tmp_path / "a", "w") as first, open(tmp_path / "b", "w") as second:
        status = os.fstat(first.fileno())
        value = f"{status.st_dev}:{status.st_ino}"
        assert is_journal_stream(first, {"JOURNAL_STREAM": value})
        assert not is_journal_stream(second, {"JOURNAL_STREAM": value})  # inherited, redirected
        assert not is_journal_stream(first, {"JOURNAL_STREAM": "garbage"})
        assert not is_journal_stream(first, {})
    assert not is_journal_stream(io.StringIO(), {"JOURNAL_STREAM": value})


def test_third_party_warnings_are_logged_at_debug(capsys: pytest.CaptureFixture[str]) -> None:
    try:
        configure_logging("INFO", None)
        logging.getLogger("apscheduler.scheduler").warning(SKIPPED)
        logging.getLogger("agent.somewhere").warning("our own warning")
        assert SKIPPED not in capsys.readouterr().err
        configure_logging("DEBUG", None)
        logging.getLogger("apscheduler.scheduler").warning(SKIPPED)
        logging.getLogger("paho.mqtt.client").error("a third-party error stays an error")
        lines = capsys.readouterr().err.splitlines()
    finally:
        configure_logging("INFO", None)
    matches = [TIMESTAMPED_LINE.match(line) for line in lines]
    levels = {match.group(2): match.group(1) for match in matches if match}
    assert levels[SKIPPED] == "DEBUG"
    assert levels["a third-party error stays an error"] == "ERROR"


def _run_daemon(tmp_path: Path, journal: bool) -> list[str]:
    """Run `kioskguard run` after an unclean stop, reload it with a valid file, then a broken
    one, stop it; return its console lines."""
    state_dir = tmp_path / "state"
    state_dir.mkdir()
    (state_dir / "state.json").write_text(
        '{"in_progress": {"gone": {"trigger": "idle", "started_at": "2026-01-05T21:00:00+00:00"}}}'
    )
    config = tmp_path / "kioskguard.toml"
    config.write_text(
        f'[general]\nstate_dir = "{state_dir}"\n[idle]\nenabled = false\n'
        "[metrics]\nenabled = false\n"
    )
    console = tmp_path / "console.log"
    with open(console, "wb") as stderr:
        status = os.fstat(stderr.fileno())
        environment = {key: value for key, value in os.environ.items() if key != "JOURNAL_STREAM"}
        if journal:
            environment["JOURNAL_STREAM"] = f"{status.st_dev}:{status.st_ino}"
        process = subprocess.Popen(
            [sys.executable, "-m", "agent", "run", "--config", str(config)],
            cwd=REPOSITORY,
            env=environment,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=stderr,
        )
        try:
            _wait_for(console, "profile(s) guarded", process)
            config.write_text(config.read_text() + "[check]\nprobe_interval_s = 60\n")
            process.send_signal(signal.SIGHUP)
            _wait_for(console, "reload: configuration applied", process)
            config.write_text(config.read_text() + "[bogus]\n")
            process.send_signal(signal.SIGHUP)
            _wait_for(console, "reload failed", process)
            process.send_signal(signal.SIGTERM)
            assert process.wait(timeout=60) == 0
        finally:
            if process.poll() is None:
                process.kill()
                process.wait()
    return console.read_text(encoding="utf-8").splitlines()


def _wait_for(console: Path, text: str, process: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 60
    while text not in console.read_text(encoding="utf-8"):
        if process.poll() is not None or time.monotonic() > deadline:
            pytest.fail(f"no {text!r} in the daemon's console:\n{console.read_text()}")
        time.sleep(0.1)


def test_under_journald_every_line_carries_its_priority_and_no_timestamp(tmp_path: Path) -> None:
    lines = _run_daemon(tmp_path, journal=True)
    parsed = [PRIORITY_LINE.match(line) for line in lines]
    assert all(parsed), f"lines without a <N> prefix: {lines}"
    priorities = [(int(match.group(1)), match.group(3)) for match in parsed if match]
    assert (4, "started after an unclean stop: 1 logout(s) left unfinished (gone)") in priorities
    assert (6, "kioskguard runs: 1 profile(s) guarded") in priorities
    assert (6, "reload: configuration applied") in priorities
    assert (3, "reload failed; the running configuration stays:") in priorities
    # the error's second line (the file and field) keeps the error's priority
    assert any(line.startswith(f"<3>{tmp_path}") for line in lines)
    assert not any(re.search(r"\d{4}-\d\d-\d\d \d\d:\d\d", line) for line in lines)


def test_without_journald_lines_keep_their_timestamp_and_no_priority(tmp_path: Path) -> None:
    lines = _run_daemon(tmp_path, journal=False)
    assert not any(line.startswith("<") for line in lines)
    stamped = [match.groups() for match in map(TIMESTAMPED_LINE.match, lines) if match]
    assert ("WARNING", "started after an unclean stop: 1 logout(s) left unfinished (gone)") in (
        stamped
    )
    assert ("INFO", "kioskguard runs: 1 profile(s) guarded") in stamped
