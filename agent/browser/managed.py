"""The managed kiosk browser: the one visitors use, on a profile the agent owns.

It is an ordinary headed browser process started with a non-default --user-data-dir (so even
branded Chrome 136+ accepts a debugging port) and a DevTools port on 127.0.0.1, which lets the
agent attach while it runs. It is started detached: it outlives the command that opened it.
Chromium records the port it bound in <user-data-dir>/DevToolsActivePort.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import urllib.error
import urllib.request
from pathlib import Path

from agent.browser.discovery import QUIET_ARGS, Browser
from agent.browser.driver import PROFILE_COMPATIBLE_ARGS


def managed_command(
    executable: Browser,
    user_data_dir: Path,
    url: str,
    port: int = 0,
    headless: bool = False,
    extra_args: tuple[str, ...] = (),
) -> list[str]:
    """Return the command line of the managed browser (port 0: Chromium picks a free one)."""
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
) -> subprocess.Popen[bytes]:
    """Start the managed browser detached and return its process."""
    user_data_dir.mkdir(parents=True, exist_ok=True)
    (user_data_dir / "DevToolsActivePort").unlink(missing_ok=True)
    output = open(log_path, "ab") if log_path else subprocess.DEVNULL  # noqa: SIM115
    options: dict[str, object] = {}
    if sys.platform == "win32":
        options["creationflags"] = subprocess.CREATE_NEW_PROCESS_GROUP
    else:
        options["start_new_session"] = True
    return subprocess.Popen(  # type: ignore[call-overload,no-any-return]
        managed_command(executable, user_data_dir, url, port, headless),
        stdin=subprocess.DEVNULL,
        stdout=output,
        stderr=output,
        **options,
    )


def devtools_port(user_data_dir: Path) -> int | None:
    """Return the DevTools port the browser on this profile wrote, or None."""
    try:
        first_line = (user_data_dir / "DevToolsActivePort").read_text().splitlines()[0]
        return int(first_line)
    except (OSError, IndexError, ValueError):
        return None


def browser_websocket(port: int, timeout_s: float = 1.0) -> str | None:
    """Return the browser-level DevTools WebSocket URL on 127.0.0.1:port, None if none answers."""
    try:
        with urllib.request.urlopen(
            f"http://127.0.0.1:{port}/json/version", timeout=timeout_s
        ) as response:
            url = json.loads(response.read()).get("webSocketDebuggerUrl")
    except (OSError, ValueError, AttributeError, urllib.error.URLError):
        return None
    return url if isinstance(url, str) and url.startswith("ws://") else None


def running_endpoint(user_data_dir: Path, timeout_s: float = 1.0) -> str | None:
    """Return the CDP endpoint of the browser running on this profile, or None if none answers.

    The endpoint is the browser's WebSocket URL, which the check has just read: attaching then
    needs no second HTTP round trip.
    """
    port = devtools_port(user_data_dir)
    return browser_websocket(port, timeout_s) if port else None
