"""Leave nothing of the client's origin readable in a closed profile's files.

Clearing an origin (a logout's own removal, or CDP Storage.clearDataForOrigin) only writes
tombstones: LevelDB keeps the old values in its log and tables until a compaction drops them, so
the session's secrets and the account number stay readable on disk. After a logout with the
browser closed the origin's stores are rewritten or removed (agent.browser.origin_stores):
Local Storage and Session Storage are rewritten without the origin's records (other origins
kept, agent.browser.leveldb_rewrite); the origin's IndexedDB directories are removed whole.

Only a profile no browser holds is touched: its SingletonLock absent (then held by kioskguard
for the scrub, as a browser would hold it: agent.browser.singleton), proven stale, or the hold of
this very process during a cold logout; and each database's own LOCK taken. A store whose layout
is unknown (SQLite DOM storage, a LevelDB this module cannot read for sure) is left alone and
named in the notes: the report is clean only when every store was handled.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import sys
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from agent.browser.leveldb_rewrite import LeftAlone, Rewrite, Selector, rewrite_without
from agent.browser.locks import LockState, read_lock, remove_stale_lock
from agent.browser.origin_stores import (
    indexeddb_names,
    local_storage_selector,
    session_storage_selector,
)
from agent.browser.singleton import hold_profile
from agent.errors import ConfigError, ProbeError, ProfileBusy
from agent.platform.leveldb_lock import DatabaseInUse, database_lock
from agent.probe.localstorage import find_sqlite
from agent.probe.profiles import find_profiles
from agent.urls import origin_of

TRASH_PREFIX = ".kioskguard-trash-"


@dataclass
class ScrubReport:
    """What a scrub did (notes for the outcome and the audit) and whether it is complete."""

    notes: list[str] = field(default_factory=list)
    clean: bool = True
    dry_run: bool = False  # only count the stores that need work (no lock, no hold, no write)
    pending: int = 0

    def left(self, what: str, why: str) -> None:
        """Record a store left alone: the report is no longer clean."""
        self.pending += 1  # a dry run leaves it to the real pass, which says why
        self.notes.append(f"scrub left {what} alone: {why}")
        self.clean = False


@contextlib.contextmanager
def profile_closed(user_data_dir: Path, report: ScrubReport) -> Iterator[None]:
    """Hold user_data_dir for the block unless this process holds it already; a browser
    refused meanwhile is noted in report.

    Raise ProfileBusy if a browser (or another kioskguard) holds it or takes it first.
    """
    lock = read_lock(user_data_dir)
    if lock.state is LockState.AGENT and lock.pid == os.getpid():
        yield  # our own hold: the cold logout's
        return
    if lock.state is LockState.STALE:
        remove_stale_lock(user_data_dir)
    elif lock.state is not LockState.NONE:
        raise ProfileBusy(f"{lock.state.value}: {lock.detail}")
    if sys.platform == "win32":  # the lockfile is held while a browser runs; nothing to hold
        yield
        return
    with hold_profile(user_data_dir) as hold:
        try:
            yield
        finally:
            if hold.refused:
                report.notes.append(
                    f"a browser tried to open the profile during the scrub and was refused"
                    f" ({hold.refused} time(s))"
                )


def _rewrite(directory: Path, select: Selector, label: str, report: ScrubReport) -> None:
    try:
        if report.dry_run:
            planned = rewrite_without(directory, select, write=False)
            report.pending += bool(planned.dropped or planned.removed_files)
            return
        with database_lock(directory):
            done: Rewrite = rewrite_without(directory, select)
    except (DatabaseInUse, LeftAlone) as exc:
        report.left(label, str(exc))
        return
    except OSError as exc:
        report.left(label, f"cannot rewrite: {exc.strerror or exc}")
        return
    if done.dropped or done.removed_files:
        report.notes.append(
            f"scrubbed {label}: dropped {done.dropped} key(s) of the client, kept"
            f" {done.kept} of other origins, removed {done.removed_files} old file(s)"
        )


def _local_storage(profile_dir: Path, origin: str, report: ScrubReport) -> None:
    local_storage = profile_dir / "Local Storage"
    label = f"{profile_dir.name}/Local Storage"
    if not local_storage.is_dir():
        return
    sqlite = find_sqlite(local_storage)
    if sqlite is not None:
        report.left(label, f"unknown layout: SQLite DOM storage {sqlite.name}")
        return
    leveldb = local_storage / "leveldb"
    if not (leveldb / "CURRENT").is_file():
        entries = sorted(entry.name for entry in local_storage.iterdir())
        if entries:
            report.left(label, f"unknown layout: no LevelDB in it, found {entries[:5]}")
        return
    _rewrite(leveldb, local_storage_selector(origin), label, report)


def _session_storage(profile_dir: Path, origin: str, report: ScrubReport) -> None:
    session_storage = profile_dir / "Session Storage"
    label = f"{profile_dir.name}/Session Storage"
    if not session_storage.is_dir() or not any(session_storage.iterdir()):
        return
    if not (session_storage / "CURRENT").is_file():
        report.left(label, "unknown layout: no LevelDB CURRENT file")
        return
    _rewrite(session_storage, session_storage_selector(origin), label, report)


def _remove_directory(path: Path) -> None:
    """Remove a directory: renamed first (atomic: Chromium sees it or not), then deleted."""
    trash = path.with_name(f"{TRASH_PREFIX}{path.name}")
    if trash.exists():
        shutil.rmtree(trash)
    os.replace(path, trash)
    shutil.rmtree(trash)


def _indexeddb(profile_dir: Path, origin: str, report: ScrubReport) -> None:
    indexeddb = profile_dir / "IndexedDB"
    label = f"{profile_dir.name}/IndexedDB"
    if not indexeddb.is_dir():
        return
    database, blobs = indexeddb_names(origin)
    if report.dry_run:
        names = (database, blobs)
        report.pending += any(
            entry.name in names or entry.name.startswith(TRASH_PREFIX)
            for entry in indexeddb.iterdir()
        )
        return
    try:
        if (indexeddb / database).is_dir():
            with database_lock(indexeddb / database):
                pass  # free now; the profile hold keeps a browser from opening it
        removed = []
        for entry in sorted(indexeddb.iterdir()):
            if entry.name in (database, blobs) or entry.name.startswith(TRASH_PREFIX):
                if entry.is_dir():
                    _remove_directory(entry)
                else:
                    entry.unlink()
                removed.append(entry.name)
    except DatabaseInUse as exc:
        report.left(label, str(exc))
        return
    except OSError as exc:
        report.left(label, f"cannot remove the origin's databases: {exc.strerror or exc}")
        return
    if removed:
        report.notes.append(f"scrubbed {label}: removed {', '.join(removed)}")


def scrub_profile_dir(profile_dir: Path, origin: str, report: ScrubReport) -> None:
    """Given one closed profile dir and an origin, scrub its stores into report."""
    for scrub in (_local_storage, _session_storage, _indexeddb):
        scrub(profile_dir, origin, report)


def scrub_closed_profile(user_data_dir: Path, url: str) -> ScrubReport:
    """Given a user data dir no browser holds and the client's URL, rewrite or remove the
    client origin's stores in every profile of it, and return what was done.

    Never raises for the profile's state: a held profile or an unknown layout is a note and
    an unclean report. Raise ConfigError if url is not an http(s) URL.
    """
    origin = origin_of(url)
    if not user_data_dir.is_dir():
        return ScrubReport()
    # A look first, read-only: most logouts with the browser closed find nothing to scrub, and
    # then the profile is not held even for a moment (a browser starting then would be refused).
    survey = ScrubReport(dry_run=True)
    _scrub_all(user_data_dir, origin, survey, contextlib.nullcontext())
    if not survey.pending:
        return ScrubReport([f"scrubbed nothing: no file of {origin} left in the profile"])
    report = ScrubReport()
    _scrub_all(user_data_dir, origin, report, profile_closed(user_data_dir, report))
    return report


def _scrub_all(
    user_data_dir: Path,
    origin: str,
    report: ScrubReport,
    closed: contextlib.AbstractContextManager[None],
) -> None:
    """Scrub every profile of user_data_dir into report, inside closed (the profile's hold)."""
    try:
        with closed:
            for profile_dir in find_profiles(user_data_dir):
                scrub_profile_dir(profile_dir, origin, report)
    except ProfileBusy as exc:
        report.left(str(user_data_dir), f"a browser holds the profile ({exc})")
    except ProbeError as exc:
        report.left(str(user_data_dir), f"unknown layout: {exc}")
    except (ConfigError, OSError) as exc:
        report.left(str(user_data_dir), f"cannot check the profile: {exc}")
