"""SessionService scrubs a closed profile after a logout that removed the session, never after
one that failed (its retry needs the keys). FakeDriver pages, real files and locks."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from agent.browser.locks import SINGLETON_NAMES, LockState, read_lock
from agent.errors import DriverError
from agent.outcome import Linked, Result, Trigger
from agent.probe.leveldb_format import TYPE_DELETION, length_prefixed
from agent.probe.leveldb_write import log_file, write_batch
from agent.probe.probe import probe_profile
from agent.session.fakes import FakeDriver
from agent.settings import ProfileSettings
from tests.browser.test_scrub_rules import item, make_database
from tests.faults.disk_scan import find_values
from tests.session.test_service_branches import logs_out, service_on, stuck

CLIENT = "http://127.0.0.1:1"
SECRETS = {"noise": "noise-secret-value", "account number": "4915112345678"}


def stored_session(tmp_path: Path) -> ProfileSettings:
    """A closed profile whose Local Storage holds the client's session (and another origin's)."""
    user_data_dir = tmp_path / "closed"
    (user_data_dir / "Default").mkdir(parents=True)
    (user_data_dir / "Local State").write_text("{}")
    make_database(
        user_data_dir / "Default" / "Local Storage" / "leveldb",
        [
            (b"VERSION", b"1"),
            (item(CLIENT, "WANoiseInfo"), b"\x01noise-secret-value"),
            (item(CLIENT, "last-wid-md"), b'\x01"4915112345678:3@c.us"'),
            (item("http://localhost:1", "kept"), b"\x01other"),
        ],
    )
    profile = ProfileSettings(name="closed", user_data_dir=user_data_dir)
    assert probe_profile(user_data_dir / "Default", CLIENT).linked is Linked.LINKED
    return profile


async def test_cold_logout_scrubs_the_closed_profile(tmp_path: Path) -> None:
    profile = stored_session(tmp_path)
    driver = FakeDriver(lambda path: logs_out())
    outcome = await service_on(tmp_path, driver).logout(profile, Trigger.MANUAL, 30.0)
    assert outcome.result is Result.LOGGED_OUT, outcome
    assert any(note.startswith("scrubbed Default/Local Storage") for note in outcome.notes)
    assert find_values(profile.user_data_dir, SECRETS) == []
    assert find_values(profile.user_data_dir, {"other": "other"}) != []


async def test_failed_cold_logout_leaves_the_files_for_its_retry(tmp_path: Path) -> None:
    profile = stored_session(tmp_path)
    driver = FakeDriver(lambda path: stuck())  # no way out, and no wipe: failed, not raised
    service = service_on(tmp_path, driver, fallback_clear=False)
    outcome = await service.logout(profile, Trigger.MANUAL, 10.0)
    assert outcome.result is Result.FAILED, outcome
    assert not any(note.startswith("scrub") for note in outcome.notes), outcome.notes
    assert probe_profile(profile.user_data_dir / "Default", CLIENT).linked is Linked.LINKED


async def test_cold_launch_that_fails_scrubs_nothing(tmp_path: Path) -> None:
    profile = stored_session(tmp_path)
    driver = FakeDriver(lambda path: logs_out())
    driver.fail_launch = DriverError("the browser did not start")
    outcome = await service_on(tmp_path, driver).logout(profile, Trigger.MANUAL, 30.0)
    assert outcome.result is Result.FAILED, outcome
    assert probe_profile(profile.user_data_dir / "Default", CLIENT).linked is Linked.LINKED


async def test_scrub_after_a_close_leaves_a_stored_session_alone(tmp_path: Path) -> None:
    profile = stored_session(tmp_path)
    service = service_on(tmp_path, FakeDriver(lambda path: logs_out()))
    assert await service.scrub_closed(profile) == []
    assert probe_profile(profile.user_data_dir / "Default", CLIENT).linked is Linked.LINKED
    assert find_values(profile.user_data_dir, SECRETS) != []


def warm_logout_left(tmp_path: Path) -> ProfileSettings:
    """A closed profile a warm logout left: the session's keys removed (the probe says not
    linked), their old values still readable in the LevelDB log."""
    user_data_dir = tmp_path / "closed"
    (user_data_dir / "Default").mkdir(parents=True)
    (user_data_dir / "Local State").write_text("{}")
    directory = user_data_dir / "Default" / "Local Storage" / "leveldb"
    puts = [
        (b"VERSION", b"1"),
        (item(CLIENT, "WANoiseInfo"), b"\x01noise-secret-value"),
        (item(CLIENT, "last-wid-md"), b'\x01"4915112345678:3@c.us"'),
        (item("http://localhost:1", "kept"), b"\x01other"),
    ]
    removed = [item(CLIENT, "WANoiseInfo"), item(CLIENT, "last-wid-md")]
    deletions = bytearray(
        (10 + len(puts)).to_bytes(8, "little") + len(removed).to_bytes(4, "little")
    )
    for key in removed:  # the page's logout: the keys removed, their old values still in the log
        deletions.append(TYPE_DELETION)
        deletions += length_prefixed(key)
    make_database(directory, puts)
    log = next(directory.glob("*.log"))
    log.write_bytes(log_file([write_batch(10, puts), bytes(deletions)]))
    assert probe_profile(user_data_dir / "Default", CLIENT).linked is Linked.NOT_LINKED
    assert find_values(user_data_dir, SECRETS) != []
    return ProfileSettings(name="closed", user_data_dir=user_data_dir)


async def test_scrub_after_a_close_removes_what_a_warm_logout_left(tmp_path: Path) -> None:
    profile = warm_logout_left(tmp_path)
    service = service_on(tmp_path, FakeDriver(lambda path: logs_out()))
    notes = await service.scrub_closed(profile)
    assert any(note.startswith("scrubbed Default/Local Storage") for note in notes), notes
    assert find_values(profile.user_data_dir, SECRETS) == []
    assert find_values(profile.user_data_dir, {"other": "other"}) != []


@contextmanager
def held(user_data_dir: Path, by: str) -> Iterator[None]:
    """Hold user_data_dir's Singleton* entries for the block, as a browser does: the lock by
    "browser", a live process named chromium on this host; by "another computer", a holder on
    another host."""
    lock = user_data_dir / SINGLETON_NAMES[0]
    (user_data_dir / SINGLETON_NAMES[1]).symlink_to(user_data_dir.parent / "socket-of-the-holder")
    (user_data_dir / SINGLETON_NAMES[2]).symlink_to("8070605040302010")
    if by == "another computer":
        lock.symlink_to("another-kiosk-4242")
        yield
        return
    executable = user_data_dir.parent / "chromium"  # a live process of a browser's name
    shutil.copy("/bin/sleep", executable)
    process = subprocess.Popen([str(executable), "600"])
    try:
        lock.symlink_to(f"{socket.gethostname()}-{process.pid}")
        yield
    finally:
        process.kill()
        process.wait()


def singleton_links(user_data_dir: Path) -> dict[str, str]:
    return {
        name: os.readlink(user_data_dir / name)
        for name in SINGLETON_NAMES
        if (user_data_dir / name).is_symlink()
    }


@pytest.mark.parametrize("by", ["browser", "another computer"])
async def test_scrub_after_a_close_never_touches_a_held_profile(tmp_path: Path, by: str) -> None:
    profile = warm_logout_left(tmp_path)
    service = service_on(tmp_path, FakeDriver(lambda path: logs_out()))
    leveldb = profile.user_data_dir / "Default" / "Local Storage" / "leveldb"
    before = {path.name: path.read_bytes() for path in leveldb.iterdir()}
    with held(profile.user_data_dir, by):
        assert read_lock(profile.user_data_dir).state in (LockState.LIVE, LockState.FOREIGN)
        holder = singleton_links(profile.user_data_dir)
        notes = await service.scrub_closed(profile)
        assert {path.name: path.read_bytes() for path in leveldb.iterdir()} == before
        assert singleton_links(profile.user_data_dir) == holder  # the holder's, untouched
    assert find_values(profile.user_data_dir, SECRETS) != []
    assert notes and not any(note.startswith("scrubbed") for note in notes), notes
