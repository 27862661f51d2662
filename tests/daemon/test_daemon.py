"""The daemon's decisions: recovery, browser closed, closing time, OS events, SIGTERM."""

from __future__ import annotations

import asyncio
import contextlib
import signal
from collections.abc import Callable

from agent.daemon.daemon import Daemon
from agent.daemon.fakes import FakeSessionAgent, FakeTriggerSource, RecordingNotifier
from agent.daemon.state import LogoutInProgress
from agent.outcome import Linked, Outcome, Result, Trigger

from .conftest import SATURDAY_EVENING, routed_signals

TWO_PROFILES = [
    {"name": "desk", "user_data_dir": "/nonexistent/desk"},
    {"name": "lobby", "user_data_dir": "/nonexistent/lobby"},
]
QUIET = {"idle": {"enabled": False}}


def triggers(agent: FakeSessionAgent) -> list[tuple[str, Trigger]]:
    return [(name, trigger) for name, trigger, _ in agent.logouts]


async def test_start_finishes_a_logout_interrupted_by_a_crash(make_daemon, agent) -> None:
    daemon = make_daemon(profiles=TWO_PROFILES)
    daemon.state.begin(LogoutInProgress("lobby", Trigger.CLOSING_TIME, SATURDAY_EVENING))
    outcomes = await daemon.recover()
    assert triggers(agent) == [("lobby", Trigger.RECOVERY)]
    assert outcomes[0].result is Result.LOGGED_OUT
    assert daemon.state.in_progress() == []


async def test_unreadable_state_file_recovers_every_profile(make_daemon, agent) -> None:
    daemon = make_daemon(profiles=TWO_PROFILES)
    daemon.state.path.parent.mkdir(parents=True)
    daemon.state.path.write_text("{garbage")
    await daemon.recover()
    assert triggers(agent) == [("desk", Trigger.RECOVERY), ("lobby", Trigger.RECOVERY)]
    assert daemon.state.in_progress() == []


async def test_recovery_forgets_profiles_no_longer_configured(make_daemon, agent) -> None:
    daemon = make_daemon()
    daemon.state.begin(LogoutInProgress("gone", Trigger.IDLE, SATURDAY_EVENING))
    assert await daemon.recover() == []
    assert agent.logouts == [] and daemon.state.in_progress() == []


async def test_browser_closed_with_a_linked_session_logs_out(make_daemon, agent) -> None:
    daemon = make_daemon()
    agent.running["managed"] = True
    assert await daemon.watch_browsers() == []
    agent.running["managed"] = False
    (outcome,) = await daemon.watch_browsers()
    assert outcome.trigger is Trigger.BROWSER_CLOSED
    assert triggers(agent) == [("managed", Trigger.BROWSER_CLOSED)]


async def test_browser_closed_without_a_session_does_nothing(make_daemon, agent) -> None:
    agent.default_linked = Linked.NOT_LINKED
    daemon = make_daemon()
    agent.running["managed"] = True
    await daemon.watch_browsers()
    agent.running["managed"] = False
    assert await daemon.watch_browsers() == []
    assert agent.logouts == []


async def test_stop_logs_out_a_running_browser_whose_disk_says_not_linked(
    make_daemon, agent
) -> None:
    agent.default_linked = Linked.NOT_LINKED  # the page's session is not flushed to disk yet
    agent.running["desk"] = True
    daemon = make_daemon(profiles=TWO_PROFILES)
    await daemon.logout_linked(Trigger.SIGNAL)
    assert triggers(agent) == [("desk", Trigger.SIGNAL)]


async def test_browser_never_seen_running_is_not_a_closure(make_daemon, agent) -> None:
    daemon = make_daemon()
    assert await daemon.watch_browsers() == []
    assert await daemon.watch_browsers() == []
    assert agent.logouts == []


async def test_closing_time_logs_out_linked_and_unknown_profiles_only(make_daemon, agent) -> None:
    agent.linked = {"desk": Linked.NOT_LINKED, "lobby": Linked.UNKNOWN}
    outcomes = await make_daemon(profiles=TWO_PROFILES).closing_time()
    assert triggers(agent) == [("lobby", Trigger.CLOSING_TIME)]
    assert [outcome.profile for outcome in outcomes] == ["lobby"]


async def test_lock_causes_no_logout_unless_configured(make_daemon, agent) -> None:
    assert await make_daemon().logout_linked(Trigger.LOCK) == []
    await make_daemon(events={"on_lock": True}).logout_linked(Trigger.LOCK)
    assert triggers(agent) == [("managed", Trigger.LOCK)]


async def test_shutdown_event_logs_out_with_the_shutdown_deadline(
    make_daemon: Callable[..., Daemon], agent
) -> None:
    source = FakeTriggerSource()
    agent.running["managed"] = True  # closed, the state rule would log it out at start
    daemon = make_daemon(logout={"shutdown_deadline_s": 3}, **QUIET)
    daemon.trigger_sources = [source]
    running = asyncio.create_task(daemon.run())
    source.put(Trigger.SHUTDOWN)
    while not source.handled:
        await asyncio.sleep(0.01)
    daemon.request_stop()
    assert await asyncio.wait_for(running, 10) == 0
    (name, trigger, deadline) = agent.logouts[0]
    assert (name, trigger) == ("managed", Trigger.SHUTDOWN) and 0 < deadline <= 3


async def test_sigterm_logs_out_linked_profiles_then_run_returns_0(
    make_daemon, agent, outcomes: list[Outcome]
) -> None:
    agent.running["managed"] = True  # closed, the state rule would log it out at start
    daemon = make_daemon(**QUIET)
    with routed_signals(daemon):
        running = asyncio.create_task(daemon.run())
        await asyncio.sleep(0.05)
        signal.raise_signal(signal.SIGTERM)
        assert await asyncio.wait_for(running, 10) == 0
    assert [(outcome.trigger, outcome.result) for outcome in outcomes] == [
        (Trigger.SIGNAL, Result.LOGGED_OUT)
    ]


async def test_sigterm_respects_the_shutdown_deadline_and_leaves_a_recovery_record(
    make_daemon, agent, outcomes: list[Outcome]
) -> None:
    agent.logout_gate = asyncio.Event()  # the logout hangs
    agent.running["managed"] = True  # closed, the state rule would log it out at start
    daemon = make_daemon(logout={"shutdown_deadline_s": 0.2}, **QUIET)
    with routed_signals(daemon):
        running = asyncio.create_task(daemon.run())
        await asyncio.sleep(0.05)
        signal.raise_signal(signal.SIGINT)
        assert await asyncio.wait_for(running, 10) == 0
    # the logout's own budget or the stop's deadline, whichever the loop ran first: failed, why
    assert outcomes[0].result is Result.FAILED
    assert outcomes[0].error and "deadline of 0.2 s" in outcomes[0].error
    assert [record.trigger for record in daemon.state.in_progress()] == [Trigger.SIGNAL]


async def test_closing_warning_notifies_and_shows_the_countdown_in_linked_profiles(
    make_settings, agent, clock
) -> None:
    agent.linked = {"desk": Linked.NOT_LINKED}
    notifier = RecordingNotifier()
    settings = make_settings(profiles=TWO_PROFILES, closing_time={"warn_minutes": 5})
    await Daemon(settings, agent, clock, notifier=notifier).closing_warning()
    assert notifier.shown == [("Closing soon", "WhatsApp Web logs out in 5 min.")]
    assert agent.warnings == [("lobby", 300)]
    assert agent.logouts == []


async def test_closing_warning_reaches_a_session_the_disk_does_not_show_yet(
    make_settings, agent, clock
) -> None:
    agent.linked = {"desk": Linked.NOT_LINKED, "lobby": Linked.NOT_LINKED}
    agent.live_linked = {"desk": Linked.LINKED}
    settings = make_settings(profiles=TWO_PROFILES, closing_time={"warn_minutes": 5})
    await Daemon(settings, agent, clock).closing_warning()
    assert agent.warnings == [("desk", 300)]


async def test_a_broken_idle_source_does_not_stop_the_idle_watch(
    make_daemon, clock, idle_source
) -> None:
    calls = 0

    async def broken() -> float | None:
        nonlocal calls
        calls += 1
        if calls == 3:
            raise asyncio.CancelledError  # ends the loop after two failed readings
        raise RuntimeError("bug")

    idle_source.idle_seconds = broken  # type: ignore[method-assign]
    watch = make_daemon().idle_watch
    with contextlib.suppress(asyncio.CancelledError):
        await watch.run()
    assert calls == 3
