"""``kioskguard simulator``: serve the WhatsApp Web simulator and the phone until a signal."""

from __future__ import annotations

import argparse
import asyncio
import os
import signal
import tempfile
from pathlib import Path

from aiohttp import web

from agent.errors import ConfigError, KioskguardError
from agent.simulator.common import DEFAULT_PHONE
from agent.simulator.config import (
    ALL_LOCALES,
    GENERATIONS,
    LAYOUT_GENERATIONS,
    LAYOUTS,
    SimConfig,
)
from agent.simulator.server import create_app


def _port(text: str) -> int:
    if not text.isdigit() or int(text) > 65535:
        raise argparse.ArgumentTypeError(f"must be a port number 0-65535 (got {text!r})")
    return int(text)


def _phone(text: str) -> str:
    if not (text.isdigit() and 8 <= len(text) <= 15):
        raise argparse.ArgumentTypeError(f"must be 8-15 digits, country code first (got {text!r})")
    return text


def configure(parser: argparse.ArgumentParser) -> None:
    """Add the simulator's options to its subcommand parser."""
    parser.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1)")
    parser.add_argument("--port", type=_port, default=0, help="port; 0 picks a free one")
    parser.add_argument(
        "--db",
        type=Path,
        help="registry file (SQLite); default: $XDG_STATE_HOME/kioskguard/simulator.sqlite3, "
        "or a throwaway file when XDG_STATE_HOME is unset",
    )
    looks = parser.add_mutually_exclusive_group()
    looks.add_argument(
        "--generation", choices=GENERATIONS, help="default markup generation (rail-2024)"
    )
    looks.add_argument(
        "--layout",
        choices=LAYOUTS,
        help="alias: classic = --generation classic-2023, rail = --generation rail-2024",
    )
    parser.add_argument("--locale", choices=ALL_LOCALES, default="en", help="default language")
    parser.add_argument("--phone", type=_phone, default=DEFAULT_PHONE, help="account number")


def default_db_path() -> Path:
    """Return $XDG_STATE_HOME/kioskguard/simulator.sqlite3, or a file in a fresh temp dir."""
    state_home = os.environ.get("XDG_STATE_HOME")
    if state_home:
        return Path(state_home) / "kioskguard" / "simulator.sqlite3"
    return Path(tempfile.mkdtemp(prefix="kioskguard-simulator-")) / "registry.sqlite3"


async def serve(args: argparse.Namespace) -> None:
    """Serve until SIGINT or SIGTERM; print the address line once listening."""
    generation = args.generation or LAYOUT_GENERATIONS[args.layout or "rail"]
    config = SimConfig.model_validate({"generation": generation, "locale": args.locale})
    app = create_app(config, args.db or default_db_path(), args.phone)
    runner = web.AppRunner(app, shutdown_timeout=2)
    await runner.setup()
    try:
        site = web.TCPSite(runner, args.host, args.port)
        try:
            await site.start()
        except OSError as exc:
            raise KioskguardError(f"cannot listen on {args.host}:{args.port}: {exc}") from exc
        host, port = runner.addresses[0][:2]
        shown_host = f"[{host}]" if ":" in host else host
        print(f"simulator: serving on http://{shown_host}:{port}/", flush=True)
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for number in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(number, stop.set)
        await stop.wait()
    finally:
        await runner.cleanup()


def run(args: argparse.Namespace) -> int:
    """Run the simulator; return 0 after a clean stop."""
    try:
        asyncio.run(serve(args))
    except ValueError as exc:
        raise ConfigError(str(exc)) from exc
    return 0
