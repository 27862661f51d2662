"""``kioskguard demo``: the problem and the fix, end to end, against the bundled simulator.

1. A visitor links the kiosk browser (the phone API stands in for scanning the QR code).
2. They close the browser: the session stays stored, and reopening lands in their chats.
3. kioskguard logs the profile out with the browser closed (cold path) and verifies it;
   the phone's linked-device list is empty.
4. The same with the browser still open (warm path: the agent attaches to it).

The kiosk browser's DevTools listen on the configured default port, 9222 (--port 0: any free
port, found through DevToolsActivePort).

The output is the timeline only: the agent's own log shows warnings and errors, nothing below.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from agent.audit import configure_logging
from agent.browser.driver import Driver
from agent.browser.endpoint import DEFAULT_PORT
from agent.browser.managed import port_in_use, start_managed
from agent.errors import ConfigError, KioskguardError
from agent.linking import link_browser, page_state_of
from agent.outcome import Outcome, PageState, Result, Trigger
from agent.probe.probe import probe_profile
from agent.session.service import SessionService
from agent.settings import ProfileSettings, Settings
from agent.simulator.testing import SimulatorHandle, running_simulator, stop_process

VISIT_S = 6.0
LOG_LEVEL = "WARNING"  # the timeline tells the story; the log speaks only when something is wrong


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--keep", action="store_true", help="keep the demo's temporary files")
    parser.add_argument(
        "--port",
        type=int,
        default=DEFAULT_PORT,
        help=f"the kiosk browser's DevTools port (default {DEFAULT_PORT}, as configured; 0: any)",
    )


@contextmanager
def port_reserved(port: int) -> Iterator[None]:
    """Hold /tmp/kioskguard-port-PORT.lock while the demo uses a fixed port, so test runs on the
    same machine that use it too wait instead of colliding. Raise KioskguardError if another
    program listens on the port."""
    if port == 0 or sys.platform == "win32":
        yield
        return
    import fcntl

    with open(f"/tmp/kioskguard-port-{port}.lock", "a+") as handle:
        fcntl.flock(handle.fileno(), fcntl.LOCK_EX)
        if port_in_use(port):
            raise KioskguardError(
                f"port {port} on 127.0.0.1 is in use by another program; use --port 0"
            )
        yield


class Timeline:
    """Prints each step with the time since the start and the step's own duration."""

    def __init__(self) -> None:
        self.start = self.last = time.monotonic()

    def step(self, text: str) -> None:
        now = time.monotonic()
        print(
            f"[{now - self.start:6.2f} s | +{(now - self.last) * 1000:6.0f} ms] {text}", flush=True
        )
        self.last = now


@contextmanager
def display() -> Iterator[bool]:
    """Yield True with an X display for a headed browser (Xvfb if none), False for headless."""
    if os.environ.get("DISPLAY") or shutil.which("Xvfb") is None:
        yield bool(os.environ.get("DISPLAY"))
        return
    read_end, write_end = os.pipe()
    xvfb = subprocess.Popen(
        ["Xvfb", "-displayfd", str(write_end), "-screen", "0", "1280x800x24", "-nolisten", "tcp"],
        pass_fds=(write_end,),
        stderr=subprocess.DEVNULL,
    )
    os.close(write_end)
    with os.fdopen(read_end) as pipe:
        os.environ["DISPLAY"] = ":" + pipe.readline().strip()
    try:
        yield True
    finally:
        os.environ.pop("DISPLAY", None)
        xvfb.terminate()
        xvfb.wait()


def expect_unlinked(outcome: Outcome, sim: SimulatorHandle) -> None:
    """Raise KioskguardError unless the logout was verified and the phone lists no device."""
    if outcome.result is not Result.LOGGED_OUT or sim.devices():
        raise KioskguardError(
            f"logout not confirmed: {outcome.result.value}, phone lists {sim.devices()},"
            f" error {outcome.error}"
        )


async def story(sim: SimulatorHandle, work: Path, headed: bool, port: int) -> None:
    timeline = Timeline()
    timeline.step(f"simulator serving {sim.url} (phone: {sim.phone_url})")
    general = {"state_dir": str(work), "client_url": sim.url}
    browser = {"debugging_port": port} if port else {}
    settings = Settings.model_validate({"general": general, "browser": browser})
    profile = ProfileSettings(name="kiosk", user_data_dir=work / "kiosk-profile", url=sim.url)
    service = SessionService(settings)
    executable = service.executable()
    driver = await Driver().start()
    timeline.step(
        f"browser: {executable.kind} {executable.path}, DevTools port {port or 'any (0)'}"
    )

    def open_browser() -> tuple[subprocess.Popen[bytes], str]:
        process = start_managed(
            executable, profile.user_data_dir, sim.url, port, headless=not headed
        )
        deadline = time.monotonic() + 30
        while (endpoint := service.endpoint(profile).endpoint) is None:
            if time.monotonic() > deadline or process.poll() is not None:
                raise KioskguardError("the managed browser did not start")
            time.sleep(0.1)
        return process, endpoint

    try:
        print("\n== The problem: closing the browser does not log out ==")
        process, endpoint = open_browser()
        timeline.step(f"visitor opens the kiosk browser ({'headed' if headed else 'headless'})")
        await link_browser(driver, endpoint, sim)
        timeline.step(f"visitor scans the QR code: phone lists {len(sim.devices())} device(s)")
        await asyncio.sleep(VISIT_S)  # Chromium writes localStorage to disk ~5 s after a change
        timeline.step(f"visitor reads their chats for {VISIT_S:.0f} s")
        stop_process(process)  # as a visitor closing the window would
        probe = probe_profile(profile.user_data_dir / "Default", sim.url)
        timeline.step(
            f"visitor closes the browser; stored session: {probe.linked.value}"
            f" (account {probe.account})"
        )
        process, endpoint = open_browser()
        state = await page_state_of(driver, endpoint, sim.url)
        timeline.step(f"next visitor opens the browser: the page shows {state.value.upper()}")
        if state is not PageState.CHATS:
            raise KioskguardError("the stored session did not survive closing the browser")
        timeline.step("  -> the previous visitor's chats, readable by anyone: the risk")
        stop_process(process)  # as a visitor closing the window would

        print("\n== The fix, browser closed: kioskguard logs out (cold path) ==")
        outcome = await service.logout(profile, Trigger.BROWSER_CLOSED, 30.0)
        timeline.step(
            f"logout: {outcome.result.value}, verified={outcome.verified},"
            f" path={outcome.path}, how={outcome.how}, {outcome.duration_ms} ms"
        )
        expect_unlinked(outcome, sim)
        timeline.step(f"phone's linked devices: {sim.devices()} (empty: unlinked)")

        print("\n== The fix, browser open: kioskguard attaches and logs out (warm path) ==")
        process, endpoint = open_browser()
        await link_browser(driver, endpoint, sim)
        timeline.step(f"a new visitor links: phone lists {len(sim.devices())} device(s)")
        outcome = await service.logout(profile, Trigger.IDLE, 30.0)
        timeline.step(
            f"logout: {outcome.result.value}, verified={outcome.verified},"
            f" path={outcome.path}, how={outcome.how}, {outcome.duration_ms} ms"
        )
        state = await page_state_of(driver, endpoint, sim.url)
        timeline.step(f"the visitor's browser is still open and shows {state.value.upper()}")
        expect_unlinked(outcome, sim)
        timeline.step(f"phone's linked devices: {sim.devices()} (empty: unlinked)")
        stop_process(process)  # as a visitor closing the window would
    finally:
        await driver.stop()
        await service.close()


def run(args: argparse.Namespace) -> int:
    if args.port != 0 and not 1024 <= args.port <= 65535:
        raise ConfigError(f"--port {args.port}: must be 0 (any free port) or 1024-65535")
    configure_logging(LOG_LEVEL, None)
    work = Path(tempfile.mkdtemp(prefix="kioskguard-demo-"))
    try:
        with (
            port_reserved(args.port),
            display() as headed,
            running_simulator(db_path=work / "phone.sqlite3") as sim,
        ):
            asyncio.run(story(sim, work, headed, args.port))
    finally:
        if args.keep:
            print(f"demo files kept in {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)
    print("\ndemo: done")
    return 0
