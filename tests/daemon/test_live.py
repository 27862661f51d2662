"""The daemon remembers what it saw in running pages: a session that never reached the disk."""

from __future__ import annotations

from datetime import timedelta

from agent.daemon.daemon import Daemon
from agent.daemon.fakes import FakeSessionAgent
from agent.daemon.live import LiveMemory, LiveReading
from agent.daemon.metrics import Metrics
from agent.outcome import LOCAL_ONLY_NOTE, Linked, LogoutPath, Outcome, Result, Trigger
from agent.platform.fakeclock import FakeClock
from tests.daemon.conftest import SATURDAY_EVENING, MakeSettings


def seen_live_then_closed(agent: FakeSessionAgent) -> None:
    """The page holds the keys, the disk does not (Chromium had not stored them yet)."""
    agent.default_linked = Linked.NOT_LINKED
    agent.result = Result.NOTHING_TO_DO  # the logout finds nothing stored
    agent.path = LogoutPath.OFFLINE
    agent.running["managed"] = True
    agent.live_linked["managed"] = Linked.LINKED


async def test_browser_closed_after_a_live_session_never_stored_reports_local_only(
    make_daemon, agent, clock: FakeClock
) -> None:
    seen_live_then_closed(agent)
    daemon = make_daemon()
    assert await daemon.watch_browsers() == []
    clock.advance(3)
    agent.running["managed"] = False
    (outcome,) = await daemon.watch_browsers()
    assert (outcome.result, outcome.verified) == (Result.LOCAL_ONLY, False)
    assert outcome.error is not None
    assert f"live at {SATURDAY_EVENING:%H:%M:%S} but never reached the disk" in outcome.error
    assert LOCAL_ONLY_NOTE in outcome.notes
    assert agent.logouts == [("managed", Trigger.BROWSER_CLOSED, 30.0)]


async def test_local_only_is_reported_once_then_forgotten(make_daemon, agent) -> None:
    seen_live_then_closed(agent)
    daemon = make_daemon()
    await daemon.watch_browsers()
    agent.running["managed"] = False
    await daemon.watch_browsers()
    assert await daemon.closing_time() == []  # nothing stored, nothing seen since


async def test_browser_closed_with_the_session_stored_logs_out_as_usual(make_daemon, agent) -> None:
    agent.running["managed"] = True
    agent.live_linked["managed"] = Linked.LINKED  # and the disk has the keys (default LINKED)
    daemon = make_daemon()
    await daemon.watch_browsers()
    assert agent.page_reads == ["managed"]
    agent.running["managed"] = False
    (outcome,) = await daemon.watch_browsers()
    assert (outcome.result, outcome.verified) == (Result.LOGGED_OUT, True)


async def test_older_session_keys_on_disk_with_the_live_one_lost_report_local_only(
    make_daemon, agent
) -> None:
    """A removal Chromium never stored leaves an older session's keys: the cold relaunch shows
    the QR (nothing to do), while the live session is still on the phone."""
    agent.running["managed"] = True
    agent.live_linked["managed"] = Linked.LINKED
    agent.result, agent.path = Result.NOTHING_TO_DO, LogoutPath.COLD
    daemon = make_daemon()
    await daemon.watch_browsers()
    agent.running["managed"] = False
    (outcome,) = await daemon.watch_browsers()
    assert outcome.result is Result.LOCAL_ONLY
    assert any("the disk held keys of another session" in note for note in outcome.notes)


async def test_stored_then_logged_out_in_the_page_is_nothing_to_do(make_daemon, agent) -> None:
    """The visitor logged out before closing and the disk caught up: nothing to do is true."""
    agent.running["managed"] = True
    daemon = make_daemon()
    await daemon.watch_browsers()  # linked, on disk
    agent.default_linked = Linked.NOT_LINKED
    agent.result, agent.path = Result.NOTHING_TO_DO, LogoutPath.OFFLINE
    agent.running["managed"] = False
    assert await daemon.watch_browsers() == []  # disk and last reading agree: no session
    assert agent.logouts == []


async def test_page_read_not_linked_after_a_live_link_clears_the_memory(make_daemon, agent) -> None:
    seen_live_then_closed(agent)
    daemon = make_daemon()
    await daemon.watch_browsers()
    agent.live_linked["managed"] = Linked.NOT_LINKED  # the visitor logged out in the page
    await daemon.watch_browsers()
    agent.running["managed"] = False
    assert await daemon.watch_browsers() == []


async def test_warm_nothing_to_do_is_the_page_s_own_verdict_and_kept(make_daemon, agent) -> None:
    seen_live_then_closed(agent)
    daemon = make_daemon()
    await daemon.watch_browsers()
    agent.path = LogoutPath.WARM  # the logout read the live page itself: no session there
    (outcome,) = await daemon.closing_time()
    assert outcome.result is Result.NOTHING_TO_DO


async def test_unreadable_page_is_not_remembered(make_daemon, agent) -> None:
    agent.default_linked = Linked.NOT_LINKED
    agent.running["managed"] = True  # no live_linked: the page cannot be read (None)
    daemon = make_daemon()
    await daemon.watch_browsers()
    assert agent.page_reads == ["managed"]
    assert daemon.live.last("managed") is None


async def test_local_only_reaches_the_metrics_and_the_hooks(
    make_settings: MakeSettings, agent, clock: FakeClock
) -> None:
    seen_live_then_closed(agent)
    metrics, outcomes = Metrics(), []
    daemon = Daemon(make_settings(), agent, clock, metrics=metrics, hooks=[outcomes.append])
    await daemon.watch_browsers()
    agent.running["managed"] = False
    await daemon.watch_browsers()
    labels = {"result": "local_only", "trigger": "browser_closed", "how": "none"}
    assert metrics.registry.get_sample_value("kioskguard_logouts_total", labels) == 1
    assert [outcome.result for outcome in outcomes] == [Result.LOCAL_ONLY]


def test_settle_keeps_failures_and_logouts_that_found_keys() -> None:
    memory = LiveMemory()
    at = SATURDAY_EVENING + timedelta(seconds=5)
    memory.seen("desk", LiveReading(Linked.LINKED, at, on_disk=False))
    failed = memory.settle(Outcome("desk", Trigger.IDLE, Result.FAILED))
    assert failed.result is Result.FAILED and memory.unflushed("desk") is not None
    done = memory.settle(Outcome("desk", Trigger.IDLE, Result.LOGGED_OUT, verified=True))
    assert done.result is Result.LOGGED_OUT and memory.last("desk") is None


def test_seen_is_news_once_per_live_session() -> None:
    memory = LiveMemory()
    linked = LiveReading(Linked.LINKED, SATURDAY_EVENING, on_disk=False)
    assert memory.seen("desk", linked) is True
    assert memory.seen("desk", LiveReading(Linked.LINKED, SATURDAY_EVENING, True)) is False
    assert memory.seen("desk", LiveReading(Linked.NOT_LINKED, SATURDAY_EVENING, False)) is False
    assert memory.unflushed("desk") is None
    assert memory.seen("desk", linked) is True  # a new session


async def test_while_the_browser_runs_the_linked_gauge_follows_the_page_not_the_disk(
    make_daemon, agent
) -> None:
    agent.running["managed"] = True
    agent.live_linked["managed"] = Linked.NOT_LINKED  # logged out in the page a moment ago
    agent.default_linked = Linked.LINKED  # the disk still holds the keys (stored late)
    daemon = make_daemon()
    await daemon.watch_browsers()
    (result,) = await daemon.check_linked()
    assert result.linked is Linked.NOT_LINKED and "live page" in result.detail
    agent.running["managed"] = False  # closed: the disk is all there is again
    agent.default_linked = Linked.NOT_LINKED
    await daemon.watch_browsers()
    (result,) = await daemon.check_linked()
    assert result.linked is Linked.NOT_LINKED and "live page" not in result.detail
