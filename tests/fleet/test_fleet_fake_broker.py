"""The kiosk's link and the collector on the in-memory broker (agent/fleet/fakes.py): the
logic of announcing, answering, queueing, refusals and reconnecting, without Mosquitto (the
same paths on the real broker: test_fleet_acceptance.py, test_fleet_delivery.py)."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Callable
from datetime import UTC
from pathlib import Path
from typing import Any

import pytest

from agent.daemon.clock import SystemClock
from agent.daemon.daemon import Daemon
from agent.daemon.fakes import FakeSessionAgent
from agent.fleet.collector import EventStore, collect
from agent.fleet.connection import BrokerError
from agent.fleet.fakes import FakeBroker, FakeClient, topic_matches
from agent.fleet.kiosk import FleetLink
from agent.fleet.topics import encode, make_command
from agent.settings import FleetSettings, Settings

PREFIX = "kioskguard/v1/lib/k1"
WAIT_S = 30.0  # generous: the machine may be loaded; the waits end as soon as the state is there


class RecordingMetrics:
    """The link's metrics sink, remembering what it was told."""

    def __init__(self) -> None:
        self.connected: list[bool] = []
        self.refused = 0

    def set_connected(self, connected: bool) -> None:
        self.connected.append(connected)

    def set_outbox(self, events: int, oldest_age_s: float) -> None:
        pass

    def count_refused(self) -> None:
        self.refused += 1


async def eventually(check: Callable[[], Any], what: str) -> Any:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + WAIT_S
    while loop.time() < deadline:
        if value := check():
            return value
        await asyncio.sleep(0.01)
    pytest.fail(f"timed out waiting for {what}")


@pytest.fixture
async def kiosk(
    tmp_path: Path,
) -> AsyncIterator[tuple[FleetLink, FakeBroker, RecordingMetrics, FakeSessionAgent]]:
    """A FleetLink on a real Daemon (faked session layer), connected to a FakeBroker."""
    settings = Settings.model_validate(
        {
            "general": {"state_dir": str(tmp_path)},
            "idle": {"enabled": False},
            "fleet": {"enabled": True, "site": "lib", "host": "k1", "tls": False,
                      "reconnect_s": 0.1},
        }
    )  # fmt: skip
    broker, metrics = FakeBroker(), RecordingMetrics()
    link = FleetLink(settings, metrics, connect=broker.make_client)
    agent = FakeSessionAgent()
    daemon = Daemon(settings, agent, SystemClock(UTC), hooks=[link.record_outcome])
    task = asyncio.create_task(link.run(daemon))
    try:
        yield link, broker, metrics, agent
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
        await link.close()


async def observer(broker: FakeBroker, *filters: str) -> FakeClient:
    client = await broker.make_client(FleetSettings(), "observer", username=None,
                                      persistent=False).__aenter__()  # fmt: skip
    for pattern in filters:
        await client.subscribe(pattern)
    return client


async def next_on(client: FakeClient, topic: str) -> dict[str, Any]:
    async with asyncio.timeout(WAIT_S):
        async for message in client.messages():
            if message.topic == topic:
                return dict(json.loads(message.payload))
    raise AssertionError("the connection ended")


def test_topic_filters_match_as_mqtt_says() -> None:
    assert topic_matches("a/+/c", "a/b/c") and not topic_matches("a/+/c", "a/b/d")
    assert topic_matches("a/#", "a/b/c") and topic_matches("#", "a")
    assert not topic_matches("a/+", "a/b/c") and not topic_matches("a/b/c", "a/b")


async def test_the_link_announces_itself_answers_a_ping_and_forgets_what_was_acknowledged(
    kiosk: tuple[FleetLink, FakeBroker, RecordingMetrics, FakeSessionAgent],
) -> None:
    link, broker, metrics, agent = kiosk
    await eventually(lambda: f"{PREFIX}/status" in broker.retained, "the retained status")
    assert json.loads(broker.retained[f"{PREFIX}/presence"])["online"] is True
    assert metrics.connected[-1] is True
    admin = await observer(broker, f"{PREFIX}/replies", f"{PREFIX}/events")
    await eventually(lambda: "kioskguard/v1/cmd/host/k1" in link_subscriptions(broker), "subs")
    command = make_command("ping", "host:k1", 60)
    await admin.publish("kioskguard/v1/cmd/host/k1", encode(command))
    reply = await next_on(admin, f"{PREFIX}/replies")
    assert (reply["command_id"], reply["result"]) == (command["id"], "pong")
    assert agent.logouts == []
    await eventually(lambda: link.outbox.count() == 2, "the reply and the command event queued")
    stored = [row[0] for row in link.outbox.pending()]
    await admin.publish("kioskguard/v1/ack/lib/k1", encode({"ids": stored}))
    await eventually(lambda: link.outbox.count() == 0, "the acknowledged rows forgotten")


def link_subscriptions(broker: FakeBroker) -> set[str]:
    return {p for c in broker.clients if c.client_id == "kioskguard-k1" for p in c.subscriptions}


async def test_a_refused_event_stays_queued_is_counted_and_shown_until_the_broker_takes_events(
    kiosk: tuple[FleetLink, FakeBroker, RecordingMetrics, FakeSessionAgent],
) -> None:
    link, broker, metrics, _ = kiosk
    broker.refused[f"{PREFIX}/events"] = 135
    await eventually(lambda: broker.connections, "the link to connect")
    first = link.emit("command_refused", command_id=None, reason="refused one")
    await eventually(lambda: link.refusal, "the refusal noted")
    assert "Not authorized (reason code 135)" in link.refusal
    assert metrics.refused >= 1 and link.outbox.count() == 1
    assert link.outbox.refusal() == link.refusal  # kept for `fleet status` on the kiosk
    await eventually(lambda: json.loads(broker.retained[f"{PREFIX}/status"])["refused"], "shown")
    del broker.refused[f"{PREFIX}/events"]
    second = link.emit("command_refused", command_id=None, reason="taken")
    await eventually(lambda: link.refusal is None, "the refusal cleared")
    assert link.outbox.refusal() is None
    events = [json.loads(m.payload)["id"] for m in broker.published if m.topic.endswith("/events")]
    assert second in events and first not in events  # the first waits for ack_timeout_s


async def test_the_link_keeps_trying_while_the_broker_is_away_and_events_wait_on_disk(
    kiosk: tuple[FleetLink, FakeBroker, RecordingMetrics, FakeSessionAgent],
) -> None:
    link, broker, metrics, _ = kiosk
    await eventually(lambda: broker.connections == 1, "the first connection")
    broker.up = False
    broker.drop()
    assert json.loads(broker.retained[f"{PREFIX}/presence"])["online"] is False  # the will
    event = link.emit("command_refused", command_id=None, reason="while away")
    await eventually(lambda: metrics.connected[-1] is False, "the link to see the broker gone")
    await asyncio.sleep(0.3)  # a few reconnect_s pass: each attempt is refused
    assert link.outbox.count() == 1 and broker.connections == 1
    broker.up = True
    await eventually(lambda: broker.connections == 2, "the link to reconnect")
    await eventually(
        lambda: any(m.topic.endswith("/events") and event.encode() in m.payload
                    for m in broker.published),
        "the waiting event published",
    )  # fmt: skip
    assert json.loads(broker.retained[f"{PREFIX}/presence"])["online"] is True


async def test_the_collector_stores_an_event_once_and_acknowledges_it(tmp_path: Path) -> None:
    broker = FakeBroker()
    store = EventStore(tmp_path / "events.sqlite3")
    settings = FleetSettings(username="collector", tls=False, reconnect_s=0.1)
    stop = asyncio.Event()
    task = asyncio.create_task(collect(settings, store, stop, connect=broker.make_client))
    kiosk = await observer(broker, "kioskguard/v1/ack/lib/k1")
    await eventually(lambda: any(c.subscriptions for c in broker.clients if c is not kiosk), "sub")
    event = {"id": "k1-1", "kind": "command_refused", "site": "lib", "host": "k1",
             "at": "2026-01-01T00:00:00.000+00:00", "command_id": None, "reason": "x"}  # fmt: skip
    for _ in range(2):  # the kiosk publishes again until acknowledged: stored once
        await kiosk.publish(f"{PREFIX}/events", encode(event))
        assert await next_on(kiosk, "kioskguard/v1/ack/lib/k1") == {"ids": ["k1-1"]}
    assert [e["id"] for e in store.events()] == ["k1-1"]
    stop.set()
    await task
    store.close()
    broker.drop()
    with pytest.raises(BrokerError):  # the fake fails as the real client does
        await kiosk.publish(f"{PREFIX}/events", encode(event))
