"""Scrub of a closed profile after a logout, beside its floor: copying the same files.

The profile holds the client's session and OTHER_BYTES of other origins' items in Local Storage
(one log, as Chromium leaves it between compactions) and the client's IndexedDB directory; the
scrub reads every record (CRC32C checked), writes the other origins' records anew and removes
the rest.
"""

from __future__ import annotations

import shutil
import time
from pathlib import Path

from agent.browser.scrub import scrub_closed_profile
from agent.probe.leveldb_write import fresh_database
from bench.stats import Figure

CLIENT = "http://127.0.0.1:8080"
OTHER_BYTES = 1 << 20


def _item(origin: str, name: str) -> bytes:
    return b"_" + origin.encode() + b"\x00\x01" + name.encode()


def make_profile(user_data_dir: Path) -> None:
    """Write a closed profile: the session, OTHER_BYTES of another origin, an IndexedDB dir."""
    records = [(b"VERSION", b"1"), (_item(CLIENT, "WANoiseInfo"), b"\x01" + b"n" * 200)]
    value = b"\x01" + b"other-origin-value " * 50
    count = OTHER_BYTES // len(value)
    records += [(_item("http://localhost:8080", f"k{index}"), value) for index in range(count)]
    leveldb = user_data_dir / "Default" / "Local Storage" / "leveldb"
    leveldb.mkdir(parents=True)
    (user_data_dir / "Local State").write_text("{}")
    database = fresh_database(sorted(records), first_number=3, first_sequence=1)
    (leveldb / database.log_name).write_bytes(database.log)
    (leveldb / database.manifest_name).write_bytes(database.manifest)
    (leveldb / "CURRENT").write_bytes(database.current)
    indexeddb = user_data_dir / "Default" / "IndexedDB" / "http_127.0.0.1_8080.indexeddb.leveldb"
    indexeddb.mkdir(parents=True)
    (indexeddb / "000003.log").write_bytes(b"x" * 65536)


def bench_scrub(work: Path, runs: int) -> tuple[Figure, Figure]:
    """Time the scrub of a fresh profile per run, and copying its files (the floor).

    Raise RuntimeError if a scrub is not clean.
    """
    scrub = Figure(f"scrub after logout ({OTHER_BYTES >> 10} KiB of other origins kept)", "ms")
    floor = Figure("scrub floor: copying the same profile's files", "ms")
    for run in range(runs):
        profile = work / f"profile-{run}"
        make_profile(profile)
        started = time.perf_counter()
        shutil.copytree(profile, work / f"copy-{run}")
        floor.samples.append((time.perf_counter() - started) * 1000)
        started = time.perf_counter()
        report = scrub_closed_profile(profile, CLIENT)
        scrub.samples.append((time.perf_counter() - started) * 1000)
        if not report.clean:
            raise RuntimeError(f"scrub not clean: {report.notes}")
        shutil.rmtree(profile)
        shutil.rmtree(work / f"copy-{run}")
    return scrub, floor
