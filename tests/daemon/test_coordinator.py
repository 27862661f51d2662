"""Single-flight logouts: joins, deadlines, retries, errors, and the state file."""

from __future__ import annotations

import asyncio
from pathlib import Path

from agent.daemon.coordinator import LogoutCoordinator
from agent.daemon.fakes import FakeSessionAgent
from agent.daemon.state import StateFile
from agent.errors import DriverError
from agent.outcome import Outcome, Result, Trigger
from agent.platform.fakeclock import FakeClock
from agent.settings import ProfileSettings

DESK = ProfileSettings(name="desk", user_data_dir=Path("/nonexistent/desk"))


def coordinator_of(
    agent: FakeSessionAgent, tmp_path: Path, clock: FakeClock, retries: int = 0
) -> LogoutCoordinator:
    return LogoutCoordinator(agent, StateFile(tmp_path / "state.json"), clock, retries=retries)


async def test_two_triggers_during_one_logout_share_one_outcome(tmp_path, clock, agent) -> None:
    agent.logout_gate = asyncio.Event()
    coordinator = coordinator_of(agent, tmp_path, clock)
    first = asyncio.create_task(coordinator.logout(DESK, Trigger.IDLE, 30))
    await asyncio.sleep(0.01)
    second = asyncio.create_task(coordinator.logout(DESK, Trigger.CLOSING_TIME, 30))
    await asyncio.sleep(0.01)
    agent.logout_gate.set()
    outcomes = await asyncio.gather(first, second)
    assert outcomes[0] is outcomes[1]
    assert len(agent.logouts) == 1


async def test_a_logout_after_the_first_finished_runs_again(tmp_path, clock, agent) -> None:
    coordinator = coordinator_of(agent, tmp_path, clock)
    await coordinator.logout(DESK, Trigger.IDLE, 30)
    await coordinator.logout(DESK, Trigger.MANUAL, 30)
    assert [trigger for _, trigger, _ in agent.logouts] == [Trigger.IDLE, Trigger.MANUAL]


async def test_deadline_ends_a_hanging_logout_as_failed(tmp_path, clock, agent) -> None:
    agent.logout_gate = asyncio.Event()  # never released
    coordinator = coordinator_of(agent, tmp_path, clock)
    outcome = await coordinator.logout(DESK, Trigger.SHUTDOWN, 0.05)
    assert outcome.result is Result.FAILED
    assert outcome.error == "deadline of 0.05 s exceeded"
    assert 0 < agent.logouts[0][2] <= 0.05


async def test_failed_logout_is_retried_inside_the_deadline(tmp_path, clock, agent) -> None:
    agent.result = Result.FAILED
    coordinator = coordinator_of(agent, tmp_path, clock, retries=2)
    outcome = await coordinator.logout(DESK, Trigger.IDLE, 30)
    assert len(agent.logouts) == 3
    assert outcome.attempts == 3


async def test_session_layer_error_becomes_a_scrubbed_failed_outcome(
    tmp_path, clock, agent
) -> None:
    agent.logout_error = DriverError("browser crashed while showing 491511234567@s.whatsapp.net")
    outcome = await coordinator_of(agent, tmp_path, clock).logout(DESK, Trigger.IDLE, 30)
    assert outcome.result is Result.FAILED
    assert outcome.error == "browser crashed while showing 49151*****67@s.whatsapp.net"


async def test_state_file_holds_the_logout_only_while_it_runs(tmp_path, clock, agent) -> None:
    agent.logout_gate = asyncio.Event()
    coordinator = coordinator_of(agent, tmp_path, clock)
    task = asyncio.create_task(coordinator.logout(DESK, Trigger.IDLE, 30))
    await asyncio.sleep(0.01)
    (record,) = coordinator.state.in_progress()
    assert (record.profile, record.trigger, record.started_at) == (
        "desk",
        Trigger.IDLE,
        clock.now(),
    )
    agent.logout_gate.set()
    await task
    assert coordinator.state.in_progress() == []


async def test_failed_logout_stays_in_the_state_file_for_recovery(tmp_path, clock, agent) -> None:
    agent.result = Result.FAILED
    coordinator = coordinator_of(agent, tmp_path, clock)
    await coordinator.logout(DESK, Trigger.IDLE, 30)
    assert [record.profile for record in coordinator.state.in_progress()] == ["desk"]


async def test_every_outcome_reaches_the_hooks_even_if_one_hook_fails(
    tmp_path, clock, agent
) -> None:
    seen: list[Outcome] = []

    def broken(outcome: Outcome) -> None:
        raise OSError("disk full")

    coordinator = coordinator_of(agent, tmp_path, clock)
    coordinator.hooks = [broken, seen.append]
    outcome = await coordinator.logout(DESK, Trigger.IDLE, 30)
    assert seen == [outcome] and outcome.result is Result.LOGGED_OUT


async def test_a_joiner_with_a_shorter_deadline_stops_waiting_but_the_logout_goes_on(
    tmp_path, clock, agent
) -> None:
    agent.logout_gate = asyncio.Event()
    coordinator = coordinator_of(agent, tmp_path, clock)
    first = asyncio.create_task(coordinator.logout(DESK, Trigger.IDLE, 30))
    await asyncio.sleep(0.01)
    joined = await coordinator.logout(DESK, Trigger.SHUTDOWN, 0.05)
    assert joined.result is Result.FAILED and "another logout" in (joined.error or "")
    agent.logout_gate.set()
    assert (await first).result is Result.LOGGED_OUT
    assert len(agent.logouts) == 1
