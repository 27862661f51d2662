"""Probe fixtures: a loopback page server and real Chromium profiles with chosen localStorage."""

from __future__ import annotations

import contextlib
import http.server
import shutil
import threading
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator, Mapping, Sequence
from pathlib import Path

import pytest
import pytest_asyncio
from playwright.async_api import BrowserContext, Playwright

from agent.browser.discovery import QUIET_ARGS, Browser

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


@pytest_asyncio.fixture
async def write_storage(
    launch_persistent: PersistentLauncher, playwright: Playwright, browser_executable: Browser
) -> AsyncIterator[StorageWriter]:
    """Return a factory: open url in a persistent profile, set and remove items, maybe close.

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
        if close:
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
