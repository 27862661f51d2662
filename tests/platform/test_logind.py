"""The logind module against a fake org.freedesktop.login1 on a private bus."""

from __future__ import annotations

import asyncio
import os
import select
from collections.abc import AsyncIterator

import pytest
import pytest_asyncio

from agent.errors import PlatformUnavailable
from agent.platform.base import OsEvent
from agent.platform.logind import Logind, LogindEventSource
from tests.platform.dbus_fakes import SESSION_ID, SESSION_PATH, FakeLogind


@pytest_asyncio.fixture
async def logind(fake_logind: FakeLogind, dbus_address: str) -> AsyncIterator[Logind]:
    connection = await Logind.connect(dbus_address, session_id=SESSION_ID)
    yield connection
    connection.close()


@pytest_asyncio.fixture
async def event_source(logind: Logind) -> AsyncIterator[LogindEventSource]:
    source = logind.event_source()
    await source.start()
    yield source
    source.stop()


def pipe_closed_by_peer(read_end: int) -> bool:
    """Return whether every write end of a pipe is closed (reading returns EOF at once)."""
    readable, _, _ = select.select([read_end], [], [], 0)
    return bool(readable) and os.read(read_end, 1) == b""


async def next_event(source: LogindEventSource) -> OsEvent:
    return await asyncio.wait_for(anext(source.events()), timeout=10)


async def test_connect_resolves_the_session_by_id(logind: Logind) -> None:
    assert logind.session_path == SESSION_PATH


async def test_connect_without_id_uses_the_users_display_session(
    fake_logind: FakeLogind, dbus_address: str
) -> None:
    connection = await Logind.connect(dbus_address, uid=1000)
    assert connection.session_path == SESSION_PATH
    connection.close()


async def test_unknown_session_is_a_clear_error(fake_logind: FakeLogind, dbus_address: str) -> None:
    with pytest.raises(PlatformUnavailable, match="GetSession failed"):
        await Logind.connect(dbus_address, session_id="999")


async def test_unreachable_bus_is_a_clear_error(tmp_path: object) -> None:
    with pytest.raises(PlatformUnavailable, match="cannot connect to D-Bus"):
        await Logind.connect(f"unix:path={tmp_path}/no-such-socket")


async def test_inhibitor_asks_for_a_shutdown_and_sleep_delay_lock(
    logind: Logind, fake_logind: FakeLogind
) -> None:
    inhibitor = logind.inhibitor()
    await inhibitor.acquire()
    assert inhibitor.held
    assert fake_logind.manager.inhibit_calls == [
        ("shutdown:sleep", "kioskguard", "Logging out of WhatsApp Web", "delay")
    ]
    inhibitor.release()


async def test_inhibitor_holds_the_descriptor_until_released(
    logind: Logind, fake_logind: FakeLogind
) -> None:
    inhibitor = logind.inhibitor()
    await inhibitor.acquire()
    fake_logind.manager.close_sent_ends()
    read_end = fake_logind.manager.read_ends[0]
    assert not pipe_closed_by_peer(read_end)
    inhibitor.release()
    assert pipe_closed_by_peer(read_end)
    assert not inhibitor.held


async def test_releasing_twice_is_harmless(logind: Logind) -> None:
    inhibitor = logind.inhibitor()
    await inhibitor.acquire()
    inhibitor.release()
    inhibitor.release()
    assert not inhibitor.held


async def test_prepare_for_shutdown_delivers_shutdown(
    event_source: LogindEventSource, fake_logind: FakeLogind
) -> None:
    fake_logind.manager.PrepareForShutdown(True)
    assert await next_event(event_source) is OsEvent.SHUTDOWN


async def test_sleep_then_resume_delivers_sleep_and_resume(
    event_source: LogindEventSource, fake_logind: FakeLogind
) -> None:
    fake_logind.manager.PrepareForSleep(True)
    fake_logind.manager.PrepareForSleep(False)
    assert [await next_event(event_source), await next_event(event_source)] == [
        OsEvent.SLEEP,
        OsEvent.RESUME,
    ]


async def test_session_lock_and_unlock_are_delivered(
    event_source: LogindEventSource, fake_logind: FakeLogind
) -> None:
    fake_logind.session.Lock()
    fake_logind.session.Unlock()
    assert await next_event(event_source) is OsEvent.LOCK
    assert await next_event(event_source) is OsEvent.UNLOCK


async def test_inhibitor_is_taken_again_after_resume(
    logind: Logind, fake_logind: FakeLogind
) -> None:
    inhibitor = logind.inhibitor()
    source = logind.event_source(inhibitor)
    await source.start()
    await inhibitor.acquire()
    fake_logind.manager.PrepareForSleep(True)
    assert await next_event(source) is OsEvent.SLEEP
    inhibitor.release()
    fake_logind.manager.PrepareForSleep(False)
    assert await next_event(source) is OsEvent.RESUME
    assert inhibitor.held and len(fake_logind.manager.inhibit_calls) == 2
    inhibitor.release()
    source.stop()


async def test_stream_ends_when_the_bus_disconnects(logind: Logind) -> None:
    source = logind.event_source()
    await source.start()
    logind.close()
    remaining = [event async for event in source.events()]
    assert remaining == []


async def test_idle_hint_gives_seconds_since_the_hint(
    logind: Logind, fake_logind: FakeLogind
) -> None:
    fake_logind.session.idle_hint = True
    fake_logind.session.idle_since_monotonic = 100_000_000  # 100 s
    source = logind.idle_source(monotonic=lambda: 160.0)
    assert await source.idle_seconds() == pytest.approx(60.0)


async def test_active_session_reports_zero_idle(logind: Logind, fake_logind: FakeLogind) -> None:
    fake_logind.session.idle_since_monotonic = 100_000_000
    assert await logind.idle_source(monotonic=lambda: 160.0).idle_seconds() == 0.0


async def test_idle_is_unknown_when_the_desktop_never_reported(logind: Logind) -> None:
    assert await logind.idle_source().idle_seconds() is None


async def test_cancelled_shutdown_takes_the_inhibitor_again_without_an_event(
    logind: Logind, fake_logind: FakeLogind
) -> None:
    inhibitor = logind.inhibitor()
    source = logind.event_source(inhibitor)
    await source.start()
    fake_logind.manager.PrepareForShutdown(False)
    fake_logind.session.Lock()
    assert await next_event(source) is OsEvent.LOCK
    assert inhibitor.held
    inhibitor.release()
    source.stop()
