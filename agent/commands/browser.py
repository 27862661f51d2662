"""``kioskguard browser``: open the managed kiosk browser visitors use, on the agent's profile."""

from __future__ import annotations

import argparse
import time

from agent.browser.endpoint import find_endpoint
from agent.browser.locks import LockState, read_lock
from agent.browser.managed import port_in_use, running_endpoint, start_managed
from agent.commands.common import add_profile_options, resolve
from agent.errors import ConfigError, DriverError, ProfileBusy
from agent.session.service import SessionService


def configure(parser: argparse.ArgumentParser) -> None:
    add_profile_options(parser, json_output=False)
    parser.add_argument(
        "--port", type=int, default=None, help="DevTools port on 127.0.0.1 (0: any free port)"
    )
    parser.add_argument("--headless", action="store_true", help="no window (tests, containers)")


def run(args: argparse.Namespace) -> int:
    settings, profile = resolve(args, must_exist=False)
    profile.user_data_dir.mkdir(parents=True, exist_ok=True)
    port = settings.browser.debugging_port if args.port is None else args.port
    if not 0 <= port <= 65535:
        raise ConfigError(f"--port {port}: must be 0 (any free port) or 1-65535")
    service = SessionService(settings)
    lock = read_lock(profile.user_data_dir)
    if lock.state is LockState.LIVE:
        check = find_endpoint(profile.user_data_dir, port)
        if check.endpoint:
            print(f"browser: already running on {profile.user_data_dir} ({check.endpoint})")
            return 0
        raise ProfileBusy(
            f"{profile.user_data_dir} is open in a browser without a debugging port proven to be"
            f" its own ({check.reason})"
        )
    if lock.state is LockState.FOREIGN:
        raise ProfileBusy(f"{profile.user_data_dir} is locked by another computer: {lock.detail}")
    if lock.state is LockState.AGENT:
        raise ProfileBusy(f"{profile.user_data_dir} is busy: {lock.detail}; try again shortly")
    if port_in_use(port):
        raise ProfileBusy(
            f"port {port} on 127.0.0.1 is already in use by another program: set"
            " browser.debugging_port (or --port) to a free port, or 0 for any free port"
        )
    executable = service.executable()
    url = profile.url or settings.general.client_url
    process = start_managed(executable, profile.user_data_dir, url, port, headless=args.headless)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        endpoint = running_endpoint(profile.user_data_dir, timeout_s=0.5, port=port or None)
        if endpoint:
            print(f"browser: {executable.kind} pid {process.pid} on {profile.user_data_dir}")
            print(f"browser: DevTools on {endpoint} (loopback only); client {url}", flush=True)
            return 0
        if process.poll() is not None:
            raise DriverError(
                f"the browser exited with status {process.returncode} at start"
                " (another browser may have taken the profile)"
            )
        time.sleep(0.1)
    raise DriverError(f"the browser started but its DevTools port {port} did not answer in 30 s")
