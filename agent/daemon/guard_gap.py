"""Tamper is visible: how long the guard was not running, and why, told at the next start.

While it runs, the daemon keeps a heartbeat (agent/daemon/heartbeat.py); an orderly stop
records how it stopped. At start the last beat is compared with now and with this boot's id:

- ``killed``: no orderly stop recorded, same boot (SIGKILL, a crash, an OOM kill, the process
  killed through a service manager that does not send SIGTERM first);
- ``power_loss_or_crash``: no orderly stop recorded, and the machine booted since (a power
  cut, a kernel crash, a reset button);
- ``stopped``: an orderly stop (SIGTERM, SIGINT) with no shutdown seen, or a shutdown
  announced after which the machine did not restart (``systemctl stop``, a visitor's
  ``systemctl --user stop``, an admin);
- ``shutdown``: an orderly stop during a system shutdown (logind's PrepareForShutdown, or
  Windows' session end) and the machine booted since: the normal night of a kiosk. Recorded
  too (audit line, metric, fleet event), so every hour without a guard is accounted for; the
  shipped alert ignores it.

Where the OS has no boot id, a missing stop record reads ``killed`` (the detail says the boot
is unknown) and a recorded shutdown is believed. The gap runs from the last beat (or the
recorded stop) to this start, so a kill is measured to within HEARTBEAT_S.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any, Literal, Protocol

from loguru import logger

from agent.daemon.heartbeat import (
    BOOT_ID_PATH,
    HEARTBEAT_S,
    Beat,
    HeartbeatFile,
    StopKind,
    read_boot_id,
)
from agent.errors import KioskguardError
from agent.outcome import Trigger

Cause = Literal["killed", "stopped", "power_loss_or_crash", "shutdown"]
CAUSES: tuple[Cause, ...] = ("killed", "stopped", "power_loss_or_crash", "shutdown")
EXPECTED: frozenset[Cause] = frozenset({"shutdown"})  # the only cause the alert ignores


@dataclass(frozen=True)
class Gap:
    """The guard was not running from ``began`` to ``ended``, for this cause."""

    began: datetime
    ended: datetime
    cause: Cause
    stop_cause: str | None  # what stopped it in order (SIGTERM ...), None if nothing did
    rebooted: bool | None  # None: the boot ids cannot tell

    @property
    def seconds(self) -> float:
        return max(0.0, (self.ended - self.began).total_seconds())

    def message(self) -> str:
        """Return the sentence the log and the audit line say."""
        return (
            f"guard was not running from {self.began.isoformat(timespec='seconds')} to"
            f" {self.ended.isoformat(timespec='seconds')} ({self.seconds:.0f} s, {self.cause})"
        )

    def to_dict(self) -> dict[str, Any]:
        """Return the fields of the audit line and of the fleet's guard_gap event."""
        return {
            "event": "guard_gap",
            "cause": self.cause,
            "from": self.began.isoformat(timespec="milliseconds"),
            "to": self.ended.isoformat(timespec="milliseconds"),
            "seconds": round(self.seconds),
            "stop_cause": self.stop_cause,
            "rebooted": self.rebooted,
            "message": self.message(),
        }


def gap_since(last: Beat | None, now: datetime, boot_id: str | None) -> Gap | None:
    """Given the last beat written (None: first start), now and this boot's id, return the gap
    the guard was not running, None if there is nothing to compare with."""
    if last is None:
        return None
    rebooted = None if last.boot_id is None or boot_id is None else last.boot_id != boot_id
    cause: Cause
    if last.stop == "shutdown" and rebooted is not False:
        cause = "shutdown"
    elif last.stop is not None:
        cause = "stopped"
    elif rebooted:
        cause = "power_loss_or_crash"
    else:
        cause = "killed"
    return Gap(last.at, now, cause, last.stop_cause, rebooted)


def stop_record(
    stop_trigger: Trigger, shutdown_seen: bool, signal: str | None
) -> tuple[StopKind, str]:
    """Given what stopped the daemon (its stop request's trigger, whether the OS announced a
    shutdown, the signal's name if one asked), return the stop record: its kind and cause."""
    if stop_trigger is Trigger.SHUTDOWN:
        return "shutdown", "session end: shutdown"
    if stop_trigger is Trigger.LOGOFF:
        return "stopped", "session end: logoff"
    what = signal or stop_trigger.value
    if shutdown_seen:
        return "shutdown", f"PrepareForShutdown, then {what}"
    return "stopped", what


def tell_gap(
    gap: Gap | None,
    audit: Callable[[dict[str, Any], datetime], object],
    metrics: GapMetrics | None,
    fleet: Callable[[dict[str, Any]], object] | None = None,
) -> None:
    """Tell the gap found at start: the log, one audit line, the metrics and (fleet enabled)
    a guard_gap event. A failing fleet outbox is logged: the audit line is what counts."""
    if gap is None:
        logger.info("guard heartbeat: none found (a first start here): no gap to tell")
        return
    if gap.cause in EXPECTED:
        logger.info("{}", gap.message())
    else:
        logger.warning("{}", gap.message())
    audit(gap.to_dict(), gap.ended)
    if metrics is not None:
        metrics.record_guard_gap(gap.cause, gap.seconds, gap.ended.timestamp())
    if fleet is not None:
        try:
            fleet(gap.to_dict())
        except KioskguardError as exc:
            logger.warning("fleet: the guard gap was not queued: {}", exc)


class GapMetrics(Protocol):
    """What tell_gap reports to (agent.daemon.metrics.Metrics has it)."""

    def record_guard_gap(self, cause: str, seconds: float, ended_at: float) -> None: ...


class GuardTrace:
    """The running daemon's heartbeat, and the gap found at its start."""

    def __init__(
        self,
        state_dir: Path,
        now: Callable[[], datetime],
        boot_id_path: Path = BOOT_ID_PATH,
    ) -> None:
        self.file = HeartbeatFile(state_dir)
        self.now = now
        self.boot_id = read_boot_id(boot_id_path)
        self.stop: tuple[StopKind, str] | None = None

    def start(self) -> Gap | None:
        """Return the gap since the last beat (None on a first start), and beat."""
        gap = gap_since(self.file.read(), self.now(), self.boot_id)
        self.beat()
        return gap

    def beat(self) -> bool:
        """Write that the guard runs now (with the stop, once recorded); False if not written."""
        kind, cause = self.stop if self.stop is not None else (None, None)
        return self.file.write(Beat(self.now(), self.boot_id, os.getpid(), kind, cause))

    def stopped(self, kind: StopKind, cause: str) -> None:
        """Record an orderly stop (logged; a disk that does not take it makes the next start
        read a kill, the safer error)."""
        self.stop = (kind, cause)
        if self.beat():
            logger.info("guard stop recorded: {} ({})", kind, cause)

    async def run(self, sleep: Callable[[float], Any], interval_s: float = HEARTBEAT_S) -> None:
        """Beat every interval_s until cancelled (sleep: the clock's); each write (its fsync)
        in a worker thread, so a slow disk never holds up the event loop."""
        while True:
            await sleep(interval_s)
            await asyncio.to_thread(self.beat)
