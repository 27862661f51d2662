"""A resume from sleep is no trigger, but reaches the daemon's state rule (subscribe_resume)."""

from __future__ import annotations

from collections.abc import AsyncIterator

from agent.outcome import Trigger
from agent.platform.base import OsEvent
from agent.platform.triggers import OsTriggerSource


class Scripted:
    def __init__(self, *events: OsEvent) -> None:
        self._events = events

    async def events(self) -> AsyncIterator[OsEvent]:
        for event in self._events:
            yield event


async def test_each_resume_calls_the_subscribers_and_yields_no_trigger() -> None:
    source = OsTriggerSource("logind", Scripted(OsEvent.SLEEP, OsEvent.RESUME, OsEvent.RESUME))
    resumed: list[str] = []
    source.subscribe_resume(lambda: resumed.append("resumed"))
    assert [trigger async for trigger in source.events()] == [Trigger.SLEEP]
    assert resumed == ["resumed", "resumed"]
