"""`kioskguard run` under the two Windows conditions that stopped it, emulated on Linux.

python.exe: the Proactor loop has no add_signal_handler (NotImplementedError); pythonw.exe:
sys.stderr and sys.stdout are None. Each runner below recreates one condition in a real
process, then the daemon must start, answer SIGTERM (standing in for Ctrl-C / Ctrl-Break)
and exit 0. Not verified here: a real Windows Proactor loop and a real pythonw.exe.
"""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from agent.platform.signals import install_handlers

REPOSITORY = Path(__file__).resolve().parents[2]
NO_SIGNAL_LOOP = """
import asyncio, sys
from agent.cli import main

class ProactorLike(asyncio.SelectorEventLoop):
    def add_signal_handler(self, *arguments):
        raise NotImplementedError
    def remove_signal_handler(self, *arguments):
        raise NotImplementedError

class Policy(asyncio.DefaultEventLoopPolicy):
    def new_event_loop(self):
        return ProactorLike()

asyncio.set_event_loop_policy(Policy())
sys.exit(main(sys.argv[1:]))
"""
NO_CONSOLE = """
import sys
sys.stdout = sys.stderr = None  # what pythonw.exe gives a script
from agent.cli import main
code = main(sys.argv[1:])
sys.exit(code)
"""


def config_file(tmp_path: Path) -> Path:
    path = tmp_path / "kioskguard.toml"
    path.write_text(
        f'[general]\nstate_dir = "{tmp_path / "state"}"\n'
        "[idle]\nenabled = false\n"
        "[events]\non_shutdown = false\non_sleep = false\non_logoff = false\n",
        encoding="utf-8",
    )
    return path


def run_until_ready(runner: str, tmp_path: Path, ready: Path) -> tuple[int, str]:
    """Start the runner on a config, wait until `ready` shows the daemon runs, SIGTERM it."""
    log = tmp_path / "console.log"
    with open(log, "wb") as output:
        process = subprocess.Popen(
            [sys.executable, "-c", runner, "run", "--config", str(config_file(tmp_path))],
            cwd=REPOSITORY,
            stdin=subprocess.DEVNULL,
            stdout=output,
            stderr=subprocess.STDOUT,
        )
        try:
            deadline = time.monotonic() + 60
            while not (ready.exists() and "kioskguard runs" in ready.read_text()):
                if process.poll() is not None or time.monotonic() > deadline:
                    pytest.fail(f"daemon exited {process.poll()}: {log.read_text()}")
                time.sleep(0.1)
            process.send_signal(signal.SIGTERM)
            code = process.wait(timeout=60)
        finally:
            if process.poll() is None:
                process.kill()
                process.wait()
    return code, log.read_text(encoding="utf-8", errors="replace")


def test_run_answers_sigterm_on_a_loop_without_signal_support(tmp_path: Path) -> None:
    code, console = run_until_ready(NO_SIGNAL_LOOP, tmp_path, tmp_path / "console.log")
    assert code == 0, console
    assert "stopping: logging out linked profiles (signal)" in console
    assert "Traceback" not in console and "NotImplementedError" not in console


def test_run_without_a_console_logs_to_a_file_and_stops_cleanly(tmp_path: Path) -> None:
    log_file = tmp_path / "state" / "kioskguard.log"
    code, console = run_until_ready(NO_CONSOLE, tmp_path, log_file)
    assert code == 0, console
    assert console == ""  # nothing may be written to the missing console
    assert "stopping: logging out linked profiles (signal)" in log_file.read_text()


def test_signal_fallback_hands_the_callback_to_the_loop() -> None:
    class ProactorLike(asyncio.SelectorEventLoop):
        def add_signal_handler(self, *arguments: object) -> None:
            raise NotImplementedError

    loop = ProactorLike()
    calls: list[str] = []

    async def wait_for_the_call() -> None:
        remove = install_handlers({"SIGUSR1": lambda: calls.append("stop")}, loop=loop)
        assert signal.getsignal(signal.SIGUSR1) not in (signal.SIG_DFL, signal.SIG_IGN)
        os.kill(os.getpid(), signal.SIGUSR1)
        async with asyncio.timeout(10):
            while not calls:
                await asyncio.sleep(0.01)
        remove()

    try:
        loop.run_until_complete(wait_for_the_call())
    finally:
        loop.close()
    assert calls == ["stop"] and signal.getsignal(signal.SIGUSR1) == signal.SIG_DFL
