"""``kioskguard browser``: open the managed kiosk browser visitors use, on the agent's profile.

With ``--guarded`` (the guarded desktop mode) it opens nothing itself: it asks the daemon,
which runs as its own account, to open the browser on this display, over the daemon's socket
(agent/daemon/open_request.py). That side holds no secret and can ask for nothing else.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from agent.browser.opener import open_managed
from agent.commands.common import add_profile_options, resolve
from agent.daemon.open_request import DEFAULT_SOCKET, request_open
from agent.session.service import SessionService


def configure(parser: argparse.ArgumentParser) -> None:
    add_profile_options(parser, json_output=False)
    parser.add_argument(
        "--port", type=int, default=None, help="DevTools port on 127.0.0.1 (0: any free port)"
    )
    parser.add_argument("--headless", action="store_true", help="no window (tests, containers)")
    parser.add_argument(
        "--kiosk",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="a full-screen kiosk window (default: browser.kiosk_window)",
    )
    parser.add_argument(
        "--guarded",
        action="store_true",
        help="guarded desktop mode: ask the daemon (its own account) to open the browser",
    )
    parser.add_argument(
        "--socket",
        type=Path,
        default=DEFAULT_SOCKET,
        help=f"with --guarded: the daemon's socket (default {DEFAULT_SOCKET})",
    )


def run(args: argparse.Namespace) -> int:
    if args.guarded:
        print(f"browser: {request_open(args.socket)}", flush=True)
        return 0
    settings, profile = resolve(args, must_exist=False)
    port = settings.browser.debugging_port if args.port is None else args.port
    executable = SessionService(settings).executable()
    url = profile.url or settings.general.client_url
    kiosk = settings.browser.kiosk_window if args.kiosk is None else args.kiosk
    opened = open_managed(
        executable, profile.user_data_dir, url, port, headless=args.headless, kiosk=kiosk
    )
    print("\n".join(opened.lines), flush=True)
    return 0
