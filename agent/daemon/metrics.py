"""Prometheus metrics of the daemon: served on a loopback port or written as a textfile.

The registry is the daemon's own (not the process-global one), so tests and several daemons
in one process never collide.
"""

from __future__ import annotations

from pathlib import Path

from loguru import logger
from prometheus_client import CollectorRegistry, Counter, Gauge, start_http_server
from prometheus_client import write_to_textfile as _write_to_textfile

from agent.errors import ConfigError
from agent.outcome import Outcome
from agent.settings import MetricsSettings

HOW_VALUES = ("ui:menu", "ui:settings", "ui:list", "ui:conflict", "client_function", "wipe")


def how_label(how: str) -> str:
    """Given an outcome's how, return the metrics label: a known value, else "none"."""
    return how if how in HOW_VALUES else "none"


class Metrics:
    """Counters and gauges the daemon updates as it works."""

    def __init__(self, textfile: Path | None = None) -> None:
        """Build the metrics; with a textfile, rewrite it after every update."""
        self.textfile = textfile
        self.registry = CollectorRegistry()
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
        self.last_check = Gauge(
            "kioskguard_last_check_timestamp_seconds",
            "Unix time of the last linked check.",
            registry=self.registry,
        )

    def record_outcome(self, outcome: Outcome) -> None:
        """Count one logout outcome."""
        self.logouts.labels(
            result=outcome.result.value, trigger=outcome.trigger.value, how=how_label(outcome.how)
        ).inc()
        self.last_logout_duration.labels(profile=outcome.profile).set(outcome.duration_ms / 1000)
        self._publish()

    def record_check(self, linked_count: int, timestamp: float) -> None:
        """Record a finished linked check."""
        self.linked_profiles.set(linked_count)
        self.last_check.set(timestamp)
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
