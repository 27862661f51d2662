"""The offline probe against profiles written by a real Chromium."""

from __future__ import annotations

import asyncio
import hashlib
import json
import secrets
import time
from pathlib import Path

from agent.outcome import Linked, ProbeResult
from agent.probe import probe_profile, probe_user_data_dir

from .conftest import LINKED_ITEMS, PersistentLauncher, StorageWriter


def _snapshot(root: Path) -> dict[str, tuple[str, int]]:
    """Return path -> (sha256, mtime_ns) of every file under root."""
    return {
        str(path.relative_to(root)): (
            hashlib.sha256(path.read_bytes()).hexdigest(),
            path.stat().st_mtime_ns,
        )
        for path in sorted(root.rglob("*"))
        if path.is_file() and not path.is_symlink()
    }


async def test_profile_with_session_keys_is_linked(
    tmp_path: Path, write_storage: StorageWriter, client_url: str
) -> None:
    await write_storage(tmp_path, client_url)
    result = probe_profile(tmp_path / "Default", client_url)
    assert result.linked == Linked.LINKED
    assert result.keys == (
        "last-wid-md",
        "WANoiseInfo",
        "WAWebEncKeySalt",
        "WANoiseInfoIv",
        "WALid",
    )
    assert result.account == "49151******78"


async def test_profile_that_never_visited_a_site_is_not_linked(
    tmp_path: Path, launch_persistent: PersistentLauncher, client_url: str
) -> None:
    context = await launch_persistent(tmp_path)
    await context.close()
    result = probe_profile(tmp_path / "Default", client_url)
    assert result.linked == Linked.NOT_LINKED
    assert result.keys == ()


async def test_session_keys_set_then_removed_are_not_linked(
    tmp_path: Path, write_storage: StorageWriter, client_url: str
) -> None:
    await write_storage(tmp_path, client_url)
    await write_storage(tmp_path, client_url, items={}, remove=list(LINKED_ITEMS))
    result = probe_profile(tmp_path / "Default", client_url)
    assert result.linked == Linked.NOT_LINKED
    assert result.keys == () and result.account is None


async def test_only_one_of_the_two_keys_is_not_linked_and_listed(
    tmp_path: Path, write_storage: StorageWriter, client_url: str
) -> None:
    await write_storage(tmp_path, client_url, items={"WANoiseInfo": "{}"})
    result = probe_profile(tmp_path / "Default", client_url)
    assert result.linked == Linked.NOT_LINKED
    assert result.keys == ("WANoiseInfo",)
    assert "last-wid-md missing" in result.detail


async def test_legacy_keys_are_reported_apart_from_session_keys(
    tmp_path: Path, write_storage: StorageWriter, client_url: str
) -> None:
    legacy = {
        "WABrowserId": '"abc"',
        "WASecretBundle": "{}",
        "WAToken1": '"t1"',
        "WAToken2": '"t2"',
    }
    await write_storage(tmp_path, client_url, items=legacy)
    result = probe_profile(tmp_path / "Default", client_url)
    assert result.linked == Linked.NOT_LINKED
    assert result.legacy_keys == ("WABrowserId", "WASecretBundle", "WAToken1", "WAToken2")
    assert result.keys == ()


async def test_keys_of_another_origin_do_not_count(
    tmp_path: Path, write_storage: StorageWriter, server_port: int
) -> None:
    await write_storage(tmp_path, f"http://localhost:{server_port}/")
    assert probe_profile(tmp_path / "Default", f"http://127.0.0.1:{server_port}").linked == (
        Linked.NOT_LINKED
    )
    assert probe_profile(tmp_path / "Default", f"http://localhost:{server_port}").linked == (
        Linked.LINKED
    )


async def test_masked_account_never_contains_the_full_number(
    tmp_path: Path, write_storage: StorageWriter, client_url: str
) -> None:
    await write_storage(tmp_path, client_url)
    result = probe_profile(tmp_path / "Default", client_url)
    printed = json.dumps(result.to_dict()) + repr(result)
    assert result.account and "4915112345678" not in printed and "1234567" not in printed


async def test_user_data_dir_profiles_are_enumerated_and_probed(
    tmp_path: Path, write_storage: StorageWriter, client_url: str
) -> None:
    await write_storage(tmp_path, client_url, items={"WALangPref": '"en"'})
    await write_storage(tmp_path, client_url, profile_directory="Profile 1")
    await write_storage(tmp_path, client_url, items={}, profile_directory="Profile 2")
    results = probe_user_data_dir(tmp_path, client_url)
    names = [Path(result.profile).name for result in results]
    assert names == ["Default", "Profile 1", "Profile 2"]
    assert [result.linked for result in results] == [
        Linked.NOT_LINKED,
        Linked.LINKED,
        Linked.NOT_LINKED,
    ]


async def _probe_until(profile: Path, origin: str, wanted: Linked) -> ProbeResult:
    """Probe every 0.25 s until the verdict is wanted (Chromium commits after ~5 s)."""
    deadline = time.monotonic() + 60
    result = probe_profile(profile, origin)
    while result.linked != wanted and time.monotonic() < deadline:
        await asyncio.sleep(0.25)
        result = probe_profile(profile, origin)
    assert result.linked == wanted, result
    return result


async def test_probe_while_browser_runs_sees_the_commit_and_changes_nothing(
    tmp_path: Path, write_storage: StorageWriter, client_url: str
) -> None:
    context = await write_storage(tmp_path, client_url, close=False)
    await _probe_until(tmp_path / "Default", client_url, Linked.LINKED)
    leveldb = tmp_path / "Default" / "Local Storage" / "leveldb"
    before = _snapshot(leveldb)
    for _ in range(20):
        probe_profile(tmp_path / "Default", client_url)
    assert _snapshot(leveldb) == before
    await context.pages[0].evaluate("localStorage.removeItem('WANoiseInfo')")
    await _probe_until(tmp_path / "Default", client_url, Linked.NOT_LINKED)


async def test_probe_of_a_closed_profile_writes_nothing(
    tmp_path: Path, write_storage: StorageWriter, client_url: str
) -> None:
    await write_storage(tmp_path, client_url)
    before = _snapshot(tmp_path)
    probe_user_data_dir(tmp_path, client_url)
    assert _snapshot(tmp_path) == before


async def _write_filler(write_storage: StorageWriter, user_data_dir: Path, url: str) -> None:
    """Write 1.6 MB of new values on another site so that Chromium compacts its log into tables."""
    filler = {f"filler{index}": "x" * 400_000 + secrets.token_hex(8) for index in range(4)}
    await write_storage(user_data_dir, url, items=filler)


async def test_removed_keys_stay_removed_after_compaction_into_tables(
    tmp_path: Path, write_storage: StorageWriter, client_url: str, server_port: int
) -> None:
    other_site = f"http://localhost:{server_port}/"
    await write_storage(tmp_path, client_url)
    await _write_filler(write_storage, tmp_path, other_site)
    await _write_filler(write_storage, tmp_path, other_site)
    leveldb = tmp_path / "Default" / "Local Storage" / "leveldb"
    assert list(leveldb.glob("*.ldb")), "Chromium did not compact into a table file"
    linked = probe_profile(tmp_path / "Default", client_url)
    files = sorted((path.name, path.stat().st_size) for path in leveldb.iterdir())
    assert linked.linked == Linked.LINKED, (linked, files)  # files: for a failure's diagnosis
    await write_storage(tmp_path, client_url, items={}, remove=list(LINKED_ITEMS))
    await _write_filler(write_storage, tmp_path, other_site)
    await _write_filler(write_storage, tmp_path, other_site)
    assert len(list(leveldb.glob("*.ldb"))) >= 2, "the removal was not compacted into a table"
    assert probe_profile(tmp_path / "Default", client_url).linked == Linked.NOT_LINKED
