"""SIGUSR1: a status dump to the log, for an admin who asks a running guard what it knows.

One line per guarded profile (linked state from the last check, browser running, logout
running, its last outcome, its guard lock), then the state of the audit file and state.json.
The last outcomes come from StatusBoard, an outcome hook.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from loguru import logger

from agent.audit import held_lines
from agent.browser.profile_guard import ProfileGuards
from agent.daemon.daemon import Daemon
from agent.daemon.metrics import Metrics
from agent.daemon.state import StateFile
from agent.outcome import Outcome
from agent.settings import ProfileSettings

LINKED_WORDS = {1.0: "linked", 0.0: "not linked", -1.0: "unknown"}


@dataclass
class StatusBoard:
    """Remembers each profile's last outcome, and writes the dump."""

    guards: ProfileGuards
    state: StateFile
    metrics: Metrics | None = None
    daemon: Daemon | None = None
    last: dict[str, Outcome] = field(default_factory=dict)

    def __call__(self, outcome: Outcome) -> None:
        self.last[outcome.profile] = outcome

    def dump(self) -> None:
        """Log the status lines (see the module)."""
        daemon = self.daemon
        if daemon is None:
            logger.info("status: between two configurations (a reload is under way)")
            return
        logger.info("status: guarding {} profile(s)", len(daemon.profiles))
        for profile in daemon.profiles:
            logger.info("status: {}: {}", profile.name, "; ".join(self._profile_parts(profile)))
        held = len(held_lines())
        logger.info(
            "status: audit log: {}; state.json: {}",
            f"{held} line(s) held in memory (disk full?)" if held else "written",
            "changes held in memory (disk full?)" if self.state.unwritten else "written",
        )

    def _profile_parts(self, profile: ProfileSettings) -> list[str]:
        assert self.daemon is not None
        name = profile.name
        linked = None
        if self.metrics is not None:
            linked = self.metrics.registry.get_sample_value(
                "kioskguard_profile_linked", {"profile": name}
            )
        running = self.daemon._browser_running.get(name)  # the browser watch's last reading
        parts = [
            f"last check {LINKED_WORDS.get(linked, 'not checked') if linked is not None else '-'}",
            f"browser {'running' if running else 'not running' if running is False else '?'}",
            f"logout {'running' if self.daemon.coordinator.busy(name) else 'not running'}",
        ]
        outcome = self.last.get(name)
        if outcome is not None:
            verified = ", verified" if outcome.verified else ""
            parts.append(f"last outcome {outcome.result.value} ({outcome.trigger.value}{verified})")
        else:
            parts.append("no outcome since start")
        parts.append(f"guard lock {self.guards.guard_state(str(profile.user_data_dir))}")
        return parts
