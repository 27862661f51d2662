"""Prometheus metrics of the daemon: served on a loopback port or written as a textfile.

The registry is the daemon's own (not the process-global one), so tests and several daemons
in one process never collide.
"""

from __future__ import annotations

import platform
from collections.abc import Callable, Sequence
from pathlib import Path

from loguru import logger
from prometheus_client import (
    PLATFORM_COLLECTOR,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    ProcessCollector,
    start_http_server,
)
from prometheus_client import write_to_textfile as _write_to_textfile

from agent import __version__
from agent.daemon.guard_gap import CAUSES as GAP_CAUSES
from agent.errors import ConfigError
from agent.outcome import Linked, Outcome, ProbeResult, Result, Trigger
from agent.settings import MetricsSettings

LOGOUT_BUCKETS_S = (0.5, 1, 2, 5, 10, 20, 30, 60, 120, 300)
HOW_VALUES = ("ui:menu", "ui:settings", "ui:list", "ui:conflict", "client_function", "wipe")


def how_label(how: str) -> str:
    """Given an outcome's how, return the metrics label: a known value, else "none"."""
    return how if how in HOW_VALUES else "none"


class Metrics:
    """Counters and gauges the daemon updates as it works."""

    def __init__(self, textfile: Path | None = None, profiles: Sequence[str] = ()) -> None:
        """Build the metrics; with a textfile, rewrite it after every update.

        Every series exists from start-up (logouts at 0 for each result, trigger and how, the
        duration histogram for each result, each profile's linked gauge at -1 = not checked
        yet), so increase() and alerts see the very first event.
        """
        self.textfile = textfile
        # kioskguard's own series: all the textfile holds (node_exporter's textfile collector
        # already exports process_* and python_* of its own: twice is an error on each scrape)
        self.registry = CollectorRegistry()
        # what the HTTP endpoint serves: the same series, plus this process's
        self.http_registry = CollectorRegistry()
        self.http_registry.register(self.registry)
        ProcessCollector(registry=self.http_registry)  # CPU, memory, open files, start time
        self.http_registry.register(PLATFORM_COLLECTOR)  # python_info
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
        self.logout_duration = Histogram(
            "kioskguard_logout_duration_seconds",
            "Duration of each logout, by result.",
            ["result"],
            buckets=LOGOUT_BUCKETS_S,
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
        self.audit_reopened = Counter(
            "kioskguard_audit_reopened",
            "Times the audit file was found deleted or replaced under the daemon and reopened.",
            registry=self.registry,
        )
        self.audit_dropped = Counter(
            "kioskguard_audit_dropped_lines",
            "Audit lines dropped from memory: more than 1000 waited for a full disk.",
            registry=self.registry,
        )
        self.audit_held = Gauge(
            "kioskguard_audit_held_lines",
            "Audit lines held in memory until the audit file takes them (disk full).",
            registry=self.registry,
        )
        self.state_write_errors = Counter(
            "kioskguard_state_write_errors",
            "Changes of state.json the disk did not take (held in memory, retried).",
            registry=self.registry,
        )
        self.unguarded_age = Gauge(
            "kioskguard_unguarded_session_age_seconds",
            "Age of the oldest session stored with no browser running (0: none), counted from"
            " when the daemon first saw it; the state rule logs such a session out at once.",
            registry=self.registry,
        )
        self.guard_gaps = Counter(
            "kioskguard_guard_gaps",
            "Gaps the guard was not running, found at this start (0 or 1 per process), by"
            " cause: killed, stopped, power_loss_or_crash, shutdown.",
            ["cause"],
            registry=self.registry,
        )
        for cause in GAP_CAUSES:
            self.guard_gaps.labels(cause=cause)
        self.last_gap = Gauge(
            "kioskguard_last_guard_gap_seconds",
            "Seconds the guard was not running before this start (0: no gap known).",
            registry=self.registry,
        )
        self.last_gap_end = Gauge(
            "kioskguard_last_guard_gap_timestamp_seconds",
            "Unix time the last gap ended (this start; 0: no gap known).",
            registry=self.registry,
        )
        self.serving: str | None = None  # HOST:PORT once serve() listens
        self._fleet: FleetMetrics | None = None
        self.last_check = Gauge(
            "kioskguard_last_check_timestamp_seconds",
            "Unix time of the last linked check.",
            registry=self.registry,
        )
        for result in Result:  # every combination record_outcome can make, at 0: the first
            self.logout_duration.labels(result=result.value)  # increase() sees it
            for trigger in Trigger:
                for how in (*HOW_VALUES, "none"):
                    self.logouts.labels(result=result.value, trigger=trigger.value, how=how)
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
        self.logout_duration.labels(result=outcome.result.value).observe(outcome.duration_ms / 1000)
        self._publish()

    def fleet(self) -> FleetMetrics:
        """Return the fleet link's series, created (at 0) on the first call."""
        if self._fleet is None:
            self._fleet = FleetMetrics(self.registry, self._publish)
        return self._fleet

    def record_unguarded_age(self, seconds: float) -> None:
        """Set the age of the oldest session stored with no browser running (0: none)."""
        self.unguarded_age.set(seconds)
        self._publish()

    def record_guard_gap(self, cause: str, seconds: float, ended_at: float) -> None:
        """Count the gap found at start (agent/daemon/guard_gap.py) and set its gauges."""
        self.guard_gaps.labels(cause=cause).inc()
        self.last_gap.set(seconds)
        self.last_gap_end.set(ended_at)
        self._publish()

    def record_audit_error(self) -> None:
        """Count one audit line that could not be written."""
        self.audit_write_errors.inc()
        self._publish()

    def record_audit_file(self, *, reopened: int, dropped: int, held: int) -> None:
        """Count audit file reopens and dropped lines (since the last call); set the held."""
        self.audit_reopened.inc(reopened)
        self.audit_dropped.inc(dropped)
        self.audit_held.set(held)
        self._publish()

    def record_state_write_error(self) -> None:
        """Count one change of state.json the disk did not take."""
        self.state_write_errors.inc()
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
            start_http_server(settings.port, addr=settings.host, registry=self.http_registry)
        except OSError as exc:
            raise ConfigError(f"metrics.listen {settings.listen}: cannot listen: {exc}") from exc
        self.serving = settings.listen


class FleetMetrics:
    """The fleet link's series, registered only when [fleet] is enabled (a kiosk without a
    fleet has no broker to be disconnected from)."""

    def __init__(self, registry: CollectorRegistry, publish: Callable[[], None]) -> None:
        """Register the series at 0 on registry; publish() rewrites the textfile."""
        self._publish = publish
        self._outbox = (0.0, 0.0)
        self.connected = Gauge(
            "kioskguard_fleet_broker_connected",
            "1 while the kiosk is connected to the fleet broker, else 0.",
            registry=registry,
        )
        self.outbox_events = Gauge(
            "kioskguard_fleet_outbox_events",
            "Audit events waiting in the outbox for the collector's acknowledgement.",
            registry=registry,
        )
        self.oldest_age = Gauge(
            "kioskguard_fleet_outbox_oldest_age_seconds",
            "Seconds the oldest event in the outbox has waited (0: the outbox is empty).",
            registry=registry,
        )
        self.refused = Counter(
            "kioskguard_fleet_publishes_refused",
            "Publishes the broker refused (MQTT 5 reason code >= 128, e.g. 135 the ACL); the"
            " events stay in the outbox.",
            registry=registry,
        )

    def set_connected(self, connected: bool) -> None:
        """Record whether the broker connection is up."""
        self.connected.set(1 if connected else 0)
        self._publish()

    def set_outbox(self, events: int, oldest_age_s: float) -> None:
        """Record the outbox's depth and the age of its oldest event (whole seconds; the
        textfile is rewritten only when one changed)."""
        now = (float(events), float(round(oldest_age_s)))
        if now != self._outbox:
            self._outbox = now
            self.outbox_events.set(now[0])
            self.oldest_age.set(now[1])
            self._publish()

    def count_refused(self) -> None:
        """Count one publish the broker refused."""
        self.refused.inc()
        self._publish()
