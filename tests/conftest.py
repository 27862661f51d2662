"""Fixtures shared by every test: a clean environment, Xvfb, a real Chromium through Playwright.

Browser fixtures fail loudly when no browser runs: a browser test is never skipped.
Chain: playwright -> browser (session) -> context -> page (per test); factories record what they
open and close all of it at teardown.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import shutil
import socket
import subprocess
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from pathlib import Path

import pytest
import pytest_asyncio
from playwright.async_api import Browser as PlaywrightBrowser
from playwright.async_api import BrowserContext, Page, Playwright, async_playwright, expect

from agent.browser.discovery import QUIET_ARGS, Browser, find_browser
from agent.simulator.testing import SimulatorHandle, running_simulator

# Playwright's expect() waits 5 s by default: too short for a page state on the loaded 2-core
# CI machine. Waits are for states: a generous limit costs nothing when the state comes.
expect.set_options(timeout=30_000)


@pytest.fixture(autouse=True)
def _clean_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """Keep KIOSKGUARD_* settings from the developer's shell out of every test."""
    for name in list(os.environ):
        if name.startswith("KIOSKGUARD_") and name != "KIOSKGUARD_BROWSER":
            monkeypatch.delenv(name)


@pytest.fixture(scope="session")
def xvfb_display() -> Iterator[str]:
    """Return an X display for headed browsers and X11 idle tests, starting Xvfb if needed."""
    existing = os.environ.get("DISPLAY")
    if existing and os.environ.get("KIOSKGUARD_TEST_OWN_XVFB") != "1":
        yield existing
        return
    if shutil.which("Xvfb") is None:
        pytest.fail("Xvfb is not installed: run `make test` (the bootstrap installs it)")
    read_end, write_end = os.pipe()
    process = subprocess.Popen(
        ["Xvfb", "-displayfd", str(write_end), "-screen", "0", "1280x800x24", "-nolisten", "tcp"],
        pass_fds=(write_end,),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    os.close(write_end)
    with os.fdopen(read_end) as pipe:
        number = pipe.readline().strip()
    if not number:
        process.kill()
        pytest.fail("Xvfb did not start")
    display = f":{number}"
    previous = os.environ.get("DISPLAY")
    os.environ["DISPLAY"] = display
    yield display
    if previous is None:
        os.environ.pop("DISPLAY", None)
    else:
        os.environ["DISPLAY"] = previous
    process.terminate()
    process.wait(timeout=10)


@pytest.fixture(scope="session")
def browser_executable() -> Browser:
    """Return the Chromium-family browser the tests drive (KIOSKGUARD_BROWSER overrides)."""
    return find_browser(os.environ.get("KIOSKGUARD_BROWSER"))


@pytest_asyncio.fixture(scope="session")
async def playwright() -> AsyncIterator[Playwright]:
    async with async_playwright() as instance:
        yield instance


@pytest_asyncio.fixture(scope="session")
async def browser(
    playwright: Playwright, browser_executable: Browser
) -> AsyncIterator[PlaywrightBrowser]:
    instance = await playwright.chromium.launch(
        executable_path=str(browser_executable.path), args=list(QUIET_ARGS)
    )
    yield instance
    await instance.close()


@pytest_asyncio.fixture
async def context(browser: PlaywrightBrowser) -> AsyncIterator[BrowserContext]:
    instance = await browser.new_context()
    yield instance
    await instance.close()


@pytest_asyncio.fixture
async def page(context: BrowserContext) -> Page:
    return await context.new_page()


PersistentLauncher = Callable[..., Awaitable[BrowserContext]]


@pytest_asyncio.fixture
async def launch_persistent(
    playwright: Playwright, browser_executable: Browser
) -> AsyncIterator[PersistentLauncher]:
    """Return a factory that launches a persistent profile; every context opened is closed."""
    opened: list[BrowserContext] = []

    async def launch(profile: Path, **options: object) -> BrowserContext:
        options.setdefault("headless", True)
        instance = await playwright.chromium.launch_persistent_context(
            str(profile),
            executable_path=str(browser_executable.path),
            args=list(QUIET_ARGS),
            **options,  # type: ignore[arg-type]
        )
        opened.append(instance)
        return instance

    yield launch
    for instance in opened:
        with contextlib.suppress(Exception):  # already closed by the test
            await instance.close()


@pytest.fixture(scope="session")
def simulator() -> Iterator[SimulatorHandle]:
    """Return the WhatsApp Web simulator shared by the session (127.0.0.1, a free port)."""
    with running_simulator() as handle:
        yield handle


@pytest.fixture
def sim(simulator: SimulatorHandle) -> SimulatorHandle:
    """Return the shared simulator, reset: default config, clock at now, no linked devices."""
    simulator.reset()
    return simulator


DEFAULT_PORT = 9222
PORT_LOCK = Path(f"/tmp/kioskguard-port-{DEFAULT_PORT}.lock")


@contextlib.contextmanager
def default_port_held() -> Iterator[int]:
    """Hold the machine-wide flock that serialises every use of port 9222 (tests of several
    worktrees share the machine); yield the port once it is free. Fail if something else
    listens on it while we hold the lock."""
    with open(PORT_LOCK, "a+") as handle:
        fcntl.flock(handle.fileno(), fcntl.LOCK_EX)
        try:
            with socket.socket() as probe:
                if probe.connect_ex(("127.0.0.1", DEFAULT_PORT)) == 0:
                    pytest.fail(f"port {DEFAULT_PORT} is in use by a process outside the lock")
            yield DEFAULT_PORT
        finally:
            fcntl.flock(handle.fileno(), fcntl.LOCK_UN)


@pytest.fixture
def default_port() -> Iterator[int]:
    """Port 9222 (the configured default), held for the test under its flock."""
    with default_port_held() as port:
        yield port


@pytest.fixture(params=[DEFAULT_PORT, 0], ids=["port-9222", "port-0"])
def managed_port(request: pytest.FixtureRequest) -> Iterator[int]:
    """The managed browser's DevTools port: the fixed default (held under its flock), then 0
    (Chromium picks one and writes DevToolsActivePort)."""
    if request.param == 0:
        yield 0
        return
    with default_port_held() as port:
        yield port
