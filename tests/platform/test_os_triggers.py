"""OsEvents as daemon triggers, with the inhibitor released once the trigger is handled."""

from __future__ import annotations

from collections.abc import AsyncIterator

from agent.outcome import Trigger
from agent.platform.base import OsEvent
from agent.platform.triggers import OsTriggerSource


class ScriptedEvents:
    def __init__(self, *events: OsEvent) -> None:
        self._events = events

    async def events(self) -> AsyncIterator[OsEvent]:
        for event in self._events:
            yield event


class RecordingInhibitor:
    def __init__(self) -> None:
        self.log: list[str] = []

    @property
    def held(self) -> bool:
        return self.log[-1:] == ["acquire"]

    async def acquire(self) -> None:
        self.log.append("acquire")

    def release(self) -> None:
        self.log.append("release")


async def test_resume_and_unlock_are_not_triggers() -> None:
    events = ScriptedEvents(OsEvent.LOCK, OsEvent.UNLOCK, OsEvent.RESUME, OsEvent.LOGOFF)
    source = OsTriggerSource("logind", events)
    assert [trigger async for trigger in source.events()] == [Trigger.LOCK, Trigger.LOGOFF]


async def test_inhibitor_is_released_only_after_the_shutdown_trigger_was_handled() -> None:
    inhibitor = RecordingInhibitor()
    stream = OsTriggerSource("logind", ScriptedEvents(OsEvent.SHUTDOWN), inhibitor).events()
    assert await anext(stream) is Trigger.SHUTDOWN
    assert inhibitor.held  # the daemon is logging out now
    assert [trigger async for trigger in stream] == []
    assert inhibitor.log == ["acquire", "release"]


async def test_inhibitor_is_released_when_the_consumer_stops_mid_logout() -> None:
    inhibitor = RecordingInhibitor()
    stream = OsTriggerSource("logind", ScriptedEvents(OsEvent.SLEEP), inhibitor).events()
    await anext(stream)
    await stream.aclose()
    assert inhibitor.log == ["acquire", "release"]


async def test_closing_releases_the_inhibitor_and_the_connection_once() -> None:
    inhibitor = RecordingInhibitor()
    closed: list[str] = []
    source = OsTriggerSource(
        "logind", ScriptedEvents(), inhibitor, on_close=lambda: closed.append("bus")
    )
    await inhibitor.acquire()
    source.close()
    source.close()
    assert not inhibitor.held and closed == ["bus"]
