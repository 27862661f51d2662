"""``kioskguard status``: is a session stored, and what does the live page show?"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
from pathlib import Path
from typing import Any

from agent.browser.locks import read_lock
from agent.commands.common import add_profile_options, emit, resolve
from agent.outcome import LOCAL_ONLY_NOTE, Linked, ProbeResult
from agent.probe.probe import probe_user_data_dir
from agent.session.service import PageReading, SessionService, combine
from agent.settings import ProfileSettings


def configure(parser: argparse.ArgumentParser) -> None:
    add_profile_options(parser)


async def live_state(service: SessionService, profile: ProfileSettings) -> PageReading:
    """Return what the profile's running browser's client tab says (never opening one)."""
    try:
        return await service.read_page(profile, with_state=True)
    finally:
        await service.close()


def verdict(live: PageReading, disk: list[ProbeResult]) -> tuple[str, str]:
    """Given the live page's reading and the disk probes, return (linked, source).

    The live page wins while it can be read: Chromium writes localStorage to disk seconds
    late, so right after a link or a logout the disk still tells the state before it.
    """
    if live.linked is not None:
        return live.linked.value, "page"
    if not disk:
        return Linked.NOT_LINKED.value, "disk"
    return combine(disk, "", "").linked.value, "disk"


AUDIT_TAIL_BYTES = 512 * 1024  # the last logout is near the end: never read a whole year


DIRECTORY_NOTE = "user data dir: "  # the note every logout's record carries (older ones too)
SHARED_NAME = "cli"  # the name of every unconfigured --profile: never proof of which one


def recorded_directory(record: dict[str, Any]) -> str | None:
    """Given an audit record, return the user data dir it was written for: its field
    ``user_data_dir``, else (older records) its ``user data dir: ...`` note; None if neither."""
    recorded = record.get("user_data_dir")
    if isinstance(recorded, str):
        return recorded
    notes = record.get("notes")
    for note in notes if isinstance(notes, list) else []:
        if isinstance(note, str) and note.startswith(DIRECTORY_NOTE):
            return note.removeprefix(DIRECTORY_NOTE)
    return None


def is_record_of(record: dict[str, Any], profile: ProfileSettings) -> bool:
    """Given an audit record and a profile, return True when the record is that profile's.

    The directory decides (symlinks resolved on both sides); a record without one matches by
    name, never by the name ``cli`` that every command-line logout once shared.
    """
    recorded = recorded_directory(record)
    if recorded is not None:
        return os.path.realpath(recorded) == os.path.realpath(profile.user_data_dir)
    return record.get("profile") == profile.name != SHARED_NAME


def last_logout(audit_path: Path | None, profile: ProfileSettings) -> dict[str, Any] | None:
    """Given the audit file, return the profile's last audit record (see is_record_of), None if
    there is none or the file cannot be read."""
    if audit_path is None:
        return None
    try:
        with audit_path.open("rb") as file:
            size = file.seek(0, 2)
            file.seek(max(size - AUDIT_TAIL_BYTES, 0))
            lines = file.read().decode("utf-8", errors="replace").splitlines()
    except OSError:
        return None
    for line in reversed(lines):
        try:
            record = json.loads(line)
        except ValueError:
            continue  # a line cut by the tail, or damaged: the ones before still count
        if isinstance(record, dict) and is_record_of(record, profile):
            return record
    return None


def logout_lines(record: dict[str, Any]) -> list[str]:
    """Given an audit record, return the status lines telling the last logout."""
    result = record.get("result", "?")
    verified = ", verified" if record.get("verified") else ""
    line = f"last logout: {result} ({record.get('trigger', '?')}{verified}) at {record.get('at')}"
    lines = [line]
    if record.get("error"):
        lines.append(f"  {record['error']}")
    if result == "local_only":
        lines.append(f"  {LOCAL_ONLY_NOTE}")
    return lines


def browser_data(live: PageReading) -> dict[str, Any]:
    data: dict[str, Any] = {"running": live.running}
    if live.running:
        data["endpoint"] = live.endpoint
        if live.linked is not None:
            data.update(linked=live.linked.value, keys=list(live.keys), page=live.state)
        if live.error:
            data["error"] = live.error
    return data


def run(args: argparse.Namespace) -> int:
    settings, profile = resolve(args)
    url = profile.url or settings.general.client_url
    # An empty directory (a managed profile before its first start) stores nothing yet.
    empty = not any(profile.user_data_dir.iterdir())
    results = [] if empty else probe_user_data_dir(profile.user_data_dir, url)
    lock = read_lock(profile.user_data_dir)
    live = asyncio.run(live_state(SessionService(settings), profile))
    linked, source = verdict(live, results)
    last = last_logout(settings.general.audit_path, profile)
    data = {
        "user_data_dir": str(profile.user_data_dir),
        "url": url,
        "linked": linked,
        "source": source,
        "lock": lock.state.value,
        "profiles": [result.to_dict() for result in results],
        "browser": browser_data(live),
        "last_logout": last,
    }
    disk_linked = verdict(PageReading(running=False), results)[0]
    if source == "page":
        headline = f"linked: {linked} (from the live page; stored data on disk: {disk_linked})"
    elif live.running:
        headline = f"linked: {linked} (from the stored data on disk: the live page was not read)"
    else:
        headline = f"linked: {linked} (from the stored data on disk: no browser runs)"
    lines = [headline, f"user data dir: {profile.user_data_dir} (lock: {lock.state.value})"]
    for result in results:
        account = f", account {result.account}" if result.account else ""
        detail = f" ({result.detail})" if result.detail else ""
        lines.append(f"  disk {result.profile}: {result.linked.value}{account}{detail}")
    if live.running and live.endpoint is None:
        lines.append(f"browser: running, not attached ({live.error})")
    elif live.running:
        page = live.state or live.error or "?"
        lines.append(f"browser: running at {live.endpoint}, page {page}")
    else:
        lines.append("browser: not running")
    if last is not None:
        lines.extend(logout_lines(last))
    emit(data, args.json, "\n".join(lines))
    return 0
