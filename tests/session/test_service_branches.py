"""SessionService branch by branch on the shipped FakeDriver and FakeInspector (no browser).

The way in is chosen by the real service on what the FakeInspector answers: a live lock with a
proven endpoint, none, or a closed profile whose stored session cannot be told (so it is
relaunched). Two tests read the host for real through HostInspector: a real SingletonLock naming
a running process called "chromium" (a copy of sleep) that serves no DevTools port, and a closed
profile whose storage the real offline probe cannot read.
"""

from __future__ import annotations

import asyncio
import shutil
import socket
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from agent.browser.locks import LockState, ProfileLock
from agent.errors import BrowserClosed, DeadlineExceeded, DriverError
from agent.outcome import Action, Linked, LogoutPath, Result, Trigger, WarningResult
from agent.session.fake_inspector import FakeInspector
from agent.session.fakes import FakeDriver, FakeTab, chats, confirm_dialog, item, opener
from agent.session.outcomes import LOCAL_ONLY_NOTE
from agent.session.service import SessionService
from agent.settings import ProfileSettings, Settings

ENDPOINT = "ws://127.0.0.1:9/devtools/browser/fake"
BOTH = [opener("menu"), opener("settings")]


def settings(tmp_path: Path, **logout: object) -> Settings:
    general = {"state_dir": str(tmp_path / "state"), "client_url": "http://127.0.0.1:1/"}
    return Settings.model_validate({"general": general, "logout": logout})


def logs_out(unpair_answered: bool | None = True) -> FakeTab:
    """A chat list whose menu -> Log out -> confirm logs out; the unpair answered or failed."""

    def confirm(tab: FakeTab) -> None:
        if unpair_answered is True:
            tab.network.answered.append(tab.clock())
        elif unpair_answered is False:
            tab.network.failed.append(tab.clock())
        tab.log_out()

    return FakeTab(
        chats(openers=BOTH),
        on_click={
            "opener-menu": lambda tab: tab.show(chats(openers=BOTH, logout_item=item())),
            "logout-item": lambda tab: tab.show(confirm_dialog()),
            "confirm": confirm,
        },
    )


def stuck() -> FakeTab:
    """A chat list with no way to log out (no opener, no client function)."""
    return FakeTab(chats())


@pytest.fixture
def inspector() -> FakeInspector:
    return FakeInspector()


@pytest.fixture
def live_profile(tmp_path: Path, inspector: FakeInspector) -> ProfileSettings:
    """A profile a running browser holds, its DevTools endpoint proven (as the inspector says)."""
    user_data_dir = tmp_path / "live"
    user_data_dir.mkdir()
    inspector.live(user_data_dir, ENDPOINT)
    return ProfileSettings(name="live", user_data_dir=user_data_dir)


@pytest.fixture
def host_live_profile(tmp_path: Path) -> Iterator[ProfileSettings]:
    """A profile held by a real running "browser": a live SingletonLock on a tmp dir naming a
    process called chromium (a copy of sleep), which serves no DevTools port."""
    user_data_dir = tmp_path / "live"
    user_data_dir.mkdir()
    sleep = shutil.which("sleep")
    assert sleep, "sleep(1) is needed to stand in for a running browser"
    chromium = tmp_path / "bin" / "chromium"
    chromium.parent.mkdir()
    shutil.copy(sleep, chromium)
    process = subprocess.Popen([str(chromium), "60"])
    try:
        (user_data_dir / "SingletonLock").symlink_to(f"{socket.gethostname()}-{process.pid}")
        yield ProfileSettings(name="live", user_data_dir=user_data_dir)
    finally:
        process.kill()
        process.wait()


@pytest.fixture
def closed_profile(tmp_path: Path) -> ProfileSettings:
    """A closed profile whose storage the offline probe cannot read (neither the real one nor,
    by default, the fake): unknown, so relaunched."""
    user_data_dir = tmp_path / "closed"
    unreadable_storage(user_data_dir)
    return ProfileSettings(name="closed", user_data_dir=user_data_dir)


def unreadable_storage(user_data_dir: Path) -> None:
    """Make a Chromium user data dir whose Local Storage has a layout the probe cannot read."""
    local_storage = user_data_dir / "Default" / "Local Storage"
    local_storage.mkdir(parents=True)
    (local_storage / "not-a-browser-file").write_text("?")


def service_on(
    tmp_path: Path,
    driver: FakeDriver,
    inspector: FakeInspector | None = None,
    **logout: object,
) -> SessionService:
    """The real service on the fake driver (sharing its clock) and the given inspector; None
    reads the host for real (HostInspector: real files and locks)."""
    return SessionService(
        settings(tmp_path, **logout), driver, clock=driver.clock, inspector=inspector
    )


async def test_live_lock_with_proven_endpoint_attaches_warm_and_logs_out(
    tmp_path: Path, inspector: FakeInspector, live_profile: ProfileSettings
) -> None:
    driver = FakeDriver(lambda path: logs_out())
    outcome = await service_on(tmp_path, driver, inspector).logout(live_profile, Trigger.IDLE, 30.0)
    assert outcome.result is Result.LOGGED_OUT, outcome
    assert outcome.path is LogoutPath.WARM and outcome.action is Action.IN_PAGE_LOGOUT
    assert outcome.how == "ui:menu" and outcome.verified and outcome.device_unlinked is True
    assert driver.attaches == [(ENDPOINT, True)] and driver.launches == []
    assert driver.closes == [LogoutPath.WARM]


async def test_live_lock_without_proven_endpoint_is_busy_and_never_attached(
    tmp_path: Path, inspector: FakeInspector
) -> None:
    user_data_dir = tmp_path / "live"
    user_data_dir.mkdir()
    inspector.live(user_data_dir)  # no endpoint proven
    driver = FakeDriver(lambda path: logs_out())
    profile = ProfileSettings(name="live", user_data_dir=user_data_dir)
    outcome = await service_on(tmp_path, driver, inspector).logout(profile, Trigger.IDLE, 5.0)
    assert outcome.result is Result.FAILED and "debugging port" in (outcome.error or "")
    assert driver.attaches == [] and driver.launches == [] and driver.closes == []


@pytest.mark.parametrize(
    ("state", "says"), [(LockState.FOREIGN, "another computer"), (LockState.AGENT, "is busy")]
)
async def test_profile_held_by_another_computer_or_kioskguard_is_busy_and_never_opened(
    tmp_path: Path, inspector: FakeInspector, state: LockState, says: str
) -> None:
    user_data_dir = tmp_path / "held"
    unreadable_storage(user_data_dir)
    inspector.locks[user_data_dir] = ProfileLock(state, detail="held (fake)")
    driver = FakeDriver(lambda path: logs_out())
    profile = ProfileSettings(name="held", user_data_dir=user_data_dir)
    outcome = await service_on(tmp_path, driver, inspector).logout(profile, Trigger.IDLE, 5.0)
    assert outcome.result is Result.FAILED and says in (outcome.error or ""), outcome
    assert driver.attaches == [] and driver.launches == [] and driver.started == 0


async def test_real_lock_of_a_process_serving_no_devtools_port_is_busy_and_never_attached(
    tmp_path: Path, host_live_profile: ProfileSettings
) -> None:
    driver = FakeDriver(lambda path: logs_out())
    service = service_on(tmp_path, driver)  # HostInspector
    outcome = await service.logout(host_live_profile, Trigger.IDLE, 5.0)
    assert outcome.result is Result.FAILED and "debugging port" in (outcome.error or "")
    assert driver.attaches == [] and driver.launches == [] and driver.closes == []


@pytest.mark.parametrize("host", [False, True], ids=["fake", "host"])
async def test_closed_profile_with_unknown_storage_is_relaunched_cold(
    tmp_path: Path, inspector: FakeInspector, closed_profile: ProfileSettings, host: bool
) -> None:
    """The fake says it cannot tell; HostInspector runs the real probe on the real files."""
    driver = FakeDriver(lambda path: logs_out())
    service = service_on(tmp_path, driver, None if host else inspector)
    outcome = await service.logout(closed_profile, Trigger.SCHEDULE, 30.0)
    assert outcome.result is Result.LOGGED_OUT, outcome
    assert outcome.path is LogoutPath.COLD and outcome.state_before is not Linked.NOT_LINKED
    assert driver.started == 1 and driver.launches == [closed_profile.user_data_dir]
    assert driver.attaches == [] and driver.closes == [LogoutPath.COLD]
    assert any(note.startswith("relaunched with") for note in outcome.notes)
    assert bool(inspector.calls) is not host


async def test_profile_never_used_needs_no_driver(tmp_path: Path, inspector: FakeInspector) -> None:
    driver = FakeDriver(lambda path: logs_out())
    profile = ProfileSettings(name="new", user_data_dir=tmp_path / "new")
    outcome = await service_on(tmp_path, driver, inspector).logout(profile, Trigger.SCHEDULE, 30.0)
    assert outcome.result is Result.NOTHING_TO_DO and outcome.path is LogoutPath.OFFLINE
    assert driver.attaches == [] and driver.launches == [] and driver.started == 0


async def test_unpair_not_answered_is_local_only(
    tmp_path: Path, inspector: FakeInspector, live_profile: ProfileSettings
) -> None:
    driver = FakeDriver(lambda path: logs_out(unpair_answered=False))
    outcome = await service_on(tmp_path, driver, inspector).logout(live_profile, Trigger.IDLE, 30.0)
    assert outcome.result is Result.LOCAL_ONLY and outcome.verified, outcome
    assert outcome.device_unlinked is False and outcome.action is Action.IN_PAGE_LOGOUT
    assert outcome.error == "the client could not reach its server to unlink the device"
    # the origin is wiped all the same (what the keys' removal left behind), the action stays
    assert outcome.fallback_used and LOCAL_ONLY_NOTE in outcome.notes
    assert driver.closes == [LogoutPath.WARM]


async def test_stuck_page_is_wiped_by_the_fallback_and_local_only(
    tmp_path: Path, inspector: FakeInspector, live_profile: ProfileSettings
) -> None:
    driver = FakeDriver(lambda path: stuck())
    outcome = await service_on(tmp_path, driver, inspector).logout(live_profile, Trigger.IDLE, 10.0)
    assert outcome.result is Result.LOCAL_ONLY and outcome.fallback_used, outcome
    assert outcome.action is Action.FALLBACK_CLEAR and outcome.how == "wipe"
    assert LOCAL_ONLY_NOTE in outcome.notes
    assert driver.tabs[0].cleared and driver.tabs[0].storage == {}
    assert driver.closes == [LogoutPath.WARM]


async def test_stuck_page_with_fallback_disabled_fails_and_keeps_the_keys(
    tmp_path: Path, inspector: FakeInspector, live_profile: ProfileSettings
) -> None:
    driver = FakeDriver(lambda path: stuck())
    service = service_on(tmp_path, driver, inspector, fallback_clear=False)
    outcome = await service.logout(live_profile, Trigger.IDLE, 10.0)
    assert outcome.result is Result.FAILED and not outcome.fallback_used, outcome
    assert driver.tabs[0].cleared == [] and driver.tabs[0].storage
    assert driver.closes == [LogoutPath.WARM]


async def test_page_that_never_answers_fails_and_nothing_is_cleared(
    tmp_path: Path, inspector: FakeInspector, live_profile: ProfileSettings
) -> None:
    def silent(path: LogoutPath) -> FakeTab:
        tab = stuck()
        tab.failure = DriverError("the renderer does not answer")
        tab.tick = 1.0  # each vain call costs a second of the fake clock: the deadline comes
        return tab

    driver = FakeDriver(silent)
    outcome = await service_on(tmp_path, driver, inspector).logout(live_profile, Trigger.IDLE, 5.0)
    assert outcome.result is Result.FAILED, outcome
    assert "nothing was cleared" in (outcome.error or "")
    assert driver.tabs[0].cleared == [] and not outcome.fallback_used
    assert driver.closes == [LogoutPath.WARM]


async def test_browser_closing_mid_logout_still_closes_the_session(
    tmp_path: Path, inspector: FakeInspector, closed_profile: ProfileSettings
) -> None:
    def closing(path: LogoutPath) -> FakeTab:
        tab = logs_out()

        def closes(tab: FakeTab) -> None:
            tab.failure = BrowserClosed("the browser went away")

        tab.on_click["logout-item"] = closes
        return tab

    driver = FakeDriver(closing)
    outcome = await service_on(tmp_path, driver, inspector).logout(
        closed_profile, Trigger.SCHEDULE, 10.0
    )
    assert outcome.result is Result.FAILED and "went away" in (outcome.error or ""), outcome
    assert driver.closes == [LogoutPath.COLD]


@pytest.mark.parametrize(
    "failure",
    [
        DriverError("cannot open the profile"),
        BrowserClosed("the browser closed at start"),
        DeadlineExceeded("launch did not finish"),
    ],
)
async def test_relaunch_that_fails_is_a_failed_outcome_naming_why(
    tmp_path: Path, inspector: FakeInspector, closed_profile: ProfileSettings, failure: Exception
) -> None:
    driver = FakeDriver(lambda path: logs_out())
    driver.fail_launch = failure
    outcome = await service_on(tmp_path, driver, inspector).logout(
        closed_profile, Trigger.SCHEDULE, 10.0
    )
    assert outcome.result is Result.FAILED and outcome.error == str(failure)
    assert driver.launches == [closed_profile.user_data_dir] and driver.closes == []


async def test_attach_that_fails_is_a_failed_outcome_naming_why(
    tmp_path: Path, inspector: FakeInspector, live_profile: ProfileSettings
) -> None:
    driver = FakeDriver(lambda path: logs_out())
    driver.fail_attach = DriverError("endpoint does not answer")
    outcome = await service_on(tmp_path, driver, inspector).logout(live_profile, Trigger.IDLE, 10.0)
    assert outcome.result is Result.FAILED and outcome.error == "endpoint does not answer"


async def test_dialogs_answered_in_the_tab_are_noted(
    tmp_path: Path, inspector: FakeInspector, live_profile: ProfileSettings
) -> None:
    def with_dialog(path: LogoutPath) -> FakeTab:
        tab = logs_out()
        tab.dialogs.append("alert dismissed")
        return tab

    driver = FakeDriver(with_dialog)
    outcome = await service_on(tmp_path, driver, inspector).logout(live_profile, Trigger.IDLE, 30.0)
    assert outcome.result is Result.LOGGED_OUT and "alert dismissed" in outcome.notes


async def test_closed_profiles_relaunch_at_most_parallel_launches_at_once(
    tmp_path: Path,
    inspector: FakeInspector,
) -> None:
    profiles = []
    for n in range(3):
        user_data_dir = tmp_path / f"seat-{n}"
        unreadable_storage(user_data_dir)
        profiles.append(ProfileSettings(name=f"seat-{n}", user_data_dir=user_data_dir))
    driver = FakeDriver(lambda path: logs_out(), launch_pause_s=0.2)
    service = service_on(tmp_path, driver, inspector, parallel_launches=2)
    outcomes = await asyncio.gather(
        *(service.logout(seat, Trigger.SCHEDULE, 30.0) for seat in profiles)
    )
    assert [o.result for o in outcomes] == [Result.LOGGED_OUT] * 3, outcomes
    assert driver.peak == 2  # two at once, the third waited for a slot
    assert driver.closes == [LogoutPath.COLD] * 3


async def test_reading_the_page_attaches_without_opening_a_tab_and_leaves_it_as_found(
    tmp_path: Path, inspector: FakeInspector, live_profile: ProfileSettings
) -> None:
    driver = FakeDriver(lambda path: logs_out())
    reading = await service_on(tmp_path, driver, inspector).read_page(live_profile, with_state=True)
    assert reading.linked is Linked.LINKED and reading.state == "chats", reading
    assert driver.attaches == [(ENDPOINT, False)]  # never opens one in the visitor's browser
    assert driver.tabs[0].left == 1 and driver.closes == [LogoutPath.WARM]


async def test_reading_only_the_keys_leaves_no_marks_to_remove(
    tmp_path: Path, inspector: FakeInspector, live_profile: ProfileSettings
) -> None:
    driver = FakeDriver(lambda path: logs_out())
    reading = await service_on(tmp_path, driver, inspector).read_page(live_profile)
    assert reading.linked is Linked.LINKED and reading.state is None, reading
    assert driver.tabs[0].left == 0 and driver.tabs[0].arguments == []  # storage only
    assert driver.closes == [LogoutPath.WARM]


async def test_reading_a_page_that_cannot_be_attached_says_why(
    tmp_path: Path, inspector: FakeInspector, live_profile: ProfileSettings
) -> None:
    driver = FakeDriver(lambda path: logs_out())
    driver.fail_attach = DriverError("no client tab open")
    reading = await service_on(tmp_path, driver, inspector).read_page(live_profile)
    assert reading.running and reading.linked is None and reading.error == "no client tab open"
    assert driver.closes == []


async def test_warning_and_idle_read_go_through_the_client_tab_and_close_it(
    tmp_path: Path, inspector: FakeInspector, live_profile: ProfileSettings
) -> None:
    driver = FakeDriver(lambda path: logs_out())
    service = service_on(tmp_path, driver, inspector)
    assert await service.show_warning(live_profile, 5) is WarningResult.UNAVAILABLE  # no banner
    assert await service.page_input_idle_seconds(live_profile) is None  # reading, not a number
    assert driver.attaches == [(ENDPOINT, False)] * 2
    assert [tab.left for tab in driver.tabs] == [0, 0]  # nothing read marks the page there
    assert driver.closes == [LogoutPath.WARM] * 2
    driver.fail_attach = DriverError("gone")
    assert await service.show_warning(live_profile, 5) is WarningResult.UNAVAILABLE
    assert await service.page_input_idle_seconds(live_profile) is None
    assert len(driver.closes) == 2
