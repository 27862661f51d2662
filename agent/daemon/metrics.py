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


class Metrics:
    """Counters and gauges the daemon updates as it works."""

    def __init__(self, textfile: Path | None = None) -> None:
        """Build the metrics; with a textfile, rewrite it after every update."""
        self.textfile = textfile
        self.registry = CollectorRegistry()
        self.logouts = Counter(
            "kioskguard_logouts",
            "Logouts, by result and trigger.",
            ["result", "trigger"],
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
        self.serving: str | None = None  # HOST:PORT once serve() listens
        self.last_check = Gauge(
            "kioskguard_last_check_timestamp_seconds",
            "Unix time of the last linked check.",
            registry=self.registry,
        )

    def record_outcome(self, outcome: Outcome) -> None:
        """Count one logout outcome."""
        self.logouts.labels(result=outcome.result.value, trigger=outcome.trigger.value).inc()
        self.last_logout_duration.labels(profile=outcome.profile).set(outcome.duration_ms / 1000)
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
