"""Cold relaunch: start a closed profile's browser ourselves and talk CDP to it over its pipe.

No driver process: the browser is started directly (agent.browser.spawn) with
--remote-debugging-pipe, so no TCP port is open while it runs, and agent.browser.cdp drives its
first tab (CdpTab, as on the warm path). Closing it asks the browser to close (Browser.close,
which writes the profile out), waits for it to end, and kills its process group if it does not
end in time: a cold logout never leaves a browser running.
Every failure is converted here into agent.errors.DriverError (BrowserClosed when the browser
went away), in one line naming the executable.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from pathlib import Path

from loguru import logger

from agent.browser.cdp import CdpConnection, CdpTab
from agent.browser.discovery import PROFILE_COMPATIBLE_ARGS, QUIET_ARGS, Browser
from agent.browser.pipe import PipeTransport
from agent.browser.spawn import (
    Spawned,
    exit_status,
    kill_and_reap,
    kill_group,
    spawn_with_pipe,
    wait_for_exit,
)
from agent.errors import BrowserClosed, DeadlineExceeded, DriverError
from agent.urls import origin_of

# What Playwright's launch added to QUIET_ARGS and PROFILE_COMPATIBLE_ARGS until cold relaunches
# went without it, where it changes how the page runs or what the profile stores: kept, so a
# profile is relaunched the way it was. Its test-harness switches are left out.
COLD_ARGS = (
    "--disable-field-trial-config",
    "--disable-background-timer-throttling",
    "--disable-backgrounding-occluded-windows",
    "--disable-renderer-backgrounding",
    "--disable-back-forward-cache",
    "--disable-breakpad",
    "--disable-component-extensions-with-background-pages",
    "--disable-default-apps",
    "--disable-dev-shm-usage",
    "--disable-extensions",
    "--disable-features=DestroyProfileOnBrowserClose,MediaRouter,PaintHolding,"
    "ThirdPartyStoragePartitioning,OptimizationHints,Translate",
    "--disable-hang-monitor",
    "--disable-prompt-on-repost",
    "--disable-search-engine-choice-screen",
    "--metrics-recording-only",
    "--no-service-autorun",
    "--no-sandbox",  # as Playwright launched it (no sandbox as root, nor in most containers)
    "--window-size=1280,720",  # Playwright's default viewport
)
HEADLESS_ARGS = (
    "--headless",
    "--hide-scrollbars",
    "--mute-audio",
    "--blink-settings=primaryHoverType=2,availableHoverTypes=2,"
    "primaryPointerType=4,availablePointerTypes=4",
)
FIRST_PAGE = "about:blank"
EXITED = "the program exited before it answered as a browser (is it Chromium-family?)"
_TAB_POLL_S = 0.05
KILL_WAIT_S = 2.0


def cold_command(executable: Browser, user_data_dir: Path, headless: bool) -> list[str]:
    """Return the command line of a cold relaunch of user_data_dir with executable."""
    return [
        str(executable.path),
        *QUIET_ARGS,
        *PROFILE_COMPATIBLE_ARGS,
        *COLD_ARGS,
        *(HEADLESS_ARGS if headless else ()),
        f"--user-data-dir={user_data_dir}",
        "--remote-debugging-pipe",
        FIRST_PAGE,
    ]


class ColdBrowser:
    """A browser we started on one profile: its process, its CDP connection, how to close it."""

    def __init__(self, spawned: Spawned, connection: CdpConnection, executable: Browser) -> None:
        self.pid = spawned.pid
        self.connection = connection
        self.executable = executable
        self.status: int | None = None  # the exit status, once close() saw it end

    def ended_because(self) -> str:
        """Return the line for a browser that went away before it answered (after close)."""
        status = self.status
        if status is None or status == -9:  # -9: our kill
            return EXITED
        return f"{EXITED}, exit status {status}" if status >= 0 else f"{EXITED}, signal {-status}"

    async def close(self, timeout_s: float) -> None:
        """Ask the browser to close (it writes the profile out), wait for it to end within
        timeout_s, then kill whatever of its process group is left. Never raises."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout_s
        self.status = exit_status(self.pid)
        if self.status is None:
            try:
                await self.connection.send("Browser.close", timeout_s=max(timeout_s, 0.05))
            except DriverError as exc:  # closed meanwhile, or it did not answer: see below
                logger.debug("Browser.close to {}: {}", self.executable.path, exc)
            self.status = await wait_for_exit(self.pid, deadline - loop.time())
            if self.status is None:
                logger.warning(
                    "the relaunched browser {} (pid {}) did not close within {:.1f} s: killed",
                    self.executable.path,
                    self.pid,
                    timeout_s,
                )
        await self.connection.close()
        if not await kill_and_reap(self.pid, KILL_WAIT_S):
            logger.error("the relaunched browser (pid {}) did not end when killed", self.pid)


_abandoned: set[asyncio.Task[None]] = set()


def abandon(pid: int, connection: CdpConnection | None = None) -> None:
    """A launch was cancelled (the daemon is stopping): kill the browser's process group now and
    reap it (and close the connection) in the background."""
    kill_group(pid)

    async def reap() -> None:
        if connection is not None:
            await connection.close()
        await kill_and_reap(pid, KILL_WAIT_S)

    task = asyncio.get_running_loop().create_task(reap())
    _abandoned.add(task)
    task.add_done_callback(_abandoned.discard)


async def start_browser(
    user_data_dir: Path, executable: Browser, timeout_s: float, headless: bool
) -> ColdBrowser:
    """Start executable on user_data_dir with its DevTools pipe and return it once it answers.

    Raise DriverError (one line naming the executable and the profile) if it cannot start or does
    not answer within timeout_s; nothing is left running then.
    """
    failed = f"cannot launch profile {user_data_dir} with {executable.path}"
    try:
        spawned = spawn_with_pipe(cold_command(executable, user_data_dir, headless))
    except DriverError as exc:
        raise DriverError(f"{failed}: {exc}") from exc
    try:
        transport = await PipeTransport.open(spawned.read_fd, spawned.write_fd)
    except BaseException:
        abandon(spawned.pid)
        raise
    browser = ColdBrowser(spawned, CdpConnection(transport), executable)
    try:
        await browser.connection.send("Browser.getVersion", timeout_s=max(timeout_s, 0.1))
    except asyncio.CancelledError:
        abandon(browser.pid, browser.connection)
        raise
    except DriverError as exc:
        await browser.close(1.0)  # a program that exited shows as ended at once
        if isinstance(exc, BrowserClosed):
            raise DriverError(f"{failed}: {browser.ended_because()}") from exc
        raise DriverError(f"{failed}: the browser did not start in time ({exc})") from exc
    return browser


async def _first_tab(connection: CdpConnection, deadline: float) -> str:
    """Return the target id of the browser's first tab (it opens FIRST_PAGE at start)."""
    while True:
        left = deadline - time.monotonic()
        targets = await connection.send("Target.getTargets", timeout_s=max(left, 0.05))
        pages = [t for t in targets["targetInfos"] if t.get("type") == "page"]
        if pages:
            return str(pages[0]["targetId"])
        if time.monotonic() + _TAB_POLL_S >= deadline:
            raise DeadlineExceeded("the browser opened no tab in time")
        await asyncio.sleep(_TAB_POLL_S)


async def launch_cold(
    user_data_dir: Path,
    client_url: str,
    executable: Browser,
    timeout_s: float,
    headless: bool,
    clock: Callable[[], float] = time.monotonic,
) -> tuple[CdpTab, ColdBrowser, Callable[[float], Awaitable[None]]]:
    """Relaunch the profile and open the client in its tab; return the tab, the browser and how
    to close it (given at least the seconds to do so).

    timeout_s bounds the launch and the first navigation together. Raise DriverError (a one
    line message naming the executable) if the browser does not start or cannot open the client;
    nothing is left running then.
    """
    deadline = time.monotonic() + timeout_s
    browser = await start_browser(user_data_dir, executable, timeout_s, headless)
    connection = browser.connection
    try:
        target_id = await _first_tab(connection, deadline)
        attached = await connection.send(
            "Target.attachToTarget",
            {"targetId": target_id, "flatten": True},
            timeout_s=max(deadline - time.monotonic(), 0.05),
        )
        session_id = str(attached["sessionId"])
        tab = CdpTab(connection, session_id, origin_of(client_url), FIRST_PAGE, clock)
        await asyncio.wait_for(tab.enable(), max(deadline - time.monotonic(), 0.05))
        await tab.goto(client_url, deadline - time.monotonic())
    except asyncio.CancelledError:
        abandon(browser.pid, connection)
        raise
    except (DriverError, TimeoutError, KeyError) as exc:
        ended = exit_status(browser.pid)  # before we close it: did it exit on its own?
        await browser.close(1.0)
        reason = str(exc) or "no answer before the deadline"
        if ended is not None:
            reason += f" (the browser exited: status {ended})"
        raise DriverError(
            f"launched {user_data_dir} with {executable.path} but cannot open the client: {reason}"
        ) from exc
    return tab, browser, browser.close
