"""The shipped library.toml and hotel.toml, run as a normal (non-root) user, end to end.

Reported on main: they named /var paths, so for a normal user check-config said ok while run
exited 2 (permission denied). Now they keep state in ~/.local/state/kioskguard: this test runs
them as the unprivileged user "nobody" (through setpriv; as the current user when the tests do
not run as root) with a HOME of their own, a linked session stored in the default managed
profile, and systemd's notify socket; SIGTERM must log the session out (cold) and say so in
the user's own audit file, with READY, STATUS and STOPPING sent to the service manager.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from playwright.async_api import Playwright

from agent.browser.discovery import Browser
from agent.simulator.testing import SimulatorHandle
from tests.daemon_integration.conftest import REPOSITORY, wait_until
from tests.daemon_integration.test_recovery_and_config import close_like_a_visitor
from tests.session.helpers import link_managed, managed_browser

NOBODY = 65534


@dataclass
class NormalUser:
    """An unprivileged user with a HOME of its own, and how to run a command as them."""

    uid: int
    gid: int
    home: Path

    def command(self, arguments: list[str]) -> list[str]:
        if os.geteuid() != 0:
            return arguments
        return [
            "setpriv",
            f"--reuid={self.uid}",
            f"--regid={self.gid}",
            "--clear-groups",
            *arguments,
        ]

    def environment(self, **extra: str) -> dict[str, str]:
        keep = {
            name: os.environ[name] for name in ("PATH", "LANG", "DISPLAY") if name in os.environ
        }
        return {**keep, "HOME": str(self.home), **extra}

    def give(self, path: Path) -> None:
        """Make path (recursively) the user's own."""
        if os.geteuid() == 0:
            subprocess.run(["chown", "-R", f"{self.uid}:{self.gid}", str(path)], check=True)

    @property
    def state_dir(self) -> Path:
        return self.home / ".local" / "state" / "kioskguard"


@pytest.fixture
def normal_user() -> Iterator[NormalUser]:
    home = Path(tempfile.mkdtemp(prefix="kioskguard-user-"))
    home.chmod(0o755)
    user = (
        NormalUser(NOBODY, NOBODY, home)
        if os.geteuid() == 0
        else NormalUser(os.getuid(), os.getgid(), home)
    )
    user.give(home)
    yield user
    shutil.rmtree(home, ignore_errors=True)


@pytest.fixture
def notify_socket(normal_user: NormalUser) -> Iterator[socket.socket]:
    """A datagram socket standing in for systemd's NOTIFY_SOCKET, writable by the user."""
    directory = Path(tempfile.mkdtemp(prefix="kg-notify-"))
    directory.chmod(0o755)
    path = directory / "notify"
    receiver = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    receiver.bind(str(path))
    path.chmod(0o777)
    receiver.settimeout(0.2)
    yield receiver
    receiver.close()
    shutil.rmtree(directory, ignore_errors=True)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def kioskguard_as(user: NormalUser, *arguments: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        user.command([sys.executable, "-m", "agent", *arguments]),
        cwd=REPOSITORY,
        env=user.environment(),
        capture_output=True,
        text=True,
        timeout=60,
    )


@pytest.mark.parametrize("name", ["library.toml", "hotel.toml"])
def test_check_config_as_a_normal_user_accepts_the_shipped_file(
    normal_user: NormalUser, name: str
) -> None:
    result = kioskguard_as(normal_user, "check-config", str(REPOSITORY / "config" / name))
    assert result.returncode == 0, result.stderr


def test_check_config_as_a_normal_user_rejects_a_state_dir_they_cannot_write(
    normal_user: NormalUser,
) -> None:
    config = normal_user.home / "system.toml"
    config.write_text('[general]\nstate_dir = "/var/lib/kioskguard-test-system"\n')
    if os.geteuid() != 0 and os.access("/var/lib", os.W_OK):
        pytest.fail("this test needs a user who cannot write /var/lib")
    result = kioskguard_as(normal_user, "check-config", str(config))
    assert result.returncode == 2
    assert "general.state_dir: '/var/lib/kioskguard-test-system': cannot be created" in (
        result.stderr
    )


@pytest.mark.browser
@pytest.mark.parametrize("name", ["library.toml", "hotel.toml"])
async def test_shipped_config_as_a_normal_user_logs_the_stored_session_out_at_start(
    name: str,
    normal_user: NormalUser,
    notify_socket: socket.socket,
    sim: SimulatorHandle,
    browser_executable: Browser,
    playwright: Playwright,
) -> None:
    profile = normal_user.state_dir / "browser-profile"  # the default managed profile
    with managed_browser(browser_executable, profile, sim.url) as browser:
        await link_managed(profile, sim)
        await close_like_a_visitor(playwright, profile)  # the session stays stored
        browser.wait(timeout=30)
    normal_user.give(normal_user.home)
    environment = normal_user.environment(
        KIOSKGUARD_BROWSER=str(browser_executable.path),  # the README's advice
        KIOSKGUARD_GENERAL__CLIENT_URL=sim.url,
        KIOSKGUARD_METRICS__LISTEN=f"127.0.0.1:{free_port()}",
        # the shipped 4 s fits a quiet PC; a loaded test machine gets room for a cold relaunch
        KIOSKGUARD_LOGOUT__SHUTDOWN_DEADLINE_S="60",
        NOTIFY_SOCKET=notify_socket.getsockname(),
    )
    log = normal_user.home / "daemon.log"
    with open(log, "wb") as output:
        process = subprocess.Popen(
            normal_user.command(
                [
                    sys.executable,
                    "-m",
                    "agent",
                    "run",
                    "--config",
                    str(REPOSITORY / "config" / name),
                ]
            ),
            cwd=REPOSITORY,
            env=environment,
            stdin=subprocess.DEVNULL,
            stdout=output,
            stderr=subprocess.STDOUT,
        )
    messages: list[str] = []

    def received(text: str) -> bool:
        with contextlib.suppress(TimeoutError):
            messages.append(notify_socket.recv(4096).decode())
        if process.poll() is not None:
            pytest.fail(f"daemon exited {process.returncode}:\n{log.read_text()}")
        return any(text in message for message in messages)

    try:
        wait_until(lambda: received("READY=1"), "READY=1 on NOTIFY_SOCKET")
        wait_until(lambda: received("STATUS=guarding 1 profile(s)"), "STATUS=guarding")
        process.terminate()
        assert process.wait(timeout=120) == 0, log.read_text()
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    with contextlib.suppress(TimeoutError):
        while True:
            messages.append(notify_socket.recv(4096).decode())
    assert "STOPPING=1" in messages, messages
    audit_file = normal_user.state_dir / "audit.jsonl"
    # The state rule logs the stored session out at start, before READY=1 (no browser runs);
    # the SIGTERM then finds nothing linked and writes no line.
    (record,) = [json.loads(line) for line in audit_file.read_text().splitlines()]
    assert (record["trigger"], record["result"], record["path"], record["verified"]) == (
        "browser_closed",
        "logged_out",
        "cold",
        True,
    )
    assert "found at start" in record["notes"][0], record
    assert sim.devices() == []
    assert audit_file.stat().st_uid == normal_user.uid
    assert "Traceback" not in log.read_text()
