"""The fleet's seams: what the kiosk's link needs from the daemon and from the metrics.

The fleet sits beside the daemon and never imports it: agent/daemon/daemon.py Daemon
satisfies FleetDaemon and agent/daemon/metrics.py FleetMetrics satisfies FleetMetricsSink
(both checked by mypy where agent/daemon/command.py hands them to the link). The tests run
the real Daemon on the daemon's FakeSessionAgent.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from agent.outcome import Linked, Outcome, Trigger
from agent.settings import ProfileSettings


class BusyProfiles(Protocol):
    """Which profiles are being logged out (the daemon's LogoutCoordinator)."""

    def busy(self, profile_name: str) -> bool:
        """Return True while the profile's logout runs."""
        ...


class FleetDaemon(Protocol):
    """The daemon, as the fleet link drives it."""

    profiles: list[ProfileSettings]

    @property
    def coordinator(self) -> BusyProfiles:
        """Return what says which profiles are being logged out."""
        ...

    async def logout_linked(
        self, trigger: Trigger, profiles: Sequence[ProfileSettings] | None = None
    ) -> list[Outcome]:
        """Log out the profiles (all when None) that hold a session; return the outcomes."""
        ...

    async def linked_now(self, profile: ProfileSettings) -> Linked:
        """Return whether the profile holds a session now."""
        ...


class FleetMetricsSink(Protocol):
    """What the link reports to Prometheus."""

    def set_connected(self, connected: bool) -> None: ...

    def set_outbox(self, events: int, oldest_age_s: float) -> None: ...

    def count_refused(self) -> None: ...
