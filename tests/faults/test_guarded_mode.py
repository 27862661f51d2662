"""The guarded desktop mode (issue 20 item 2), with real users, a real display and a real daemon.

Two throw-away accounts are created with useradd: the visitor, who owns the X display (Xvfb
started as them, with an MIT cookie, so no other user may connect), and the guard's system
account, which runs `kioskguard run --open-socket` (through setpriv: systemd is not PID 1 here)
with its configuration root:guard 0640, its state directory (audit trail, managed profile)
guard 0700 and the fleet password file root:guard 0640. The visitor grants the guard's account
their display with `xhost +si:localuser:ACCOUNT` (what the visitor-side autostart helper does)
and asks for the browser through the launcher (`kioskguard browser --guarded`): the daemon
starts Chromium headed on the visitor's display as its own child.

As the visitor (runuser): signals to the daemon and to the browser fail with EPERM; editing,
replacing or reading the configuration, deleting the state and reading the fleet password fail.
`systemctl stop` cannot be shown here (no systemd); the system unit is protected by being a
system unit (docs/install-linux.md). Then a session linked in the managed browser is logged out
and verified when the visitor goes idle (X11 idle of the visitor's display), and again when the
visitor closes the browser window (xdotool as the visitor: Ctrl+Shift+W).

Everything runs as root (users, setpriv); as another user the test fails, saying so. The users,
their processes (by PID) and the files are removed at the end, also on failure.
"""

from __future__ import annotations

import contextlib
import json
import os
import secrets
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import psutil
import pytest
from playwright.async_api import Error as PlaywrightError
from playwright.async_api import Playwright

from agent.browser.discovery import Browser
from agent.browser.endpoint import find_endpoint
from agent.browser.locks import LockState, read_lock
from agent.browser.managed import running_endpoint
from agent.simulator.testing import SimulatorHandle
from tests.daemon_integration.conftest import REPOSITORY, wait_until, write_config
from tests.daemon_integration.test_shipped_configs_as_user import free_port
from tests.session.helpers import link_managed, stored_on_disk

pytestmark = [pytest.mark.browser, pytest.mark.x11, pytest.mark.timeout(600)]

PASSWORD = "fleet-secret-not-for-visitors"
POLICIES = REPOSITORY / "config" / "chromium" / "kioskguard-guarded.json"
DESKTOP = REPOSITORY / "config" / "desktop"


def shipped_exec(name: str) -> list[str]:
    """Given a shipped desktop entry of the guarded mode, return its Exec= words."""
    lines = (DESKTOP / name).read_text(encoding="utf-8").splitlines()
    (command,) = (line.removeprefix("Exec=") for line in lines if line.startswith("Exec="))
    return command.split()


def _run(arguments: list[str], **options: Any) -> subprocess.CompletedProcess[str]:
    return subprocess.run(arguments, capture_output=True, text=True, timeout=60, **options)


@dataclass
class Site:
    """A kiosk in guarded mode: the two accounts, the files, the display, the daemon."""

    base: Path
    visitor: str
    guard: str
    display: str = ""
    port: int = field(default_factory=free_port)
    daemon: subprocess.Popen[bytes] | None = None
    started: list[subprocess.Popen[bytes]] = field(default_factory=list)

    @property
    def config(self) -> Path:
        return self.base / "etc" / "kioskguard.toml"

    @property
    def password(self) -> Path:
        return self.base / "etc" / "mqtt-password"

    @property
    def state(self) -> Path:
        return self.base / "state"

    @property
    def socket(self) -> Path:
        return self.base / "run" / "open.sock"

    @property
    def profile(self) -> Path:
        return self.state / "browser-profile"

    @property
    def xauthority(self) -> Path:
        return self.base / "visitor" / ".Xauthority"

    def uid(self, name: str) -> int:
        return int(_run(["id", "-u", name], check=True).stdout)

    def as_visitor(self, *arguments: str) -> subprocess.CompletedProcess[str]:
        """Run a command as the visitor in their X session (runuser, their own environment)."""
        return _run(
            [
                "runuser",
                "-u",
                self.visitor,
                "--",
                "env",
                f"HOME={self.base / 'visitor'}",
                f"DISPLAY={self.display}",
                f"XAUTHORITY={self.xauthority}",
                f"PATH={os.environ['PATH']}",
                *arguments,
            ],
            cwd=REPOSITORY,
        )

    def as_guard(self, *arguments: str, **env: str) -> list[str]:
        return [
            "setpriv",
            f"--reuid={self.guard}",
            f"--regid={self.guard}",
            "--init-groups",
            "env",
            "-i",
            f"HOME={self.base / 'guard-home'}",
            f"PATH={os.environ['PATH']}",
            f"DISPLAY={self.display}",
            *(f"{name}={value}" for name, value in env.items()),
            *arguments,
        ]

    def log(self) -> str:
        return (self.base / "daemon.log").read_text(encoding="utf-8", errors="replace")

    def audit(self, trigger: str) -> list[dict[str, Any]]:
        path = self.state / "audit.jsonl"
        lines = path.read_text(encoding="utf-8").splitlines() if path.exists() else []
        return [entry for line in lines if (entry := json.loads(line))["trigger"] == trigger]

    def wait_for_audit(self, trigger: str, timeout_s: float = 180.0) -> dict[str, Any]:
        def found() -> dict[str, Any] | None:
            assert self.daemon is not None
            if self.daemon.poll() is not None:
                pytest.fail(f"the daemon exited {self.daemon.returncode}:\n{self.log()}")
            records = self.audit(trigger)
            return records[0] if records else None

        record: dict[str, Any] = wait_until(found, f"an audit line for {trigger}", timeout_s)
        return record


def _chown(path: Path, owner: str, group: str, mode: int) -> None:
    shutil.chown(path, owner, group)
    path.chmod(mode)


def _free_display() -> int:
    for number in range(180, 400):
        if (
            not Path(f"/tmp/.X{number}-lock").exists()
            and not Path(f"/tmp/.X11-unix/X{number}").exists()
        ):
            return number
    pytest.fail("no free X display number between 180 and 400")


def _start_display(site: Site) -> None:
    """Xvfb as the visitor, accepting only holders of the visitor's cookie."""
    number = _free_display()
    site.display = f":{number}"
    cookie = secrets.token_hex(16)
    home = site.base / "visitor"
    result = _run(
        [
            *("runuser", "-u", site.visitor, "--", "xauth", "-f", str(site.xauthority), "add"),
            *(site.display, "MIT-MAGIC-COOKIE-1", cookie),
        ],
        env={"HOME": str(home), "PATH": os.environ["PATH"]},
    )
    assert result.returncode == 0, result.stderr
    xvfb = subprocess.Popen(
        [
            *("runuser", "-u", site.visitor, "--", "Xvfb", site.display, "-auth"),
            *(str(site.xauthority), "-noreset", "-nolisten", "tcp", "-screen", "0", "1280x800x24"),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    site.started.append(xvfb)
    wait_until(lambda: Path(f"/tmp/.X11-unix/X{number}").exists(), "Xvfb's socket", 60)
    wait_until(lambda: site.as_visitor("xdotool", "getmouselocation").returncode == 0, "X", 60)


def _guard_opens_display(site: Site) -> subprocess.CompletedProcess[str]:
    code = f"from agent.platform.x11 import X11IdleSource; X11IdleSource({site.display!r})"
    return _run(site.as_guard(sys.executable, "-c", code), cwd=REPOSITORY)


def _write_files(site: Site, sim: SimulatorHandle, executable: Browser) -> None:
    etc = site.base / "etc"
    etc.mkdir(mode=0o755)
    site.password.write_text(PASSWORD + "\n")
    _chown(site.password, "root", site.guard, 0o640)
    write_config(
        site.config,
        {
            "general": {"state_dir": site.state, "client_url": sim.url, "log_level": "DEBUG"},
            "browser": {"executable": executable.path, "debugging_port": site.port},
            "check": {"probe_interval_s": 5, "browser_poll_s": 0.5},
            "idle": {"enabled": True, "source": "x11", "timeout_s": 25, "warning_s": 3},
            "events": {"on_shutdown": False, "on_sleep": False, "on_logoff": False},
            "logout": {"deadline_s": 60, "shutdown_deadline_s": 20},
            "fleet": {
                "enabled": True,
                "broker": "127.0.0.1:1",  # nothing listens: the kiosk retries, the test reads
                "password_file": site.password,
                "tls": False,
            },
        },
    )
    _chown(site.config, "root", site.guard, 0o640)
    site.state.mkdir()
    _chown(site.state, site.guard, site.guard, 0o700)
    (site.base / "run").mkdir()
    _chown(site.base / "run", site.guard, site.guard, 0o755)


def _policies(site: Site) -> Path:
    """A copy of /etc/chromium with the shipped guarded-mode policies in policies/managed/,
    mounted over /etc/chromium for the daemon only (its own mount namespace): policies are
    machine-wide, and other tests on this machine must not get them."""
    etc = site.base / "chromium-etc"
    shutil.copytree("/etc/chromium", etc)
    (etc / "policies" / "managed").mkdir(parents=True)
    shutil.copy(POLICIES, etc / "policies" / "managed" / "kioskguard.json")
    for path in (etc, etc / "policies", etc / "policies" / "managed"):
        path.chmod(0o755)
    return etc


def _start_daemon(site: Site) -> None:
    mount = 'mount --bind "$0" /etc/chromium && exec "$@"'
    with open(site.base / "daemon.log", "wb") as log:
        site.daemon = subprocess.Popen(
            [
                *("unshare", "--mount", "--propagation", "private", "sh", "-c", mount),
                str(_policies(site)),
                *site.as_guard(
                    *(sys.executable, "-m", "agent", "run", "--config", str(site.config)),
                    *("--open-socket", str(site.socket)),
                ),
            ],
            cwd=REPOSITORY,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    site.started.append(site.daemon)

    def ready() -> bool:
        assert site.daemon is not None
        if site.daemon.poll() is not None:
            pytest.fail(f"the daemon exited {site.daemon.returncode}:\n{site.log()}")
        return "kioskguard runs:" in site.log()

    wait_until(ready, "the guarded daemon to run", 120)


def _end_processes_of(uid: int) -> None:
    """Kill, by PID, every process of a throw-away account this test created."""
    for process in psutil.process_iter(["uids"]):
        uids = process.info.get("uids")
        if uids is not None and uid in (uids.real, uids.effective):
            try:
                process.kill()
            except psutil.Error:
                continue


def _cleanup(site: Site) -> None:
    for process in site.started:
        if process.poll() is None:
            process.kill()
        with contextlib.suppress(subprocess.TimeoutExpired):
            process.wait(timeout=30)
    for name in (site.guard, site.visitor):
        if _run(["id", "-u", name]).returncode == 0:
            _end_processes_of(site.uid(name))
            time.sleep(0.5)
            _run(["userdel", name])
    shutil.rmtree(site.base, ignore_errors=True)


@pytest.fixture(scope="module")
def site(simulator: SimulatorHandle, browser_executable: Browser) -> Iterator[Site]:
    if os.geteuid() != 0:
        pytest.fail(
            "the guarded mode test must run as root: it creates the visitor's and the guard's"
            " Unix accounts (useradd) and runs the daemon and the visitor as them"
        )
    for tool in ("useradd", "userdel", "runuser", "setpriv", "Xvfb", "xauth", "xhost", "xdotool"):
        if shutil.which(tool) is None:
            pytest.fail(f"the guarded mode test needs {tool} (xhost: x11-xserver-utils)")
    suffix = secrets.token_hex(3)
    base = Path(tempfile.mkdtemp(prefix="kg-guarded-"))
    base.chmod(0o755)
    site = Site(base, visitor=f"kgvisit{suffix}", guard=f"kgguard{suffix}")
    try:
        for name, home, system in (
            (site.guard, "guard-home", True),
            (site.visitor, "visitor", False),
        ):
            (base / home).mkdir()
            result = _run(
                [
                    *("useradd", *(["--system"] if system else []), "--user-group"),
                    *("--no-create-home", "--home-dir", str(base / home)),
                    *("--shell", "/usr/sbin/nologin", name),
                ]
            )
            assert result.returncode == 0, result.stderr
            _chown(base / home, name, name, 0o700)
        _write_files(site, simulator, browser_executable)
        _start_display(site)
        grant = shipped_exec("kioskguard-guarded-grant.desktop")  # the autostart helper
        assert grant == ["xhost", "+si:localuser:kioskguard"]
        granted = site.as_visitor(*grant[:-1], f"+si:localuser:{site.guard}")
        assert granted.returncode == 0, granted.stderr
        _start_daemon(site)
        yield site
    finally:
        _cleanup(site)


def test_the_visitor_cannot_stop_signal_edit_delete_or_read_the_guard(site: Site) -> None:
    assert site.daemon is not None
    for signal_name in ("TERM", "KILL", "HUP", "STOP", "USR1"):
        result = site.as_visitor("kill", "-s", signal_name, str(site.daemon.pid))
        assert result.returncode != 0 and "Operation not permitted" in result.stderr, result
    assert site.daemon.poll() is None
    before = site.config.read_bytes()
    edits = [
        ("sh", "-c", f"echo '[idle]' >> {site.config}"),
        ("sh", "-c", f"echo 'enabled = false' > {site.config}"),
        ("rm", "-f", str(site.config)),
        ("mv", str(site.config), str(site.base / "visitor" / "taken.toml")),
        ("cp", "/etc/hostname", str(site.config)),
    ]
    for edit in edits:
        result = site.as_visitor(*edit)
        assert result.returncode != 0 and "Permission denied" in result.stderr, (edit, result)
    assert site.config.read_bytes() == before
    for path in (site.config, site.password):
        result = site.as_visitor("cat", str(path))
        assert result.returncode != 0 and "Permission denied" in result.stderr, result
        assert PASSWORD not in result.stdout
    for delete in (
        ("rm", "-rf", str(site.state)),
        ("rm", "-f", str(site.state / "daemon.lock")),
        ("ls", str(site.state)),
    ):
        result = site.as_visitor(*delete)
        assert result.returncode != 0 and "Permission denied" in result.stderr, (delete, result)
    assert (site.state / "daemon.lock").exists() and site.state.stat().st_uid == site.uid(
        site.guard
    )
    assert site.daemon.poll() is None, site.log()


def _visitor_opens_the_browser(site: Site) -> psutil.Process:
    launcher = shipped_exec("kioskguard-guarded-browser.desktop")
    assert launcher == ["/opt/kioskguard/bin/kioskguard", "browser", "--guarded"]
    result = site.as_visitor(
        sys.executable, "-m", "agent", *launcher[1:], "--socket", str(site.socket)
    )
    assert result.returncode == 0, (result.stdout, result.stderr, site.log())
    assert "DevTools on ws://127.0.0.1:" in result.stdout
    lock = read_lock(site.profile)
    assert lock.state is LockState.LIVE and lock.pid is not None
    browser = psutil.Process(lock.pid)
    assert browser.uids().effective == site.uid(site.guard)  # the guard's, not the visitor's
    assert site.daemon is not None and browser.ppid() == site.daemon.pid  # the daemon's child
    assert f"DISPLAY={site.display}" in _run(["cat", f"/proc/{lock.pid}/environ"]).stdout.replace(
        "\0", "\n"
    )
    again = site.as_visitor(
        sys.executable, "-m", "agent", *launcher[1:], "--socket", str(site.socket)
    )
    assert again.returncode == 0 and "already running" in again.stdout, again
    assert read_lock(site.profile).pid == lock.pid  # one browser, not a second
    return browser


def test_the_guard_reaches_the_display_only_once_the_visitor_grants_it(site: Site) -> None:
    """The grant is the visitor-side helper's one job (and the daemon already uses it)."""
    assert "idle source: x11" in site.log()
    revoked = site.as_visitor("xhost", f"-si:localuser:{site.guard}")
    assert revoked.returncode == 0, revoked.stderr
    try:
        refused = _guard_opens_display(site)
        assert refused.returncode != 0 and "cannot open X display" in refused.stderr
    finally:
        granted = site.as_visitor("xhost", f"+si:localuser:{site.guard}")
        assert granted.returncode == 0, granted.stderr
    assert _guard_opens_display(site).returncode == 0


async def _link(site: Site, sim: SimulatorHandle) -> None:
    """Link the client tab of the guard's browser through the phone API (as root, over its
    proven endpoint on the configured port; a loaded machine answers slowly)."""
    await link_managed(site.profile, sim, port=site.port, timeout_s=10.0)


async def _files_are_blocked(site: Site, playwright: Playwright) -> None:
    """The shipped policies are in force in the guard's browser: file:// URLs are refused, so
    the visitor cannot browse the guard account's files through it."""
    check = find_endpoint(site.profile, site.port, timeout_s=10)
    assert check.endpoint, check.reason
    endpoint = check.endpoint
    browser = await playwright.chromium.connect_over_cdp(endpoint)
    try:
        page = await browser.contexts[0].new_page()
        with pytest.raises(PlaywrightError, match="ERR_BLOCKED_BY_ADMINISTRATOR"):
            await page.goto(f"file://{site.base / 'guard-home'}", timeout=30_000)
        await page.close()
    finally:
        await browser.close()  # disconnects; the guard's browser stays open


class _Fidget:
    """The visitor moving the mouse every second (so the idle logout waits) until stopped."""

    def __init__(self, site: Site) -> None:
        self.site = site
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        x = 100
        while not self.stop.wait(1.0):
            x = 300 if x == 100 else 100
            self.site.as_visitor("xdotool", "mousemove", str(x), "200")

    def __enter__(self) -> _Fidget:
        self.thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self.stop.set()
        self.thread.join(timeout=30)


async def test_the_visitors_session_is_logged_out_at_idle_and_when_the_window_closes(
    site: Site, sim: SimulatorHandle, playwright: Playwright
) -> None:
    with _Fidget(site):
        browser = _visitor_opens_the_browser(site)
        kill = site.as_visitor("kill", "-s", "TERM", str(browser.pid))
        assert kill.returncode != 0 and "Operation not permitted" in kill.stderr
        await _files_are_blocked(site, playwright)
        await _link(site, sim)
        assert len(sim.devices()) == 1
    # the visitor walks away: the X display's idle time passes idle.timeout_s
    record = site.wait_for_audit("idle")
    assert (record["result"], record["verified"]) == ("logged_out", True), record
    assert sim.devices() == []
    assert browser.is_running()  # an idle logout leaves the browser open for the next visitor

    with _Fidget(site):
        await _link(site, sim)
        assert len(sim.devices()) == 1
        await stored_on_disk(site.profile, sim.url)  # a visitor reads a while before closing
        windows = site.as_visitor("xdotool", "search", "--onlyvisible", "--class", "chromium")
        assert windows.returncode == 0 and windows.stdout.split(), windows
        window = windows.stdout.split()[-1]
        closing = site.as_visitor(
            "xdotool", "windowfocus", "--sync", window, "key", "--clearmodifiers", "ctrl+shift+w"
        )
        assert closing.returncode == 0, closing.stderr
        wait_until(lambda: not browser.is_running(), "the browser to close", 60)
    record = site.wait_for_audit("browser_closed")
    assert (record["result"], record["verified"]) == ("logged_out", True), record
    assert sim.devices() == []
    assert running_endpoint(site.profile, port=site.port) is None
    # the next visitor asks for the browser again: a new one, on a profile with no session
    following = _visitor_opens_the_browser(site)
    assert following.pid != browser.pid and sim.devices() == []
