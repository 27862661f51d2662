"""The kiosk's link and the collector read time from the injected clock, never the wall."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from agent.daemon.daemon import Daemon
from agent.daemon.fakes import FakeClock, FakeSessionAgent
from agent.fleet.collector import EventStore
from agent.fleet.connection import Incoming
from agent.fleet.kiosk import FleetLink
from agent.fleet.topics import encode, make_command
from agent.settings import Settings

FAR = datetime(2031, 5, 6, 7, 8, 9, tzinfo=UTC)


def kiosk_settings(state: Path) -> Settings:
    return Settings.model_validate(
        {
            "general": {"state_dir": str(state)},
            "idle": {"enabled": False},
            "fleet": {"enabled": True, "site": "lib", "host": "k1", "tls": False},
        }
    )


async def test_the_link_dates_events_and_replies_and_judges_expiry_by_its_clock(
    tmp_path: Path,
) -> None:
    clock = FakeClock(FAR)
    settings = kiosk_settings(tmp_path)
    link = FleetLink(settings, clock=clock)
    link.daemon = Daemon(settings, FakeSessionAgent(), clock, hooks=[link.record_outcome])
    link.emit("command_refused", command_id=None, reason="test")
    assert link.status()["at"] == "2031-05-06T07:08:09.000+00:00"
    clock.advance(30)
    assert link.outbox.oldest_age_s() == 30.0
    command = make_command("ping", "all", 60, issued=FAR)
    reply = await link._carry_out(Incoming("kioskguard/v1/cmd/all", encode(command), False))
    assert reply is not None and reply["result"] == "pong"
    assert reply["at"] == "2031-05-06T07:08:39.000+00:00"
    clock.advance(31)  # 61 s after it was issued: past its 60 s
    late = make_command("ping", "all", 60, issued=FAR)
    reply = await link._carry_out(Incoming("kioskguard/v1/cmd/all", encode(late), False))
    assert reply is not None and reply["result"] == "refused"
    assert reply["reason"].startswith("expired at 2031-05-06T07:09:09")
    events = [row[2] for row in link.outbox.pending()]
    assert b'"at":"2031-05-06T07:08:09.000+00:00"' in events[0]
    await link.close()


def test_the_collector_judges_future_events_by_its_clock(tmp_path: Path) -> None:
    clock = FakeClock(FAR)
    store = EventStore(tmp_path / "events.sqlite3", clock)
    event = {"id": "k1-1", "kind": "command", "site": "lib", "host": "k1", "command_id": "c"}
    soon = event | {"at": (FAR + timedelta(minutes=4)).isoformat()}
    later = event | {"id": "k1-2", "at": (FAR + timedelta(minutes=6)).isoformat()}
    assert store.add_event("lib", "k1", soon)  # within the allowed skew of the collector's now
    assert not store.add_event("lib", "k1", later)
    [rejected] = store.rejected()
    assert rejected["reason"].endswith("is in the future")
    assert rejected["received_at"] == "2031-05-06T07:08:09.000+00:00"
    store.close()
