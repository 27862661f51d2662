"""Cold relaunch: start a closed profile's browser ourselves and talk CDP to it over its pipe.

No driver process: the browser is started directly (agent.browser.spawn) with
--remote-debugging-pipe, so no TCP port is open while it runs, and agent.browser.cdp drives its
first tab (CdpTab, as on the warm path). Closing it asks the browser to close (Browser.close,
which writes the profile out), waits for it to end, and kills its process group if it does not
end in time: a cold logout never leaves a browser running. If the daemon itself is killed, the
pipe closes with it and Chromium exits on its own (measured: 0.2 s for the headless shell, 2 s
for the full browser).
Every failure is converted here into agent.errors.DriverError (BrowserClosed when the browser
went away), in one line naming the executable.
"""

from __future__ import annotations

import asyncio
import os
import time
from collections.abc import Awaitable, Callable, Sequence
from pathlib import Path
from typing import Protocol

from loguru import logger

from agent.browser.cdp import CdpConnection, CdpTab
from agent.browser.discovery import PROFILE_COMPATIBLE_ARGS, QUIET_ARGS, Browser
from agent.browser.pipe import PipeTransport
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
PIPE = hasattr(os, "posix_spawn")  # else (Windows) a DevTools port on 127.0.0.1


def cold_command(
    executable: Browser,
    user_data_dir: Path,
    headless: bool,
    debugging: Sequence[str] = ("--remote-debugging-pipe",),
) -> list[str]:
    """Return the command line of a cold relaunch of user_data_dir with executable (DevTools
    on its pipe, or as ``debugging`` says)."""
    return [
        str(executable.path),
        *QUIET_ARGS,
        *PROFILE_COMPATIBLE_ARGS,
        *COLD_ARGS,
        *(HEADLESS_ARGS if headless else ()),
        f"--user-data-dir={user_data_dir}",
        *debugging,
        FIRST_PAGE,
    ]


class Process(Protocol):
    """A browser process we started (agent.browser.spawn.Spawned, agent.browser.portspawn.
    PortProcess): its exit, and how to end it with everything it started."""

    @property
    def pid(self) -> int: ...

    def exit_status(self) -> int | None:
        """Return its exit status if it ended (negative: the signal), else None."""
        ...

    async def wait(self, timeout_s: float) -> int | None:
        """Wait at most timeout_s for it to end; return exit_status()."""
        ...

    def kill_now(self) -> None:
        """Kill it and its process group now (no waiting)."""
        ...

    async def kill(self, timeout_s: float) -> bool:
        """Kill it and its process group, reap it; return False if it had not ended in time."""
        ...


class ColdBrowser:
    """A browser we started on one profile: its process, its CDP connection, how to close it."""

    def __init__(self, process: Process, connection: CdpConnection, executable: Browser) -> None:
        self.process = process
        self.pid = process.pid
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
        self.status = self.process.exit_status()
        if self.status is None:
            try:
                await self.connection.send("Browser.close", timeout_s=max(timeout_s, 0.05))
            except DriverError as exc:  # closed meanwhile, or it did not answer: see below
                logger.debug("Browser.close to {}: {}", self.executable.path, exc)
            self.status = await self.process.wait(deadline - loop.time())
            if self.status is None:
                logger.warning(
                    "the relaunched browser {} (pid {}) did not close within {:.1f} s: killed",
                    self.executable.path,
                    self.pid,
                    timeout_s,
                )
        await self.connection.close()
        if not await self.process.kill(KILL_WAIT_S):
            logger.error("the relaunched browser (pid {}) did not end when killed", self.pid)

    def abandon(self) -> None:
        """A launch was cancelled (the daemon is stopping): kill the browser's process group now
        and reap it (and close the connection) in the background."""
        self.process.kill_now()

        async def reap() -> None:
            await self.connection.close()
            await self.process.kill(KILL_WAIT_S)

        task = asyncio.get_running_loop().create_task(reap())
        _abandoned.add(task)
        task.add_done_callback(_abandoned.discard)


_abandoned: set[asyncio.Task[None]] = set()


async def _connect(
    user_data_dir: Path, executable: Browser, timeout_s: float, headless: bool, pipe: bool
) -> tuple[Process, CdpConnection]:
    """Start the browser and open CDP to it: over its pipe, or (pipe False: no posix_spawn)
    over a port on 127.0.0.1. Raise DriverError with the reason alone."""
    if pipe:
        from agent.browser.spawn import spawn_with_pipe

        spawned = spawn_with_pipe(cold_command(executable, user_data_dir, headless))
        try:
            transport = await PipeTransport.open(spawned.read_fd, spawned.write_fd)
        except BaseException:
            spawned.kill_now()
            await spawned.kill(KILL_WAIT_S)
            raise
        return spawned, CdpConnection(transport)
    from agent.browser.portspawn import PORT_ARGS, endpoint_of, spawn_with_port

    (user_data_dir / "DevToolsActivePort").unlink(missing_ok=True)
    process = spawn_with_port(cold_command(executable, user_data_dir, headless, PORT_ARGS))
    try:
        endpoint = await endpoint_of(process, user_data_dir, timeout_s)
        if endpoint is None:
            status = process.exit_status()
            raise DriverError(
                "the browser did not start in time (no DevToolsActivePort)"
                if status is None
                else f"{EXITED}, exit status {status}"
            )
        return process, await CdpConnection.open(endpoint, timeout_s)
    except BaseException:
        await process.kill(KILL_WAIT_S)
        raise


async def start_browser(
    user_data_dir: Path,
    executable: Browser,
    timeout_s: float,
    headless: bool,
    pipe: bool | None = None,
) -> ColdBrowser:
    """Start executable on user_data_dir and return it once it answers over CDP (its pipe, or
    a port where the pipe is not available).

    Raise DriverError (one line naming the executable and the profile) if it cannot start or does
    not answer within timeout_s; nothing is left running then.
    """
    failed = f"cannot launch profile {user_data_dir} with {executable.path}"
    try:
        process, connection = await _connect(
            user_data_dir, executable, timeout_s, headless, PIPE if pipe is None else pipe
        )
    except DriverError as exc:
        raise DriverError(f"{failed}: {exc}") from exc
    browser = ColdBrowser(process, connection, executable)
    try:
        await browser.connection.send("Browser.getVersion", timeout_s=max(timeout_s, 0.1))
    except asyncio.CancelledError:
        browser.abandon()
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
    pipe: bool | None = None,
) -> tuple[CdpTab, ColdBrowser, Callable[[float], Awaitable[None]]]:
    """Relaunch the profile and open the client in its tab; return the tab, the browser and how
    to close it (given at least the seconds to do so).

    timeout_s bounds the launch and the first navigation together. Raise DriverError (a one
    line message naming the executable) if the browser does not start or cannot open the client;
    nothing is left running then. pipe: CDP over the browser's pipe (the default where
    posix_spawn exists) or over a port on 127.0.0.1.
    """
    started = time.monotonic()
    deadline = started + timeout_s
    browser = await start_browser(user_data_dir, executable, timeout_s, headless, pipe)
    logger.debug(
        "relaunched browser (pid {}) answered in {:.2f} s", browser.pid, time.monotonic() - started
    )
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
        logger.debug("relaunched browser opened the client in {:.2f} s", time.monotonic() - started)
    except asyncio.CancelledError:
        browser.abandon()
        raise
    except (DriverError, TimeoutError, KeyError) as exc:
        ended = browser.process.exit_status()  # before we close it: did it exit on its own?
        await browser.close(1.0)
        reason = str(exc) or "no answer before the deadline"
        if ended is not None:
            reason += f" (the browser exited: status {ended})"
        raise DriverError(
            f"launched {user_data_dir} with {executable.path} but cannot open the client: {reason}"
        ) from exc
    return tab, browser, browser.close
