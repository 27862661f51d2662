"""The state rule: a profile whose browser is not running holds no session, whatever the daemon
witnessed; failed tries are retried with backoff, each its own outcome; the age gauge."""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import Callable

from agent.daemon.daemon import Daemon
from agent.daemon.fakes import FakeExitWatch, FakeSessionAgent, FakeTriggerSource
from agent.daemon.metrics import Metrics
from agent.daemon.staterule import RETRY_CAP_S, RETRY_FIRST_S
from agent.errors import DriverError
from agent.outcome import Linked, Outcome, Result, Trigger

QUIET = {"idle": {"enabled": False}}


async def until(condition: Callable[[], bool], timeout_s: float = 10.0) -> None:
    async with asyncio.timeout(timeout_s):
        while not condition():
            await asyncio.sleep(0.01)


async def test_a_session_stored_before_start_is_logged_out_at_start(
    make_daemon, agent: FakeSessionAgent, outcomes: list[Outcome]
) -> None:
    daemon = make_daemon(**QUIET)
    running = asyncio.create_task(daemon.run())
    await until(lambda: bool(outcomes))
    daemon.request_stop()
    assert await asyncio.wait_for(running, 10) == 0
    assert [(o.trigger, o.result) for o in outcomes] == [
        (Trigger.BROWSER_CLOSED, Result.LOGGED_OUT)
    ]
    assert "found at start" in outcomes[0].notes[0]


async def test_a_running_browser_or_no_session_is_left_alone(
    make_daemon, agent: FakeSessionAgent
) -> None:
    agent.running["managed"] = True
    daemon = make_daemon()
    assert await daemon.rule.check_all(daemon.profiles, "test") == []
    agent.running["managed"] = False
    agent.default_linked = Linked.NOT_LINKED
    assert await daemon.rule.check_all(daemon.profiles, "test") == []
    assert agent.logouts == []


async def test_a_browser_that_cannot_be_read_is_never_acted_on(make_daemon, agent) -> None:
    async def unreadable(profile: object) -> bool:
        raise DriverError("lock unreadable")

    agent.browser_running = unreadable  # type: ignore[method-assign]
    daemon = make_daemon()
    assert await daemon.rule.check_all(daemon.profiles, "test") == []
    assert agent.logouts == []


async def test_the_linked_check_applies_the_rule(make_daemon, agent, outcomes) -> None:
    daemon = make_daemon()
    await daemon.check_linked()
    assert [(o.trigger, o.result) for o in outcomes] == [
        (Trigger.BROWSER_CLOSED, Result.LOGGED_OUT)
    ]
    assert "linked check" in outcomes[0].notes[0]


async def test_a_failed_try_is_retried_with_backoff_each_try_its_own_outcome(
    make_settings, agent: FakeSessionAgent, clock
) -> None:
    agent.result = Result.FAILED
    tries: list[tuple[float, Outcome]] = []
    daemon = Daemon(
        make_settings(logout={"retries": 3}),
        agent,
        clock,
        hooks=[lambda outcome: tries.append((clock.monotonic(), outcome))],
    )
    (first,) = await daemon.rule.check_all(daemon.profiles, "test")
    assert first.result is Result.FAILED and first.attempts == 1  # no inner retries
    await until(lambda: len(tries) >= 9)
    agent.result = Result.LOGGED_OUT
    await until(lambda: tries[-1][1].result is Result.LOGGED_OUT)
    await until(lambda: not daemon.rule.retrying("managed"))
    moments = [moment for moment, _ in tries]
    gaps = [later - earlier for earlier, later in itertools.pairwise(moments)]
    assert gaps[:7] == [RETRY_FIRST_S * 2**n for n in range(5)] + [RETRY_CAP_S] * 2
    assert all(gap == RETRY_CAP_S for gap in gaps[5:])
    assert all(outcome.attempts == 1 for _, outcome in tries)
    assert len(agent.logouts) == len(tries)  # every try reported: one audit line each


async def test_retries_end_when_the_browser_opens(make_daemon, agent, outcomes) -> None:
    agent.result = Result.FAILED
    daemon = make_daemon()
    await daemon.rule.check_all(daemon.profiles, "test")
    agent.running["managed"] = True  # the visitor opened the browser: the rule holds
    await until(lambda: not daemon.rule.retrying("managed"))
    assert len(outcomes) == 1


async def test_resume_checks_the_rule(make_daemon, agent, outcomes) -> None:
    agent.running["managed"] = True
    source = FakeTriggerSource()
    daemon = make_daemon(**QUIET)
    daemon = Daemon(
        daemon.settings, agent, daemon.clock, trigger_sources=[source], hooks=[outcomes.append]
    )
    running = asyncio.create_task(daemon.run())
    await daemon.ready.wait()
    agent.running["managed"] = False  # closed during sleep
    source.resume()
    await until(lambda: bool(outcomes))
    daemon.request_stop()
    await asyncio.wait_for(running, 10)
    assert "after resume" in outcomes[0].notes[0]


async def test_on_browser_closed_false_keeps_the_session_but_reports_its_age(
    make_settings, agent, clock, outcomes
) -> None:
    metrics = Metrics()
    settings = make_settings(events={"on_browser_closed": False})
    daemon = Daemon(settings, agent, clock, metrics=metrics, hooks=[outcomes.append])
    await daemon.check_linked()
    clock.advance(90)
    await daemon.check_linked()
    assert outcomes == [] and agent.logouts == []
    assert metrics.registry.get_sample_value("kioskguard_unguarded_session_age_seconds") == 90


async def test_the_age_gauge_is_zero_once_the_session_is_gone(make_settings, agent, clock) -> None:
    metrics = Metrics()
    daemon = Daemon(make_settings(), agent, clock, metrics=metrics)
    assert metrics.registry.get_sample_value("kioskguard_unguarded_session_age_seconds") == 0
    agent.result = Result.FAILED
    await daemon.rule.check_all(daemon.profiles, "test")
    await daemon.rule.stop()
    clock.advance(30)
    await daemon.rule.check_all(daemon.profiles, "test")  # still broken: 30 s old (or more:
    await daemon.rule.stop()  # the retry loop's own virtual sleeps count too)
    assert metrics.registry.get_sample_value("kioskguard_unguarded_session_age_seconds") >= 30
    agent.result = Result.LOGGED_OUT
    await daemon.rule.check_all(daemon.profiles, "test")
    assert metrics.registry.get_sample_value("kioskguard_unguarded_session_age_seconds") == 0


async def test_the_browser_process_exit_logs_out_without_waiting_for_the_poll(
    make_settings, agent, clock, outcomes
) -> None:
    exits = FakeExitWatch(agent)
    daemon = Daemon(make_settings(), agent, clock, hooks=[outcomes.append], exit_watch=exits)
    agent.running["managed"] = True
    await daemon.watch_browsers()  # sees it open: waits on its process
    await until(lambda: exits.waiting == ["managed"])
    exits.close("managed")
    await until(lambda: bool(outcomes))  # no second watch_browsers() call
    assert [(o.trigger, o.result) for o in outcomes] == [
        (Trigger.BROWSER_CLOSED, Result.LOGGED_OUT)
    ]
    assert await daemon.watch_browsers() == []  # the poll finds nothing left to do


async def test_one_wait_per_running_browser(make_settings, agent, clock) -> None:
    exits = FakeExitWatch(agent)
    daemon = Daemon(make_settings(), agent, clock, exit_watch=exits)
    agent.running["managed"] = True
    for _ in range(3):
        await daemon.watch_browsers()
    await until(lambda: bool(exits.waiting))
    await asyncio.sleep(0.05)
    assert exits.waiting == ["managed"]


async def test_a_profile_the_probe_cannot_read_is_not_relaunched(
    make_daemon, agent: FakeSessionAgent
) -> None:
    agent.default_linked = Linked.UNKNOWN  # e.g. a path that is no profile at all
    daemon = make_daemon()
    assert await daemon.rule.check_all(daemon.profiles, "test") == []
    await daemon.check_linked()
    assert agent.logouts == []


async def test_a_close_with_no_session_stored_scrubs_the_profile_and_a_logout_does_not(
    make_settings, agent: FakeSessionAgent, clock, outcomes
) -> None:
    exits = FakeExitWatch(agent)
    daemon = Daemon(make_settings(), agent, clock, hooks=[outcomes.append], exit_watch=exits)
    agent.running["managed"] = True
    agent.default_linked = Linked.NOT_LINKED  # a warm logout ran while the browser was open
    await daemon.watch_browsers()
    await until(lambda: exits.waiting == ["managed"])
    exits.close("managed")
    await until(lambda: agent.scrubs == ["managed"])
    assert outcomes == []  # no logout: the rule held
    agent.running["managed"] = True  # the poll's path: open again, then closed with a session
    agent.default_linked = Linked.LINKED
    daemon._close_waits.clear()
    await daemon.watch_browsers()
    agent.running["managed"] = False
    await daemon.watch_browsers()
    assert [(o.trigger, o.result) for o in outcomes] == [
        (Trigger.BROWSER_CLOSED, Result.LOGGED_OUT)
    ]
    assert agent.scrubs == ["managed"]  # the logout scrubbed in the session layer itself
