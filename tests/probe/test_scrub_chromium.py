"""The profile scrub against real Chromium files: tables (Snappy), held profiles, other origins."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from agent.browser.discovery import Browser
from agent.browser.scrub import scrub_closed_profile
from agent.outcome import Linked
from agent.probe import probe_profile
from agent.probe.leveldb import Table
from agent.probe.leveldb_format import SNAPPY_COMPRESSION
from tests.faults.disk_scan import find_values
from tests.probe.conftest import LINKED_ITEMS, StorageWriter
from tests.session.helpers import managed_browser

pytestmark = pytest.mark.browser

MANY = 400  # items of about 1.5 KiB: more than Chromium's write buffer, so tables get written


def _leveldb(user_data_dir: Path) -> Path:
    return user_data_dir / "Default" / "Local Storage" / "leveldb"


def _bulk(tag: str) -> dict[str, str]:
    return {f"{tag}-{index}": f"{tag}:{index}:" + "lorem ipsum " * 120 for index in range(MANY)}


def _snappy_blocks(table: Path) -> int:
    """Return how many data blocks of a table Chromium compressed with Snappy."""
    data = table.read_bytes()
    handles = Table(data, table.name).handles()
    return sum(data[offset + size] == SNAPPY_COMPRESSION for offset, size in handles)


def _digest(directory: Path) -> dict[str, str]:
    return {
        str(path.relative_to(directory)): hashlib.sha256(path.read_bytes()).hexdigest()
        for path in sorted(directory.rglob("*"))
        if path.is_file() and not path.is_symlink()
    }


async def test_tables_written_by_chromium_are_read_and_scrubbed_keeping_other_origins(
    tmp_path: Path, write_storage: StorageWriter, client_url: str, server_port: int
) -> None:
    user_data_dir = tmp_path / "user-data"
    neighbour = f"http://localhost:{server_port}/"
    await write_storage(user_data_dir, neighbour, _bulk("neighbour"))
    await write_storage(user_data_dir, client_url, {**LINKED_ITEMS, **_bulk("client")})
    await write_storage(user_data_dir, client_url, {"touch": "1"})  # reopened: the log flushed
    tables = sorted(_leveldb(user_data_dir).glob("*.ldb"))
    assert tables, sorted(path.name for path in _leveldb(user_data_dir).iterdir())
    assert sum(_snappy_blocks(table) for table in tables) > 0
    probe = probe_profile(user_data_dir / "Default", client_url)
    assert probe.linked is Linked.LINKED, probe

    report = scrub_closed_profile(user_data_dir, client_url)

    assert report.clean, report.notes
    assert any("Local Storage" in note for note in report.notes), report.notes
    secrets = {"wid": "4915112345678", "client bulk": "client:7:lorem"}
    assert find_values(user_data_dir, secrets) == []
    assert probe_profile(user_data_dir / "Default", client_url).linked is Linked.NOT_LINKED
    context = await write_storage(user_data_dir, neighbour, {}, close=False)
    page = context.pages[0]
    stored = await page.evaluate("() => Object.assign({}, localStorage)")
    await context.close()
    assert stored == _bulk("neighbour")


async def test_a_profile_held_by_a_running_browser_is_never_scrubbed(
    tmp_path: Path, write_storage: StorageWriter, client_url: str, browser_executable: Browser
) -> None:
    user_data_dir = tmp_path / "user-data"
    await write_storage(user_data_dir, client_url)
    with managed_browser(browser_executable, user_data_dir, client_url):
        before = _digest(user_data_dir / "Default" / "Local Storage")
        report = scrub_closed_profile(user_data_dir, client_url)
        after = _digest(user_data_dir / "Default" / "Local Storage")
    assert not report.clean
    assert any("a browser holds the profile" in note for note in report.notes), report.notes
    assert before == after
