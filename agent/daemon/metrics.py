"""Prometheus metrics of the daemon: served on a loopback port or written as a textfile.

The registry is the daemon's own (not the process-global one), so tests and several daemons
in one process never collide.
"""

from __future__ import annotations

import platform
from collections.abc import Sequence
from pathlib import Path

from loguru import logger
from prometheus_client import (
    PLATFORM_COLLECTOR,
    CollectorRegistry,
    Counter,
    Gauge,
    ProcessCollector,
    start_http_server,
)
from prometheus_client import write_to_textfile as _write_to_textfile

from agent import __version__
from agent.errors import ConfigError
from agent.outcome import Linked, Outcome, ProbeResult, Result, Trigger
from agent.settings import MetricsSettings

HOW_VALUES = ("ui:menu", "ui:settings", "ui:list", "ui:conflict", "client_function", "wipe")


def how_label(how: str) -> str:
    """Given an outcome's how, return the metrics label: a known value, else "none"."""
    return how if how in HOW_VALUES else "none"


class Metrics:
    """Counters and gauges the daemon updates as it works."""

    def __init__(self, textfile: Path | None = None, profiles: Sequence[str] = ()) -> None:
        """Build the metrics; with a textfile, rewrite it after every update.

        Every series exists from start-up (logouts at 0 for each result and trigger with how
        "none", each profile's linked gauge at -1 = not checked yet), so rate() and alerts see
        them.
        """
        self.textfile = textfile
        self.registry = CollectorRegistry()
        ProcessCollector(registry=self.registry)  # CPU, memory, open files, start time
        self.registry.register(PLATFORM_COLLECTOR)  # python_info
        self.build_info = Gauge(
            "kioskguard_build_info",
            "Always 1; the labels tell the kioskguard and Python versions.",
            ["version", "python"],
            registry=self.registry,
        )
        self.build_info.labels(version=__version__, python=platform.python_version()).set(1)
        self.profile_linked = Gauge(
            "kioskguard_profile_linked",
            "1 if the profile holds a linked session, 0 if not, -1 unknown or not checked yet.",
            ["profile"],
            registry=self.registry,
        )
        for name in profiles:
            self.profile_linked.labels(profile=name).set(-1)
        self.last_closing_time = Gauge(
            "kioskguard_last_closing_time_timestamp_seconds",
            "Unix time of the last closing-time logout run (0: none since start-up).",
            registry=self.registry,
        )
        self.logouts = Counter(
            "kioskguard_logouts",
            "Logouts, by result, trigger and the path that did it (how: ui:menu, ui:settings,"
            " ui:list, ui:conflict, client_function, wipe, none).",
            ["result", "trigger", "how"],
            registry=self.registry,
        )
        self.last_logout_duration = Gauge(
            "kioskguard_last_logout_duration_seconds",
            "Duration of the profile's last logout.",
            ["profile"],
            registry=self.registry,
        )
        self.linked_profiles = Gauge(
            "kioskguard_linked_profiles",
            "Profiles whose last check found a linked session.",
            registry=self.registry,
        )
        self.audit_write_errors = Counter(
            "kioskguard_audit_write_errors",
            "Audit lines that could not be written (disk full, permissions); the logout ran.",
            registry=self.registry,
        )
        self.unguarded_age = Gauge(
            "kioskguard_unguarded_session_age_seconds",
            "Age of the oldest session stored with no browser running (0: none), counted from"
            " when the daemon first saw it; the state rule logs such a session out at once.",
            registry=self.registry,
        )
        self.serving: str | None = None  # HOST:PORT once serve() listens
        self.last_check = Gauge(
            "kioskguard_last_check_timestamp_seconds",
            "Unix time of the last linked check.",
            registry=self.registry,
        )
        for result in Result:
            for trigger in Trigger:
                self.logouts.labels(result=result.value, trigger=trigger.value, how="none")
        self.last_check.set(0)
        self.last_closing_time.set(0)

    def record_outcome(self, outcome: Outcome) -> None:
        """Count one logout outcome."""
        self.logouts.labels(
            result=outcome.result.value, trigger=outcome.trigger.value, how=how_label(outcome.how)
        ).inc()
        if outcome.result is not Result.FAILED:
            self.profile_linked.labels(profile=outcome.profile).set(0)
        self.last_logout_duration.labels(profile=outcome.profile).set(outcome.duration_ms / 1000)
        self._publish()

    def record_unguarded_age(self, seconds: float) -> None:
        """Set the age of the oldest session stored with no browser running (0: none)."""
        self.unguarded_age.set(seconds)
        self._publish()

    def record_audit_error(self) -> None:
        """Count one audit line that could not be written."""
        self.audit_write_errors.inc()
        self._publish()

    def reconfigure(self, settings: MetricsSettings) -> None:
        """Apply reloaded metrics settings: the textfile at once; a listen address change
        needs a restart (the port stays open)."""
        self.textfile = settings.textfile if settings.enabled else None
        wanted = settings.listen if settings.enabled and settings.textfile is None else None
        if wanted is not None and self.serving is None:
            self.serve(settings)
        elif wanted != self.serving:
            logger.warning("metrics: the endpoint changes only when the service restarts")
        self._publish()

    def record_check(self, linked_count: int, timestamp: float) -> None:
        """Record a finished linked check."""
        self.linked_profiles.set(linked_count)
        self.last_check.set(timestamp)
        self._publish()

    def record_profiles(self, results: Sequence[ProbeResult], names: Sequence[str]) -> None:
        """Set each profile's linked gauge from its check (names: the configured profiles)."""
        value = {Linked.LINKED: 1, Linked.NOT_LINKED: 0, Linked.UNKNOWN: -1}
        for name, result in zip(names, results, strict=True):
            self.profile_linked.labels(profile=name).set(value[result.linked])
        self._publish()

    def record_closing_time(self, timestamp: float) -> None:
        """Record that the closing-time logout ran."""
        self.last_closing_time.set(timestamp)
        self._publish()

    def _publish(self) -> None:
        if self.textfile is not None:
            try:
                self.write_textfile(self.textfile)
            except OSError as exc:  # metrics must never stop a logout
                logger.warning("metrics textfile {}: {}", self.textfile, exc)

    def write_textfile(self, path: Path) -> None:
        """Write the metrics to path atomically (temporary file, then rename)."""
        path.parent.mkdir(parents=True, exist_ok=True)
        _write_to_textfile(str(path), self.registry)

    def serve(self, settings: MetricsSettings) -> None:
        """Serve the metrics over HTTP on the configured loopback address.

        Raise ConfigError if the port cannot be bound.
        """
        try:
            start_http_server(settings.port, addr=settings.host, registry=self.registry)
        except OSError as exc:
            raise ConfigError(f"metrics.listen {settings.listen}: cannot listen: {exc}") from exc
        self.serving = settings.listen
