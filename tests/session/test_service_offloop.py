"""SessionService never reads the host on its event loop: every question to its ProfileInspector
(the lock, the endpoint proof, the offline probe) runs in a thread, so a slow disk or a port that
does not answer holds up nothing else, and a caller's timeout fires (FakeInspector, FakeDriver)."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Awaitable, Callable
from pathlib import Path

import pytest

from agent.outcome import Trigger
from agent.session.fake_inspector import FakeInspector
from agent.session.fakes import FakeDriver
from agent.session.service import SessionService
from agent.settings import ProfileSettings
from tests.session.test_service_branches import (
    ENDPOINT,
    logs_out,
    service_on,
    unreadable_storage,
)

HOLD_S = 20.0  # how long a held inspector call blocks at most (only reached when the rule is off)
TIMEOUT_S = 0.2  # the caller's timeout on the probe


def closed(tmp_path: Path) -> ProfileSettings:
    user_data_dir = tmp_path / "closed"
    unreadable_storage(user_data_dir)
    return ProfileSettings(name="closed", user_data_dir=user_data_dir)


async def test_a_probe_that_blocks_longer_than_its_timeout_is_cut_off_by_it(
    tmp_path: Path,
) -> None:
    inspector = FakeInspector(hold_s=HOLD_S)
    inspector.hold = threading.Event()  # the stored session's read hangs until released
    profile = closed(tmp_path)
    service = service_on(tmp_path, FakeDriver(lambda path: logs_out()), inspector)
    try:
        with pytest.raises(TimeoutError):
            await asyncio.wait_for(service.probe(profile), TIMEOUT_S)
    finally:
        inspector.hold.set()
    assert inspector.calls == [("stored", profile.user_data_dir, False)]
    assert inspector.held_out == 0  # cut off by the timeout, not by the hold running out


async def test_a_warm_logout_waits_for_a_slow_endpoint_proof_with_the_loop_free(
    tmp_path: Path,
) -> None:
    inspector = FakeInspector(hold_s=HOLD_S)
    user_data_dir = tmp_path / "live"
    user_data_dir.mkdir()
    inspector.live(user_data_dir, ENDPOINT)
    profile = ProfileSettings(name="live", user_data_dir=user_data_dir)
    service = service_on(tmp_path, FakeDriver(lambda path: logs_out()), inspector)
    inspector.hold, inspector.held = threading.Event(), ("endpoint",)
    logout = asyncio.create_task(service.logout(profile, Trigger.IDLE, 30.0))
    # This test runs on the loop while the endpoint proof hangs in its thread, and releases it.
    while not any(call[0] == "endpoint" for call in inspector.calls):
        await asyncio.sleep(0.01)
    assert not logout.done()
    inspector.hold.set()
    outcome = await logout
    assert outcome.result.value == "logged_out", outcome
    assert [call[0] for call in inspector.calls] == ["lock", "endpoint"]
    assert inspector.held_out == 0  # released by this test, on the loop, not by the hold's end


Operation = Callable[[SessionService, ProfileSettings], Awaitable[object]]
OPERATIONS: dict[str, Operation] = {
    "logout": lambda service, profile: service.logout(profile, Trigger.IDLE, 30.0),
    "probe": lambda service, profile: service.probe(profile),
    "linked_now": lambda service, profile: service.linked_now(profile),
    "page_linked": lambda service, profile: service.page_linked(profile),
    "browser_running": lambda service, profile: service.browser_running(profile),
    "read_page": lambda service, profile: service.read_page(profile, with_state=True),
    "show_warning": lambda service, profile: service.show_warning(profile, 1),
    "idle": lambda service, profile: service.page_input_idle_seconds(profile),
    "scrub_closed": lambda service, profile: service.scrub_closed(profile),
}


@pytest.mark.parametrize("live", [True, False], ids=["live", "closed"])
@pytest.mark.parametrize("name", sorted(OPERATIONS))
async def test_no_question_to_the_inspector_is_asked_on_the_event_loop(
    tmp_path: Path, name: str, live: bool
) -> None:
    inspector = FakeInspector()
    profile = closed(tmp_path)
    if live:
        inspector.live(profile.user_data_dir, ENDPOINT)
    service = service_on(tmp_path, FakeDriver(lambda path: logs_out()), inspector)
    await OPERATIONS[name](service, profile)
    assert inspector.calls, f"{name} asked the inspector nothing"
    on_loop = [call for call in inspector.calls if call[2]]
    assert on_loop == [], f"{name} asked on the event loop: {on_loop}"
