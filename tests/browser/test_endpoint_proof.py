"""Which DevTools endpoint belongs to a profile (agent.browser.endpoint), with real browsers."""

from __future__ import annotations

import os
import socket
from pathlib import Path

import pytest

from agent.browser.discovery import Browser
from agent.browser.endpoint import find_endpoint, named_user_data_dir
from agent.browser.locks import LockState, read_lock
from agent.browser.managed import devtools_port
from agent.simulator.testing import SimulatorHandle
from tests.session.helpers import managed_browser


@pytest.mark.parametrize(
    ("command_line", "named"),
    [
        (["chromium", "--user-data-dir=/p", "about:blank"], "/p"),
        (["chromium", "--user-data-dir", "/p"], "/p"),
        (["chromium", "about:blank"], None),
    ],
)
def test_user_data_dir_is_read_from_either_flag_form(
    command_line: list[str], named: str | None
) -> None:
    assert named_user_data_dir(command_line) == named


@pytest.mark.browser
def test_managed_browser_port_is_proven_by_its_lock_and_its_socket(
    tmp_path: Path, browser_executable: Browser, sim: SimulatorHandle, managed_port: int
) -> None:
    profile = tmp_path / "profile"
    with managed_browser(browser_executable, profile, sim.url, port=managed_port):
        check = find_endpoint(profile, 9222)
        assert check.endpoint and check.port == (managed_port or devtools_port(profile))


@pytest.mark.browser
def test_lock_naming_another_profiles_browser_proves_nothing(
    tmp_path: Path, browser_executable: Browser, sim: SimulatorHandle
) -> None:
    """A lock copied along with a profile (or a reused PID) names a live browser that serves a
    port, but that browser runs another user data dir: not this profile's endpoint."""
    other = tmp_path / "other"
    mine = tmp_path / "mine"
    mine.mkdir()
    with managed_browser(browser_executable, other, sim.url):
        port = devtools_port(other)
        assert port
        other_lock = read_lock(other)
        assert other_lock.state is LockState.LIVE and other_lock.pid
        (mine / "SingletonLock").symlink_to(f"{socket.gethostname()}-{other_lock.pid}")
        assert read_lock(mine).state is LockState.LIVE  # a live browser holds "mine"
        (mine / "DevToolsActivePort").write_text(f"{port}\n/devtools/browser/x")
        check = find_endpoint(mine, None)
        assert check.endpoint is None, check
        assert find_endpoint(other, None).endpoint  # its own profile is proven
    assert os.path.islink(mine / "SingletonLock")
