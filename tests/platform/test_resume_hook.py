"""A resume from sleep is no trigger, but reaches the daemon's state rule (subscribe_resume)."""

from __future__ import annotations

from agent.outcome import Trigger
from agent.platform.base import OsEvent
from agent.platform.triggers import OsTriggerSource
from tests.platform.test_os_triggers import ScriptedEvents


async def test_each_resume_calls_the_subscribers_and_yields_no_trigger() -> None:
    events = ScriptedEvents(OsEvent.SLEEP, OsEvent.RESUME, OsEvent.RESUME)
    source = OsTriggerSource("logind", events)
    resumed: list[str] = []
    source.subscribe_resume(lambda: resumed.append("resumed"))
    assert [trigger async for trigger in source.events()] == [Trigger.SLEEP]
    assert resumed == ["resumed", "resumed"]
