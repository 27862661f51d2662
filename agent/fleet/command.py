"""`kioskguard fleet ...`: the admin's console over the broker.

    fleet status [--site S] [--json]    (on a kiosk's own file: its outbox and refusals)
    fleet logout (--host H | --site S | --all) [--profile P] [--wait S] [--ttl S] [--json]
    fleet report [--since 7d] [--site S] [--format table|csv|json] [--html FILE]
    fleet collect [--db FILE]
    fleet retire --site S --host H   (clear a retired kiosk's retained status and presence)
    fleet acl FILE          (kiosks.csv: user,role,site -> Mosquitto acl_file on stdout)

All read the [fleet] section of --config (the admin's own file, or the kiosk's).
Exit codes: 0 all verified, 1 any kiosk not verified or unreachable broker, 2 bad input.
"""

from __future__ import annotations

import argparse
import asyncio
import csv
import json
import sys
from pathlib import Path
from typing import Any

from agent.errors import ConfigError
from agent.fleet.admin import BatchResult, Kiosk, collect_status, send_command
from agent.fleet.connection import BrokerError, FleetError, describe
from agent.fleet.topics import NAME_PATTERN, RESERVED_SITES
from agent.settings import FleetSettings, load_settings

CONFIG_HELP = "TOML with a [fleet] table (before or after the subcommand)"


def configure(parser: argparse.ArgumentParser) -> None:
    """Add the fleet subcommands."""
    parser.add_argument("--config", type=Path, metavar="FILE", help=CONFIG_HELP)
    commands = parser.add_subparsers(dest="fleet_command", metavar="SUBCOMMAND", required=True)
    status = commands.add_parser("status", help="table of kiosks: online, linked, last logout")
    status.add_argument("--site", help="only this site")
    status.add_argument("--json", action="store_true", help="JSON instead of a table")
    logout = commands.add_parser("logout", help="log out a host, a site or every kiosk")
    target = logout.add_mutually_exclusive_group(required=True)
    target.add_argument("--host", help="one kiosk")
    target.add_argument("--site", help="every kiosk of a site")
    target.add_argument("--all", action="store_true", help="every kiosk")
    logout.add_argument("--profile", help="only this profile (default: every profile)")
    logout.add_argument("--wait", type=float, default=60.0, metavar="S", help="seconds (60)")
    logout.add_argument("--ttl", type=float, metavar="S", help="expiry (fleet.command_ttl_s)")
    logout.add_argument("--json", action="store_true", help="JSON instead of a table")
    report = commands.add_parser("report", help="the audit built from collected events")
    report.add_argument("--since", default="7d", help="30m, 12h, 7d, 2w or a date (7d)")
    report.add_argument("--site", help="only this site")
    report.add_argument("--format", choices=("table", "csv", "json"), default="table")
    report.add_argument("--html", type=Path, metavar="FILE", help="also write an HTML report")
    report.add_argument("--db", type=Path, metavar="FILE", help="events database")
    collect = commands.add_parser("collect", help="store every kiosk's events (runs until ^C)")
    collect.add_argument("--db", type=Path, metavar="FILE", help="events database")
    retire = commands.add_parser(
        "retire", help="forget a kiosk taken out of service (clears its retained status)"
    )
    retire.add_argument("--site", required=True, help="the kiosk's site")
    retire.add_argument("--host", required=True, help="the kiosk's fleet host name")
    acl = commands.add_parser("acl", help="print the broker's ACL for a CSV of users")
    acl.add_argument("users", type=Path, help="CSV: user,role,site (role: admin|collector|kiosk)")
    for subcommand in (status, logout, report, collect, acl):  # `fleet status --config X` too
        subcommand.add_argument(
            "--config", type=Path, metavar="FILE", default=argparse.SUPPRESS, help=CONFIG_HELP
        )


def _name(option: str, value: str | None) -> None:
    import re

    if value is not None and not re.match(NAME_PATTERN, value):
        raise ConfigError(f"{option} {value!r}: lower-case letters, digits, '-', '_' or '.'")


def _events_db(settings: Any, override: Path | None) -> Path:
    fleet: FleetSettings = settings.fleet
    return override or fleet.events_db or settings.general.state_dir / "fleet-events.sqlite3"


def run(arguments: argparse.Namespace) -> int:
    """Run one fleet subcommand; return its exit code."""
    settings = load_settings(arguments.config)
    name = arguments.fleet_command
    for option in ("site", "host", "profile"):
        _name(f"--{option}", getattr(arguments, option, None))
    try:
        if name == "status" and settings.fleet.enabled:
            return _kiosk_status(settings, arguments)
        if name == "status":
            return asyncio.run(_status(settings.fleet, arguments))
        if name == "logout":
            return asyncio.run(_logout(settings.fleet, arguments))
        if name == "report":
            return _report(settings, arguments)
        if name == "collect":
            return asyncio.run(_collect(settings, arguments))
        if name == "retire":
            return asyncio.run(_retire(settings.fleet, arguments))
        return _acl(settings.fleet, arguments.users)
    except BrokerError as exc:
        raise FleetError(f"broker {settings.fleet.broker}: {describe(exc)}") from exc


def _progress(what: str) -> Any:
    if not sys.stderr.isatty():
        return None

    def show(count: int) -> None:
        print(f"\r{what}: {count}", end="", file=sys.stderr, flush=True)

    return show


def _table(header: list[str], rows: list[list[str]]) -> str:
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header))]
    lines = [header, ["-" * w for w in widths], *rows]
    return "\n".join(
        "  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)).rstrip() for r in lines
    )


def _last(kiosk: Kiosk) -> str:
    last = kiosk.status.get("last_outcome")
    if not isinstance(last, dict):
        return "-"
    return f"{last.get('result')} ({last.get('trigger')}, {str(last.get('at', ''))[:16]})"


def _waiting(kiosk: Kiosk) -> str:
    """Return the events the kiosk's outbox holds, and REFUSED if the broker refuses them."""
    pending = kiosk.status.get("pending_events")
    text = "?" if pending is None else str(pending)
    return f"{text} REFUSED" if kiosk.status.get("refused") else text


def _online(kiosk: Kiosk) -> str:
    state = {True: "online", False: "OFFLINE", None: "?"}[kiosk.online]
    return f"{state} ({kiosk.offline_reason})" if kiosk.offline_reason else state


async def _status(fleet: FleetSettings, arguments: argparse.Namespace) -> int:
    progress = _progress("collecting kiosk status")
    kiosks = await collect_status(fleet, arguments.site, progress=progress)
    if progress:
        print(file=sys.stderr)
    if arguments.json:
        data = [
            {"site": k.site, "host": k.host, "online": k.online, **k.status}
            | ({"offline_reason": k.offline_reason} if k.offline_reason else {})
            for k in kiosks
        ]
        print(json.dumps(data, indent=2))
        return 0
    rows = [
        [
            k.site,
            k.host,
            _online(k),
            ",".join(k.linked_profiles()) or "-",
            _last(k),
            _waiting(k),
            str(k.status.get("version", "?")),
        ]
        for k in kiosks
    ]
    header = ["SITE", "HOST", "STATE", "LINKED", "LAST LOGOUT", "WAITING", "VERSION"]
    print(_table(header, rows) if rows else "no kiosks have reported to this broker")
    online = sum(k.online is True for k in kiosks)
    linked = sum(bool(k.linked_profiles()) for k in kiosks)
    print(f"\n{len(kiosks)} kiosk(s), {online} online, {linked} with a linked session")
    return 0


def _kiosk_status(settings: Any, arguments: argparse.Namespace) -> int:
    """On a kiosk ([fleet] enabled): what waits in its outbox and why; exit 1 if the broker
    refuses its events (a kiosk's account cannot read other kiosks' statuses anyway)."""
    from agent.fleet.kiosk import outbox_path
    from agent.fleet.outbox import Outbox

    fleet: FleetSettings = settings.fleet
    path = outbox_path(settings)
    outbox = Outbox(path)
    try:
        waiting, age, refusal = outbox.count(), outbox.oldest_age_s(), outbox.refusal()
    finally:
        outbox.close()
    data = {
        "site": fleet.site,
        "host": fleet.kiosk_name,
        "broker": fleet.broker,
        "outbox": str(path),
        "pending_events": waiting,
        "oldest_pending_s": round(age, 1),
        "refused": refusal,
    }
    if arguments.json:
        print(json.dumps(data, indent=2))
    else:
        print(f"kiosk {fleet.site}/{fleet.kiosk_name}, broker {fleet.broker}")
        print(f"outbox {path}: {waiting} event(s) wait for the collector", end="")
        print(f", the oldest for {age:.0f} s" if waiting else "")
        if refusal:
            print(f"REFUSED: {refusal}")
    return 1 if refusal else 0


def _row(batch: BatchResult, kiosk: Kiosk) -> dict[str, Any]:
    reply = kiosk.reply or {}
    outcomes = reply.get("outcomes") or []
    return {
        "site": kiosk.site,
        "host": kiosk.host,
        "result": batch.row_result(kiosk),
        "profiles": [o.get("profile") for o in outcomes],
        "reason": reply.get("reason"),
    }


async def _logout(fleet: FleetSettings, arguments: argparse.Namespace) -> int:
    if arguments.wait <= 0 or (arguments.ttl is not None and arguments.ttl <= 0):
        raise ConfigError("--wait and --ttl: seconds, more than 0")
    batch = await send_command(
        fleet,
        "logout",
        host=arguments.host,
        site=arguments.site,
        profile=arguments.profile,
        wait_s=arguments.wait,
        ttl_s=arguments.ttl,
        progress=_progress("replies"),
    )
    rows = [_row(batch, kiosk) for kiosk in batch.kiosks]
    if arguments.json:
        print(json.dumps({"command": batch.command, "kiosks": rows}, indent=2))
    else:
        table = [
            [
                r["site"],
                r["host"],
                r["result"],
                ",".join(map(str, r["profiles"])) or "-",
                r["reason"] or "",
            ]
            for r in rows
        ]
        print(_table(["SITE", "HOST", "RESULT", "PROFILES", "NOTE"], table) if table else "")
        if not rows:
            target = (
                f"--host {arguments.host}"
                if arguments.host
                else f"--site {arguments.site}"
                if arguments.site
                else "--all"
            )
            print(
                f"no kiosk matches {target}: no kiosk of that name has reported to this broker"
                " (`kioskguard fleet status` lists those that have)"
            )
        ok = sum(r["result"] in ("verified", "nothing_to_do") for r in rows)
        print(f"\n{ok} of {len(rows)} kiosk(s) verified (command {batch.command['id']})")
    return 0 if batch.all_ok else 1


def _report(settings: Any, arguments: argparse.Namespace) -> int:
    from agent.fleet.collector import EventStore
    from agent.fleet.report import as_csv, as_html, as_json, as_table, build_report, parse_since

    since = parse_since(arguments.since)
    path = _events_db(settings, arguments.db)
    if not path.exists():
        raise ConfigError(f"{path}: no events database (run `kioskguard fleet collect` first)")
    store = EventStore(path)
    try:
        events = store.events(since.isoformat(timespec="milliseconds"), arguments.site)
        rejected = store.rejected(since.isoformat(timespec="milliseconds"), arguments.site)
        presence = store.presence(arguments.site)
    finally:
        store.close()
    report = build_report(events, since, arguments.site, rejected, presence)
    render = {"table": as_table, "csv": as_csv, "json": as_json}[arguments.format]
    sys.stdout.write(render(report))
    if arguments.html is not None:
        try:
            arguments.html.write_text(as_html(report), encoding="utf-8")
        except OSError as exc:
            raise ConfigError(f"--html {arguments.html}: {exc}") from exc
    return 0


async def _collect(settings: Any, arguments: argparse.Namespace) -> int:
    from agent.audit import configure_logging
    from agent.fleet.collector import EventStore, collect

    configure_logging(settings.general.log_level, None)
    store = EventStore(_events_db(settings, arguments.db))
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    import signal

    for number in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(number, stop.set)
    try:
        await collect(settings.fleet, store, stop)
    finally:
        store.close()
    return 0


async def _retire(fleet: FleetSettings, arguments: argparse.Namespace) -> int:
    from agent.fleet.admin import retire

    await retire(fleet, arguments.site, arguments.host)
    print(
        f"{arguments.site}/{arguments.host}: retained status and presence cleared; `fleet"
        " status` no longer lists it. Remove its account from the broker's password file and"
        " ACL (users.csv, `fleet acl`) so it cannot come back."
    )
    return 0


def _acl(fleet: FleetSettings, path: Path) -> int:
    from agent.fleet.broker import BrokerUser, acl_text

    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except OSError as exc:
        raise ConfigError(f"{path}: {exc}") from exc
    users = []
    for number, row in enumerate(csv.reader(lines), start=1):
        if not row or row[0].startswith("#"):
            continue
        cells = [cell.strip() for cell in row] + ["", ""]
        user, role, site = cells[:3]
        if role not in ("admin", "collector", "kiosk") or (role == "kiosk" and not site):
            raise ConfigError(
                f"{path}:{number}: want user,role,site with role admin|collector|kiosk"
                " (a kiosk needs its site)"
            )
        _name(f"{path}:{number}: user", user)
        if role == "kiosk":
            _name(f"{path}:{number}: site", site)
            if site in RESERVED_SITES:
                raise ConfigError(f"{path}:{number}: site {site!r} is reserved (a topic level)")
        users.append(BrokerUser(user, "", role, site or None))  # type: ignore[arg-type]
    sys.stdout.write(acl_text(users, fleet.topic_prefix))
    return 0
