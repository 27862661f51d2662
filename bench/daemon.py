"""A real `kioskguard run` subprocess for the bench figures: its console log in a file, waits on
that log, and a SIGTERM stop (bench does not import tests: this is bench's own wrapper)."""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from collections.abc import Callable, Mapping
from pathlib import Path


def wait_for(condition: Callable[[], object], what: str, timeout_s: float, poll_s: float) -> None:
    """Poll condition every poll_s until it is truthy. Raise RuntimeError naming what if it is
    not within timeout_s."""
    deadline = time.monotonic() + timeout_s
    while not condition():
        if time.monotonic() > deadline:
            raise RuntimeError(f"timed out waiting for {what}")
        time.sleep(poll_s)


class DaemonProcess:
    """`kioskguard run --config config` started in cwd, its output (stdout and stderr) in
    log_path (appended to with append=True, else truncated); stop waits stop_s for the exit."""

    def __init__(
        self,
        config: Path,
        log_path: Path,
        cwd: Path,
        env: Mapping[str, str] | None = None,
        append: bool = False,
        stop_s: float = 30.0,
    ) -> None:
        self.log_path, self.stop_s = log_path, stop_s
        self._log = open(log_path, "ab" if append else "wb")  # noqa: SIM115 (closed in stop)
        self.process = subprocess.Popen(
            [sys.executable, "-m", "agent", "run", "--config", str(config)],
            cwd=cwd,
            env=dict(env) if env is not None else None,
            stdin=subprocess.DEVNULL,
            stdout=self._log,
            stderr=subprocess.STDOUT,
        )

    def log(self) -> str:
        return self.log_path.read_text(encoding="utf-8", errors="replace")

    def wait_for_output(
        self, seen: Callable[[str], bool], what: str, timeout_s: float, poll_s: float
    ) -> None:
        """Wait until seen(log) is true. Raise RuntimeError (with the log) if the daemon exits
        first, or naming what if it is not within timeout_s."""

        def logged() -> bool:
            if self.process.poll() is not None:
                raise RuntimeError(f"the daemon exited {self.process.returncode}:\n{self.log()}")
            return seen(self.log())

        wait_for(logged, what, timeout_s, poll_s)

    def stop(self) -> None:
        """SIGTERM, then SIGKILL if it has not exited within stop_s; close the log."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=self.stop_s)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self._log.close()
