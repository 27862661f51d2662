"""Termination signals as OsEvents, sent to this very process."""

from __future__ import annotations

import asyncio
import os
import signal
from collections.abc import AsyncIterator

import pytest_asyncio

from agent.platform.base import OsEvent
from agent.platform.signals import SignalEventSource


@pytest_asyncio.fixture
async def signal_source() -> AsyncIterator[SignalEventSource]:
    source = SignalEventSource([signal.SIGTERM, signal.SIGHUP])
    source.install()
    yield source
    source.close()


async def next_event(source: SignalEventSource) -> OsEvent:
    return await asyncio.wait_for(anext(source.events()), timeout=10)


async def test_sigterm_becomes_shutdown(signal_source: SignalEventSource) -> None:
    os.kill(os.getpid(), signal.SIGTERM)
    assert await next_event(signal_source) is OsEvent.SHUTDOWN


async def test_sighup_becomes_logoff(signal_source: SignalEventSource) -> None:
    os.kill(os.getpid(), signal.SIGHUP)
    assert await next_event(signal_source) is OsEvent.LOGOFF
    assert signal_source.received == [signal.SIGHUP]


async def test_close_restores_the_previous_handler() -> None:
    def previous(number: int, frame: object) -> None:
        pass

    original = signal.signal(signal.SIGHUP, previous)
    source = SignalEventSource([signal.SIGHUP])
    source.install()
    source.close()
    assert signal.getsignal(signal.SIGHUP) is previous
    signal.signal(signal.SIGHUP, original)


async def test_stream_ends_on_close(signal_source: SignalEventSource) -> None:
    signal_source.close()
    assert [event async for event in signal_source.events()] == []


async def test_reading_after_close_does_not_reinstall_handlers() -> None:
    before = signal.getsignal(signal.SIGHUP)
    source = SignalEventSource([signal.SIGHUP])
    source.install()
    source.close()
    assert [event async for event in source.events()] == []
    assert signal.getsignal(signal.SIGHUP) is before
