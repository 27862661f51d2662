"""Decide offline, from a profile's stored localStorage, whether a WhatsApp Web session is linked.

WhatsApp's own test: a session exists when ``last-wid-md`` and ``WANoiseInfo`` are both stored.
Anything the probe cannot read for sure gives Linked.UNKNOWN with a specific detail, never
NOT_LINKED. Chromium commits localStorage about 5 s after a page writes it (measured with
Chromium 156), so a running browser's latest change shows up here after that lag.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

from agent.errors import ProbeError
from agent.outcome import Linked, ProbeResult
from agent.privacy import mask_wid
from agent.probe.localstorage import decode_item, find_sqlite, read_origin_items
from agent.probe.profiles import find_profiles
from agent.urls import origin_of

SESSION_KEYS = (
    "last-wid-md",
    "WANoiseInfo",
    "WAWebEncKeySalt",
    "WebEncKeySalt",
    "WANoiseInfoIv",
    "WALid",
)
LEGACY_KEYS = ("WABrowserId", "WASecretBundle", "WAToken1", "WAToken2")
LINKED_WHEN = ("last-wid-md", "WANoiseInfo")
_ATTEMPTS = 3  # a compaction may replace files while the browser runs


def _read_items(leveldb_dir: Path, origin: str) -> dict[str, bytes]:
    for attempt in range(_ATTEMPTS):
        try:
            return read_origin_items(leveldb_dir, origin)
        except ProbeError:
            if attempt == _ATTEMPTS - 1:
                raise
    raise AssertionError("unreachable")


def _layout_problem(local_storage: Path) -> tuple[Linked, str] | None:
    """Return (verdict, detail) if Local Storage is not the LevelDB layout, else None."""
    sqlite = find_sqlite(local_storage)
    if sqlite is not None:
        return Linked.UNKNOWN, f"unknown layout: SQLite DOM storage {sqlite.name} is not supported"
    if (local_storage / "leveldb").exists():
        return None
    entries = sorted(entry.name for entry in local_storage.iterdir())
    if not entries:
        return Linked.NOT_LINKED, "Local Storage is empty"
    return Linked.UNKNOWN, f"unknown layout: no leveldb in Local Storage, found {entries[:5]}"


def _verdict(profile: str, origin: str, items: dict[str, bytes]) -> ProbeResult:
    keys = tuple(name for name in SESSION_KEYS if name in items)
    legacy = tuple(name for name in LEGACY_KEYS if name in items)
    linked = all(name in items for name in LINKED_WHEN)
    wid = items.get("last-wid-md")
    account = mask_wid(decode_item(wid)) if wid is not None else None
    if linked:
        detail = "session keys present"
    elif keys:
        missing = [name for name in LINKED_WHEN if name not in items]
        detail = f"incomplete session: {', '.join(missing)} missing"
    elif legacy:
        detail = "only pre-2022 legacy keys present"
    else:
        detail = f"no session keys among {len(items)} items of the origin"
    verdict = Linked.LINKED if linked else Linked.NOT_LINKED
    return ProbeResult(profile, origin, verdict, account, keys, legacy, detail)


def _require_directory(path: Path) -> None:
    """Raise ProbeError if path does not exist or is not a directory (unreadable is fine)."""
    try:
        mode = os.stat(path).st_mode
    except FileNotFoundError as exc:
        raise ProbeError(f"profile directory {path} does not exist") from exc
    except PermissionError:
        return  # probe_profile reports it as UNKNOWN
    if not stat.S_ISDIR(mode):
        raise ProbeError(f"{path} is not a directory")


def probe_profile(profile_dir: Path, origin: str) -> ProbeResult:
    """Given a profile dir and the client's URL or origin, return what its localStorage says.

    Raise ProbeError if profile_dir does not exist or is not a directory; raise ConfigError if
    origin is not an http(s) URL. Unreadable or unknown storage gives Linked.UNKNOWN.
    """
    origin = origin_of(origin)
    profile = str(profile_dir)
    _require_directory(profile_dir)
    local_storage = profile_dir / "Local Storage"
    try:
        if not local_storage.exists():
            return ProbeResult(profile, origin, Linked.NOT_LINKED, detail="no Local Storage")
        problem = _layout_problem(local_storage)
        if problem is not None:
            return ProbeResult(profile, origin, problem[0], detail=problem[1])
        items = _read_items(local_storage / "leveldb", origin)
    except PermissionError as exc:
        detail = f"permission denied reading {exc.filename or profile_dir}"
        return ProbeResult(profile, origin, Linked.UNKNOWN, detail=detail)
    except ProbeError as exc:
        return ProbeResult(profile, origin, Linked.UNKNOWN, detail=str(exc))
    except OSError as exc:
        detail = f"cannot read {exc.filename or profile_dir}: {exc.strerror}"
        return ProbeResult(profile, origin, Linked.UNKNOWN, detail=detail)
    return _verdict(profile, origin, items)


def probe_user_data_dir(user_data_dir: Path, origin: str) -> list[ProbeResult]:
    """Given a user data dir (or one profile dir) and the client's URL, probe every profile.

    Raise ProbeError if the path is neither kind of directory; ConfigError for a bad origin.
    """
    origin = origin_of(origin)
    return [probe_profile(profile, origin) for profile in find_profiles(user_data_dir)]
