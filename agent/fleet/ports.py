"""The fleet's seams: the daemon and the metrics the kiosk's link reports to, and the MQTT
client every part of the fleet talks through.

The fleet sits beside the daemon and never imports it: agent/daemon/daemon.py Daemon
satisfies FleetDaemon and agent/daemon/metrics.py FleetMetrics satisfies FleetMetricsSink
(both checked by mypy where agent/daemon/command.py hands them to the link). The tests run
the real Daemon on the daemon's FakeSessionAgent.

MqttClient: agent/fleet/connection.py (aiomqtt, the real broker) and agent/fleet/fakes.py
(FakeBroker, in memory, for unit tests of logic). Both raise only FleetError subclasses:
BrokerError when the connection fails or breaks, Refused when the broker refuses a message.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from types import TracebackType
from typing import Protocol

from agent.outcome import Linked, Outcome, Trigger
from agent.settings import FleetSettings, ProfileSettings


@dataclass(frozen=True)
class Will:
    """The message the broker publishes for us if we vanish without saying goodbye."""

    topic: str
    payload: bytes


@dataclass(frozen=True)
class Incoming:
    """A received message: its topic, payload and whether it was retained."""

    topic: str
    payload: bytes
    retain: bool


class MqttClient(Protocol):
    """One MQTT 5 connection; ``async with`` connects it. Every message is QoS 1."""

    async def __aenter__(self) -> MqttClient:
        """Connect. Raise BrokerError if the broker cannot be reached or refuses us."""
        ...

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        """Disconnect (the will is not published)."""
        ...

    async def subscribe(self, topic: str) -> None:
        """Subscribe to a topic filter. Raise BrokerError if the connection broke."""
        ...

    async def unsubscribe(self, topic: str) -> None:
        """Drop a subscription. Raise BrokerError if the connection broke."""
        ...

    async def publish(
        self, topic: str, payload: bytes, *, retain: bool = False, timeout_s: float = 30.0
    ) -> int:
        """Publish and wait for the broker's PUBACK; return its reason code (0 or 16).

        Raise Refused if the reason code is a failure (135: the ACL dropped it), BrokerError
        if the connection broke or no PUBACK came within timeout_s.
        """
        ...

    def messages(self) -> AsyncIterator[Incoming]:
        """Return the iterator of every message received; waiting on one may be cancelled.
        It raises BrokerError when the connection breaks."""
        ...


class ClientFactory(Protocol):
    """Makes an unconnected MqttClient (agent/fleet/connection.py make_client)."""

    def __call__(
        self,
        settings: FleetSettings,
        client_id: str,
        *,
        username: str | None,
        persistent: bool,
        will: Will | None = None,
    ) -> MqttClient:
        """Return a client; persistent: the broker keeps its session and queued messages."""
        ...


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
