"""Probe fixtures: a loopback page server and real Chromium profiles with chosen localStorage."""

from __future__ import annotations

import asyncio
import contextlib
import http.server
import shutil
import threading
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator, Mapping, Sequence
from pathlib import Path

import pytest
import pytest_asyncio
from playwright.async_api import BrowserContext, Playwright

from agent.browser.discovery import QUIET_ARGS, Browser
from agent.errors import ProbeError
from agent.probe.localstorage import decode_item, read_origin_items
from agent.urls import origin_of

PersistentLauncher = Callable[..., Awaitable[BrowserContext]]
StorageWriter = Callable[..., Awaitable[BrowserContext]]

LINKED_ITEMS = {
    "last-wid-md": '"4915112345678:3@c.us"',
    "WANoiseInfo": '{"staticKeyPair":"bm9pc2U=","recoveryToken":"dG9rZW4="}',
    "WAWebEncKeySalt": '"c2FsdA=="',
    "WANoiseInfoIv": '"aXY="',
    "WALid": '"123456789012345:3@lid"',
    "WALangPref": '"en"',
}


class _Page(http.server.BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        body = b"<!doctype html><title>client</title><p>client"
        self.send_response(200)
        self.send_header("Content-Type", "text/html")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture(scope="session")
def server_port() -> Iterator[int]:
    """Serve a blank page on 127.0.0.1 (any path) and return the port."""
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Page)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server.server_address[1]
    server.shutdown()
    server.server_close()


@pytest.fixture
def client_url(server_port: int) -> str:
    return f"http://127.0.0.1:{server_port}/"


COMMIT_WAIT_S = 60.0


async def committed(
    profile_dir: Path, url: str, items: Mapping[str, str], remove: Sequence[str]
) -> None:
    """Wait until profile_dir's Local Storage on disk holds items and not remove (read with the
    project's reader; a file a compaction replaces meanwhile is read again). Fail if it does
    not within COMMIT_WAIT_S: a browser closed before its commit may store nothing."""
    leveldb = profile_dir / "Local Storage" / "leveldb"
    origin = origin_of(url)
    deadline = time.monotonic() + COMMIT_WAIT_S
    while items or remove:
        try:
            stored = await asyncio.to_thread(read_origin_items, leveldb, origin)
        except ProbeError:
            stored = None  # not there yet, or a file replaced under the read
        if stored is not None:
            values = {name: decode_item(raw) for name, raw in stored.items()}
            if all(values.get(name) == value for name, value in items.items()) and not any(
                name in values for name in remove
            ):
                return
        if time.monotonic() > deadline:
            pytest.fail(f"{profile_dir}: the page's localStorage writes never reached the disk")
        await asyncio.sleep(0.25)


@pytest_asyncio.fixture
async def write_storage(
    launch_persistent: PersistentLauncher, playwright: Playwright, browser_executable: Browser
) -> AsyncIterator[StorageWriter]:
    """Return a factory: open url in a persistent profile, set and remove items, maybe close
    (once they are on disk).

    profile_directory picks a profile other than Default (--profile-directory).
    """
    extra: list[BrowserContext] = []

    async def launch(user_data_dir: Path, profile_directory: str | None) -> BrowserContext:
        if profile_directory is None:
            return await launch_persistent(user_data_dir)
        context = await playwright.chromium.launch_persistent_context(
            str(user_data_dir),
            executable_path=str(browser_executable.path),
            args=[*QUIET_ARGS, f"--profile-directory={profile_directory}"],
            headless=True,
        )
        extra.append(context)
        return context

    async def write(
        user_data_dir: Path,
        url: str,
        items: Mapping[str, str] = LINKED_ITEMS,
        remove: Sequence[str] = (),
        close: bool = True,
        profile_directory: str | None = None,
    ) -> BrowserContext:
        context = await launch(user_data_dir, profile_directory)
        page = context.pages[0] if context.pages else await context.new_page()
        await page.goto(url)
        await page.evaluate(
            "([items, remove]) => { for (const [k, v] of Object.entries(items))"
            " localStorage.setItem(k, v); for (const k of remove) localStorage.removeItem(k); }",
            [dict(items), list(remove)],
        )
        if close:  # only once Chromium has committed them: it writes seconds after the page
            await committed(user_data_dir / (profile_directory or "Default"), url, items, remove)
            await context.close()
        return context

    yield write
    for context in extra:
        with contextlib.suppress(Exception):  # already closed by the test
            await context.close()


@pytest_asyncio.fixture(scope="session")
async def linked_template(
    tmp_path_factory: pytest.TempPathFactory,
    playwright: Playwright,
    browser_executable: Browser,
    server_port: int,
) -> Path:
    """Return a user data dir, made once by Chromium, whose Default profile holds a session."""
    user_data_dir = tmp_path_factory.mktemp("linked-template")
    context = await playwright.chromium.launch_persistent_context(
        str(user_data_dir), executable_path=str(browser_executable.path), args=list(QUIET_ARGS)
    )
    try:
        page = context.pages[0] if context.pages else await context.new_page()
        await page.goto(f"http://127.0.0.1:{server_port}/")
        await page.evaluate(
            "(items) => { for (const [k, v] of Object.entries(items)) localStorage.setItem(k, v) }",
            LINKED_ITEMS,
        )
    finally:
        await context.close()
    return user_data_dir


@pytest.fixture
def linked_copy(linked_template: Path, tmp_path: Path) -> Path:
    """Return a fresh copy of the linked template's user data dir."""
    copy = tmp_path / "user-data"
    shutil.copytree(linked_template, copy, symlinks=True)
    return copy
