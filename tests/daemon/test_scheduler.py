"""Closing-time arithmetic and the timetable's job options, computed from a fixed "now"."""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta

from agent.daemon.clock import SystemClock
from agent.daemon.daemon import Daemon
from agent.daemon.fakes import FakeSessionAgent
from agent.daemon.scheduler import OffsetTrigger, build_scheduler, closing_trigger
from agent.outcome import Trigger
from agent.settings import ClosingTimeSettings

from .conftest import BERLIN, MakeSettings

LIBRARY = ClosingTimeSettings.model_validate(
    {"times": [{"days": "mon-sat", "time": "20:00"}, {"days": "sun", "time": "17:00"}]}
)


def at(day: int, hour: int, minute: int) -> datetime:
    return datetime(2025, 6, day, hour, minute, tzinfo=BERLIN)  # June 14 2025 is a Saturday


def closes_after(now: datetime) -> datetime | None:
    """The next fire time of the timetable's closing-time trigger (now included)."""
    trigger = closing_trigger(LIBRARY, BERLIN)
    assert trigger is not None
    fire_time: datetime | None = trigger.get_next_fire_time(None, now)
    return fire_time


def test_saturday_before_eight_closes_at_eight_today() -> None:
    assert closes_after(at(14, 19, 59)) == at(14, 20, 0)


def test_saturday_after_eight_closes_on_sunday_at_five() -> None:
    assert closes_after(at(14, 20, 1)) == at(15, 17, 0)


def test_sunday_after_five_closes_on_monday_at_eight() -> None:
    assert closes_after(at(15, 17, 1)) == at(16, 20, 0)


def test_no_closing_time_configured_means_no_trigger() -> None:
    assert closing_trigger(ClosingTimeSettings(), BERLIN) is None


def test_warning_fires_the_offset_before_closing_time() -> None:
    warning = OffsetTrigger(closing_trigger(LIBRARY, BERLIN), timedelta(minutes=5))
    assert warning.get_next_fire_time(None, at(14, 19, 50)) == at(14, 19, 55)
    assert warning.get_next_fire_time(at(14, 19, 55), at(14, 19, 55)) == at(15, 16, 55)


def test_warning_before_a_closing_time_just_after_midnight_fires_the_day_before() -> None:
    early = ClosingTimeSettings.model_validate({"times": [{"days": "sun", "time": "00:02"}]})
    warning = OffsetTrigger(closing_trigger(early, BERLIN), timedelta(minutes=5))
    assert warning.get_next_fire_time(None, at(14, 12, 0)) == datetime(
        2025, 6, 14, 23, 57, tzinfo=BERLIN
    )


def test_closing_time_job_coalesces_and_never_expires(make_settings: MakeSettings) -> None:
    settings = make_settings(closing_time=LIBRARY.model_dump())
    daemon = Daemon(settings, FakeSessionAgent(), SystemClock(BERLIN))
    job = build_scheduler(settings, BERLIN, daemon).get_job("closing-time")
    assert (job.coalesce, job.misfire_grace_time, job.max_instances) == (True, None, 1)


def test_browser_watch_is_not_scheduled_when_disabled(make_settings: MakeSettings) -> None:
    settings = make_settings(events={"on_browser_closed": False})
    daemon = Daemon(settings, FakeSessionAgent(), SystemClock(BERLIN))
    job_ids = {job.id for job in build_scheduler(settings, BERLIN, daemon).get_jobs()}
    assert job_ids == {"check"}


async def test_closing_times_missed_during_sleep_run_one_logout_on_wake(
    make_settings: MakeSettings,
) -> None:
    settings = make_settings(closing_time={"times": [{"days": "*", "time": "20:00"}]})
    agent = FakeSessionAgent()
    scheduler = build_scheduler(settings, BERLIN, Daemon(settings, agent, SystemClock(BERLIN)))
    scheduler.start(paused=True)
    try:
        job = scheduler.get_job("closing-time")
        three_days_ago = datetime.now(BERLIN) - timedelta(days=3)  # three closings slept through
        job.modify(next_run_time=job.trigger.get_next_fire_time(None, three_days_ago))
        scheduler.resume()
        for _ in range(200):
            if agent.logouts:
                break
            await asyncio.sleep(0.02)
        await asyncio.sleep(0.2)  # room for any further (wrong) runs
        assert [trigger for _, trigger, _ in agent.logouts] == [Trigger.CLOSING_TIME]
        assert scheduler.get_job("closing-time").next_run_time > datetime.now(BERLIN)
    finally:
        scheduler.shutdown(wait=False)
