"""The daemon's timetable on APScheduler 3: periodic checks, closing time and its warning.

Closing-time jobs coalesce and never expire (misfire_grace_time=None): a PC that slept through
one or more closing times runs ONE logout when it wakes. The warning before closing time is
dropped instead when it is more than a minute late.
Jobs run through a guard that records them in a set the daemon passes in, so that at stop it
can cancel and await them; a job cancelled that way ends quietly (APScheduler would log the
CancelledError as a job error, with a traceback).
"""

from __future__ import annotations

import asyncio
import functools
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta, tzinfo
from typing import Any, Protocol

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.base import BaseTrigger
from apscheduler.triggers.combining import OrTrigger
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger

from agent.settings import ClosingTimeSettings, Settings

WARNING_GRACE_S = 60


class OffsetTrigger(BaseTrigger):  # type: ignore[misc]
    """Fires a fixed time before every fire time of another trigger (across midnight too)."""

    __slots__ = ("base", "offset")

    def __init__(self, base: BaseTrigger, offset: timedelta) -> None:
        self.base = base
        self.offset = offset

    def get_next_fire_time(
        self, previous_fire_time: datetime | None, now: datetime
    ) -> datetime | None:
        base_previous = previous_fire_time + self.offset if previous_fire_time else None
        base_next = self.base.get_next_fire_time(base_previous, now + self.offset)
        return base_next - self.offset if base_next is not None else None

    def __str__(self) -> str:
        return f"{self.offset} before {self.base}"


def closing_trigger(settings: ClosingTimeSettings, timezone: tzinfo) -> BaseTrigger | None:
    """Given the closing-time settings, return one trigger firing at every entry, or None."""
    triggers = [
        CronTrigger(day_of_week=entry.days, hour=entry.hour, minute=entry.minute, timezone=timezone)
        for entry in settings.times
    ]
    if not triggers:
        return None
    return triggers[0] if len(triggers) == 1 else OrTrigger(triggers)


class ScheduledWork(Protocol):
    """The daemon's coroutines that the timetable runs."""

    async def check_linked(self) -> Any: ...
    async def watch_browsers(self) -> Any: ...
    async def closing_time(self) -> Any: ...
    async def closing_warning(self) -> Any: ...


RunningJobs = set["asyncio.Task[Any]"]


def guarded(
    function: Callable[[], Awaitable[Any]], running: RunningJobs
) -> Callable[[], Awaitable[Any]]:
    """Given a job coroutine function, return one that is tracked in running while it runs
    and ends quietly (None) when cancelled."""

    @functools.wraps(function)
    async def job() -> Any:
        task = asyncio.current_task()
        if task is not None:
            running.add(task)
        try:
            return await function()
        except asyncio.CancelledError:
            return None  # the daemon stops: not a job error
        finally:
            running.discard(task)

    return job


def build_scheduler(
    settings: Settings,
    timezone: tzinfo,
    work: ScheduledWork,
    running: RunningJobs | None = None,
) -> AsyncIOScheduler:
    """Given the settings, the zone and the daemon's work, return a configured scheduler.

    Running jobs are recorded in running (if given) for the daemon to cancel at stop.
    """
    jobs: RunningJobs = set() if running is None else running
    scheduler = AsyncIOScheduler(
        timezone=timezone,
        job_defaults={"coalesce": True, "max_instances": 1, "misfire_grace_time": 10},
    )
    check = IntervalTrigger(seconds=settings.check.probe_interval_s)
    scheduler.add_job(guarded(work.check_linked, jobs), check, id="check")
    if settings.events.on_browser_closed:
        poll = IntervalTrigger(seconds=settings.check.browser_poll_s)
        scheduler.add_job(guarded(work.watch_browsers, jobs), poll, id="browser-watch")
    closing = closing_trigger(settings.closing_time, timezone)
    if closing is not None:
        scheduler.add_job(
            guarded(work.closing_time, jobs),
            closing,
            id="closing-time",
            coalesce=True,
            max_instances=1,
            misfire_grace_time=None,
        )
        if settings.closing_time.warn_minutes:
            offset = timedelta(minutes=settings.closing_time.warn_minutes)
            scheduler.add_job(
                guarded(work.closing_warning, jobs),
                OffsetTrigger(closing, offset),
                id="closing-warning",
                coalesce=True,
                misfire_grace_time=WARNING_GRACE_S,
            )
    return scheduler
