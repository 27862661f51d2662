"""The idle watch on a fake clock: warning first, input cancels, only linked sessions end."""

from __future__ import annotations

from collections.abc import Callable

from agent.daemon.daemon import Daemon
from agent.daemon.fakes import FakeIdleSource, FakeSessionAgent
from agent.daemon.idle import BrowserIdleSource, IdleDecision, IdleWatch
from agent.outcome import Linked, Trigger, WarningResult
from agent.platform.fakeclock import FakeClock

IDLE = {"timeout_s": 300, "warning_s": 30, "poll_s": 1}


def watch_of(make_daemon: Callable[..., Daemon], **idle: object) -> IdleWatch:
    watch = make_daemon(idle={**IDLE, **idle}).idle_watch
    assert watch is not None
    return watch


async def test_no_logout_before_the_idle_timeout(make_daemon, clock: FakeClock, agent) -> None:
    watch = watch_of(make_daemon)
    clock.advance(299)
    assert await watch.check() is IdleDecision.ACTIVE
    assert agent.warnings == [] and agent.logouts == []


async def test_idle_logout_comes_after_timeout_and_in_page_warning(
    make_daemon, clock: FakeClock, agent: FakeSessionAgent
) -> None:
    watch = watch_of(make_daemon)
    clock.advance(300)
    assert await watch.check() is IdleDecision.LOGGED_OUT
    assert agent.warnings == [("managed", 30)]
    assert [(name, trigger) for name, trigger, _ in agent.logouts] == [("managed", Trigger.IDLE)]


async def test_without_a_tab_the_warning_is_waited_out_on_the_clock(
    make_daemon, clock: FakeClock, agent: FakeSessionAgent
) -> None:
    agent.warning_result = WarningResult.UNAVAILABLE
    watch = watch_of(make_daemon)
    clock.advance(300)
    assert await watch.check() is IdleDecision.LOGGED_OUT
    assert clock.monotonic() == 330
    assert len(agent.logouts) == 1


async def test_input_during_the_waited_warning_cancels_the_logout(
    make_daemon, clock: FakeClock, agent: FakeSessionAgent, idle_source: FakeIdleSource
) -> None:
    agent.warning_result = WarningResult.UNAVAILABLE
    watch = watch_of(make_daemon)
    clock.advance(300)
    idle_source.input_at(312)
    assert await watch.check() is IdleDecision.CANCELLED
    assert agent.logouts == []
    assert await watch.check() is IdleDecision.ACTIVE  # the idle period starts over


async def test_banner_cancelled_by_page_input_means_no_logout(
    make_daemon, clock: FakeClock, agent: FakeSessionAgent
) -> None:
    agent.warning_result = WarningResult.CANCELLED
    watch = watch_of(make_daemon)
    clock.advance(400)
    assert await watch.check() is IdleDecision.CANCELLED
    assert agent.logouts == []


async def test_input_outside_the_page_during_the_banner_cancels_the_logout(
    make_daemon, clock: FakeClock, agent: FakeSessionAgent, idle_source: FakeIdleSource
) -> None:
    agent.during_warning = idle_source.touch
    watch = watch_of(make_daemon)
    clock.advance(300)
    assert await watch.check() is IdleDecision.CANCELLED
    assert agent.logouts == []


async def test_no_idle_logout_when_no_session_is_linked(
    make_daemon, clock: FakeClock, agent: FakeSessionAgent
) -> None:
    agent.default_linked = Linked.NOT_LINKED
    watch = watch_of(make_daemon)
    clock.advance(3600)
    assert await watch.check() is IdleDecision.NOT_LINKED
    assert agent.warnings == [] and agent.logouts == []


async def test_unknown_idle_time_does_nothing(
    make_daemon, clock: FakeClock, agent: FakeSessionAgent, idle_source: FakeIdleSource
) -> None:
    idle_source.unknown = True
    watch = watch_of(make_daemon)
    clock.advance(3600)
    assert await watch.check() is IdleDecision.UNKNOWN
    assert agent.logouts == []


async def test_zero_warning_logs_out_at_once(make_daemon, clock: FakeClock, agent) -> None:
    watch = watch_of(make_daemon, warning_s=0)
    clock.advance(300)
    assert await watch.check() is IdleDecision.LOGGED_OUT
    assert agent.warnings == []


async def test_idle_watch_is_off_when_disabled(make_daemon) -> None:
    assert make_daemon(idle={"enabled": False}).idle_watch is None


async def test_browser_idle_source_reports_the_most_recent_input(make_settings) -> None:
    agent = FakeSessionAgent(page_idle=42.0)
    source = BrowserIdleSource(agent, make_settings().effective_profiles())
    assert await source.idle_seconds() == 42.0
    agent.page_idle = None
    assert await source.idle_seconds() is None


async def test_a_session_the_page_holds_but_the_disk_not_yet_is_still_warned_and_ended(
    make_daemon, clock: FakeClock, agent: FakeSessionAgent
) -> None:
    """Chromium writes localStorage to disk ~5 s late: the running page's answer counts."""
    agent.linked = {"managed": Linked.NOT_LINKED}
    agent.live_linked = {"managed": Linked.LINKED}
    watch = watch_of(make_daemon)
    clock.advance(300)
    assert await watch.check() is IdleDecision.LOGGED_OUT
    assert agent.warnings == [("managed", 30)]
    assert [name for name, _, _ in agent.logouts] == ["managed"]


async def test_an_unknown_state_is_warned_and_left_to_the_logout_to_decide(
    make_daemon, clock: FakeClock, agent: FakeSessionAgent
) -> None:
    agent.linked = {"managed": Linked.UNKNOWN}
    watch = watch_of(make_daemon)
    clock.advance(300)
    assert await watch.check() is IdleDecision.LOGGED_OUT
    assert agent.warnings == [("managed", 30)]
