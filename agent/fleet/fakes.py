"""An MQTT broker in memory, for unit tests of the fleet's logic (the real one: LocalBroker).

    broker = FakeBroker()
    link = FleetLink(settings, connect=broker.make_client)
    broker.refused["kioskguard/v1/lib/k1/events"] = 135   # as an ACL would answer
    broker.drop(); broker.up = False                      # the broker goes away

Its clients satisfy agent/fleet/ports.py MqttClient and raise what the real one raises
(BrokerError, Refused). Modelled: topic filters with + and #, retained messages (an empty
one deletes), live delivery to every matching subscriber, the last will when the broker drops
a client, refusal by reason code. Not modelled: persistent sessions (nothing is queued for a
client that is away), queue limits, ACLs beyond the refused table.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from types import TracebackType
from typing import TYPE_CHECKING

from agent.fleet.connection import BrokerError, Refused
from agent.fleet.ports import ClientFactory, Incoming, Will
from agent.settings import FleetSettings

NO_MATCHING_SUBSCRIBERS = 16


def topic_matches(pattern: str, topic: str) -> bool:
    """Given an MQTT topic filter and a topic, return whether the filter matches it."""
    parts, levels = pattern.split("/"), topic.split("/")
    for index, part in enumerate(parts):
        if part == "#":
            return True
        if index >= len(levels) or part not in ("+", levels[index]):
            return False
    return len(parts) == len(levels)


class FakeBroker:
    """Routes messages between its clients; up, refused and drop() stage the failures."""

    def __init__(self) -> None:
        self.up = True
        self.refused: dict[str, int] = {}  # topic filter -> failure reason code (135 ...)
        self.retained: dict[str, bytes] = {}
        self.published: list[Incoming] = []  # every message taken, in order
        self.connections = 0  # connects that succeeded
        self.clients: list[FakeClient] = []  # connected now

    def make_client(
        self,
        settings: FleetSettings,
        client_id: str,
        *,
        username: str | None,
        persistent: bool,
        will: Will | None = None,
    ) -> FakeClient:
        """Return an unconnected client of this broker (make_client's signature)."""
        return FakeClient(self, client_id, will)

    def drop(self) -> None:
        """Break every connection, as a broker that stops would: each client's messages()
        raises BrokerError, and the broker publishes each client's last will."""
        for client in list(self.clients):
            client.lost()
            if client.will is not None:
                self.route(Incoming(client.will.topic, client.will.payload, True))

    def route(self, message: Incoming) -> int:
        """Take a message: keep it if retained, deliver it to every matching subscriber;
        return the PUBACK reason code (0, or 16 when nobody subscribes)."""
        self.published.append(message)
        if message.retain and message.payload:
            self.retained[message.topic] = message.payload
        elif message.retain:
            self.retained.pop(message.topic, None)
        live = Incoming(message.topic, message.payload, False)
        readers = [client for client in self.clients if client.subscribed(message.topic)]
        for client in readers:
            client.deliver(live)
        return 0 if readers else NO_MATCHING_SUBSCRIBERS


class FakeClient:
    """One connection to a FakeBroker (agent/fleet/ports.py MqttClient)."""

    def __init__(self, broker: FakeBroker, client_id: str, will: Will | None) -> None:
        self.broker = broker
        self.client_id = client_id
        self.will = will
        self.connected = False
        self.subscriptions: set[str] = set()
        self._inbox: asyncio.Queue[Incoming | BrokerError] = asyncio.Queue()

    async def __aenter__(self) -> FakeClient:
        """Connect. Raise BrokerError while the broker is down."""
        if not self.broker.up:
            raise BrokerError("[code:111] Connection refused")
        self.connected = True
        self.broker.connections += 1
        self.broker.clients.append(self)
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        """Disconnect (no will)."""
        if self.connected:
            self.connected = False
            self.broker.clients.remove(self)

    async def subscribe(self, topic: str) -> None:
        """Subscribe; the retained messages the filter matches arrive first."""
        self._check()
        self.subscriptions.add(topic)
        for name, payload in self.broker.retained.items():
            if topic_matches(topic, name):
                self.deliver(Incoming(name, payload, True))

    async def unsubscribe(self, topic: str) -> None:
        """Drop a subscription."""
        self._check()
        self.subscriptions.discard(topic)

    async def publish(
        self, topic: str, payload: bytes, *, retain: bool = False, timeout_s: float = 30.0
    ) -> int:
        """Publish; return the reason code. Raise Refused for a topic in broker.refused,
        BrokerError when not connected."""
        self._check()
        await asyncio.sleep(0)  # the round trip to the broker: others run meanwhile
        self._check()
        for pattern, code in self.broker.refused.items():
            if topic_matches(pattern, topic):
                raise Refused(topic, code, "Not authorized" if code == 135 else "Refused")
        return self.broker.route(Incoming(topic, payload, retain))

    def messages(self) -> AsyncIterator[Incoming]:
        """Return the iterator of the messages delivered to this client."""
        return _Inbox(self._inbox)

    def subscribed(self, topic: str) -> bool:
        """Return whether a subscription of this client matches topic."""
        return any(topic_matches(pattern, topic) for pattern in self.subscriptions)

    def deliver(self, message: Incoming) -> None:
        """Hand the client one message (the broker's side)."""
        self._inbox.put_nowait(message)

    def lost(self) -> None:
        """The connection breaks (the broker's side)."""
        if self.connected:
            self.connected = False
            self.broker.clients.remove(self)
        self._inbox.put_nowait(BrokerError("Disconnected during message iteration"))

    def _check(self) -> None:
        if not self.connected:
            raise BrokerError("The client is not currently connected.")


class _Inbox:
    """A client's received messages; raises the BrokerError of a lost connection."""

    def __init__(self, queue: asyncio.Queue[Incoming | BrokerError]) -> None:
        self._queue = queue

    def __aiter__(self) -> _Inbox:
        return self

    async def __anext__(self) -> Incoming:
        item = await self._queue.get()
        if isinstance(item, BrokerError):
            raise item
        return item


if TYPE_CHECKING:  # mypy: the fake is a ClientFactory of MqttClients, like make_client
    _FACTORY: ClientFactory = FakeBroker().make_client
