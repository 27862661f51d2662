"""The managed kiosk browser: the one visitors use, on a profile the agent owns.

It is an ordinary headed browser process started with a non-default --user-data-dir (so even
branded Chrome 136+ accepts a debugging port) and a DevTools port on 127.0.0.1, which lets the
agent attach while it runs. It is started detached: it outlives the command that opened it.
Chromium records the port in <user-data-dir>/DevToolsActivePort only when started with port 0;
with a fixed port (the default, 9222) the agent finds it through the configuration.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from pathlib import Path

from agent.browser.discovery import PROFILE_COMPATIBLE_ARGS, QUIET_ARGS, Browser
from agent.browser.endpoint import DEFAULT_PORT, devtools_port, find_endpoint

__all__ = ["devtools_port", "managed_command", "port_in_use", "running_endpoint", "start_managed"]


def managed_command(
    executable: Browser,
    user_data_dir: Path,
    url: str,
    port: int = 0,
    headless: bool = False,
    extra_args: tuple[str, ...] = (),
    kiosk: bool = False,
) -> list[str]:
    """Return the command line of the managed browser (port 0: Chromium picks a free one;
    kiosk: a full-screen kiosk window)."""
    command = [
        str(executable.path),
        f"--user-data-dir={user_data_dir}",
        f"--remote-debugging-port={port}",
        "--remote-debugging-address=127.0.0.1",
        *QUIET_ARGS,
        *PROFILE_COMPATIBLE_ARGS,
        "--disable-session-crashed-bubble",
        "--hide-crash-restore-bubble",
    ]
    if headless:
        command.append("--headless=new")
    elif kiosk:
        command.append("--kiosk")
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        command.append("--no-sandbox")  # Chromium refuses to run as root with its sandbox
    return [*command, *extra_args, url]


def start_managed(
    executable: Browser,
    user_data_dir: Path,
    url: str,
    port: int = 0,
    headless: bool = False,
    log_path: Path | None = None,
    kiosk: bool = False,
) -> subprocess.Popen[bytes]:
    """Start the managed browser detached and return its process (kiosk: full-screen)."""
    user_data_dir.mkdir(parents=True, exist_ok=True)
    (user_data_dir / "DevToolsActivePort").unlink(missing_ok=True)
    output = open(log_path, "ab") if log_path else subprocess.DEVNULL  # noqa: SIM115
    options: dict[str, object] = {}
    if sys.platform == "win32":
        options["creationflags"] = subprocess.CREATE_NEW_PROCESS_GROUP
    else:
        options["start_new_session"] = True
    return subprocess.Popen(  # type: ignore[call-overload,no-any-return]
        managed_command(executable, user_data_dir, url, port, headless, kiosk=kiosk),
        stdin=subprocess.DEVNULL,
        stdout=output,
        stderr=output,
        **options,
    )


def port_in_use(port: int) -> bool:
    """Return True if something already listens on 127.0.0.1:port (port 0: never)."""
    if port == 0:
        return False
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.settimeout(0.5)
        return probe.connect_ex(("127.0.0.1", port)) == 0


def running_endpoint(
    user_data_dir: Path, timeout_s: float = 1.0, port: int | None = DEFAULT_PORT
) -> str | None:
    """Return the CDP endpoint of the browser running on this profile, or None.

    Found through DevToolsActivePort (port 0 launches) or the configured port, and used only
    when proven to belong to this profile's browser (agent.browser.endpoint). The endpoint is
    the browser's WebSocket URL: attaching then needs no second HTTP round trip.
    """
    return find_endpoint(user_data_dir, port, timeout_s).endpoint
