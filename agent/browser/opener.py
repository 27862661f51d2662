"""Open the managed browser on a profile, or find it already open: what ``kioskguard browser``
does, and what the guarded desktop mode's daemon does when a visitor asks for the browser.

Nothing is started on a profile another browser holds, on a port another program listens on,
or on a profile locked by another computer (answered ProfileBusy, naming why).
"""

from __future__ import annotations

import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

from agent.browser.discovery import Browser
from agent.browser.endpoint import find_endpoint
from agent.browser.locks import LockState, read_lock
from agent.browser.managed import port_in_use, running_endpoint, start_managed
from agent.errors import ConfigError, DriverError, ProfileBusy

START_WAIT_S = 30.0


@dataclass(frozen=True)
class Opened:
    """The browser on a profile: its proven endpoint, and the process if this call started it."""

    endpoint: str
    process: subprocess.Popen[bytes] | None
    lines: tuple[str, ...]


def open_managed(
    executable: Browser,
    user_data_dir: Path,
    url: str,
    port: int,
    *,
    headless: bool = False,
    kiosk: bool = False,
) -> Opened:
    """Given the browser, a profile, the client URL and a DevTools port (0: any free one),
    return the browser running on it: the one already there (its endpoint proven), else one
    started now whose endpoint answered.

    Raise ConfigError for a port out of range; ProfileBusy if another browser, another program
    or another computer holds the profile or the port; DriverError if the started browser
    exited or its port did not answer within START_WAIT_S.
    """
    if not 0 <= port <= 65535:
        raise ConfigError(f"--port {port}: must be 0 (any free port) or 1-65535")
    user_data_dir.mkdir(parents=True, exist_ok=True)
    lock = read_lock(user_data_dir)
    if lock.state is LockState.LIVE:
        check = find_endpoint(user_data_dir, port)
        if check.endpoint:
            line = f"browser: already running on {user_data_dir} ({check.endpoint})"
            return Opened(check.endpoint, None, (line,))
        raise ProfileBusy(
            f"{user_data_dir} is open in a browser without a debugging port proven to be"
            f" its own ({check.reason})"
        )
    if lock.state is LockState.FOREIGN:
        raise ProfileBusy(f"{user_data_dir} is locked by another computer: {lock.detail}")
    if lock.state is LockState.AGENT:
        raise ProfileBusy(f"{user_data_dir} is busy: {lock.detail}; try again shortly")
    if port_in_use(port):
        raise ProfileBusy(
            f"port {port} on 127.0.0.1 is already in use by another program: set"
            " browser.debugging_port (or --port) to a free port, or 0 for any free port"
        )
    process = start_managed(executable, user_data_dir, url, port, headless=headless, kiosk=kiosk)
    deadline = time.monotonic() + START_WAIT_S
    while time.monotonic() < deadline:
        endpoint = running_endpoint(user_data_dir, timeout_s=0.5, port=port or None)
        if endpoint:
            return Opened(
                endpoint,
                process,
                (
                    f"browser: {executable.kind} pid {process.pid} on {user_data_dir}",
                    f"browser: DevTools on {endpoint} (loopback only); client {url}",
                ),
            )
        if process.poll() is not None:
            raise DriverError(
                f"the browser exited with status {process.returncode} at start"
                " (another browser may have taken the profile)"
            )
        time.sleep(0.1)
    raise DriverError(
        f"the browser started but its DevTools port {port} did not answer in {START_WAIT_S:g} s"
    )
