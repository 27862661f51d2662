"""The driver: the only module of kioskguard that imports playwright.

Two ways in:
- warm: attach over CDP to the running managed browser (loopback only unless allowed), find the
  client's tab by origin (open one if none), act, then detach: the visitor's browser and their
  other tabs are never closed. This goes through agent.browser.cdp, a plain CDP session that
  leaves nothing registered behind (see that module for why not Playwright).
- cold: launch the profile headless as a persistent context with Playwright, act, close after
  verification.

Every Playwright error is converted here into agent.errors.DriverError.
"""

from __future__ import annotations

import asyncio
import contextlib
import ipaddress
import time
from collections.abc import Awaitable, Callable, Sequence
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from loguru import logger
from playwright.async_api import Error as PlaywrightError
from playwright.async_api import Page, Playwright, async_playwright

from agent.browser.cdp import CdpConnection, CdpTab, attach_tab
from agent.browser.discovery import QUIET_ARGS, Browser
from agent.browser.network import NetworkLog, same_origin
from agent.errors import BrowserClosed, DriverError
from agent.probe.origin import origin_of

# Flags Playwright adds to every launch that change how a profile stores secrets: the managed
# browser is started with them too, so both ways in read the same cookies and keys.
PROFILE_COMPATIBLE_ARGS = ("--password-store=basic", "--use-mock-keychain")
CLEANUP_TIMEOUT_S = 5.0


def is_loopback_endpoint(endpoint: str) -> bool:
    """Return True when a CDP endpoint URL points at this machine's loopback interface."""
    host = urlsplit(endpoint).hostname or ""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _error(exc: PlaywrightError, message: str) -> DriverError:
    """Return the DriverError for a Playwright error: BrowserClosed when the browser went away."""
    if "has been closed" in exc.message or "Target closed" in exc.message:
        return BrowserClosed(message)
    return DriverError(message)


def launch_failure(message: str) -> str:
    """Given Playwright's launch error (a dump of the browser's output and a call log), return
    the one line that says what went wrong."""
    first = message.strip().splitlines()[0] if message.strip() else "unknown error"
    first = first.removeprefix("BrowserType.launch_persistent_context: ").strip()
    if "Timeout" in first and "exceeded" in first:
        return f"the browser did not start in time ({first})"
    if "has been closed" in first or "exited" in message or "ENOENT" in message:
        return "the program exited before it answered as a browser (is it Chromium-family?)"
    if "EACCES" in message or "permission denied" in message.lower():
        return "permission denied: the file is not an executable program"
    return first[:200]


class Tab:
    """The client's tab, with the few operations the session layer needs."""

    def __init__(self, page: Page, origin: str) -> None:
        self._page = page
        self.origin = origin
        self.network = NetworkLog(origin)
        self._answered_requests: set[int] = set()
        self.dialogs: list[str] = []  # JavaScript dialogs answered: kind and answer, never text
        page.on("dialog", self._on_dialog)
        page.on("response", self._on_response)
        page.on("requestfailed", self._on_failed)
        page.on("framenavigated", self._on_navigated)
        page.on("websocket", self._on_websocket)

    def _mine(self, url: str) -> bool:
        return same_origin(url, self.origin)

    async def _on_dialog(self, dialog: Any) -> None:
        """Dismiss a dialog (leave the page for beforeunload) and record it (never its text)."""
        accept = dialog.type == "beforeunload"
        self.dialogs.append(
            f"{dialog.type} dialog in the client tab {'accepted' if accept else 'dismissed'}"
        )
        with contextlib.suppress(PlaywrightError):
            await (dialog.accept() if accept else dialog.dismiss())

    def _on_response(self, response: Any) -> None:
        if self._mine(response.url) and not response.request.is_navigation_request():
            if response.status < 500:
                self._answered_requests.add(id(response.request))
                self.network.answered.append(time.monotonic())
            else:
                self.network.failed.append(time.monotonic())

    def _on_failed(self, request: Any) -> None:
        # A request whose answer arrived counts as answered even when the page's reload
        # aborts reading its body a moment later.
        if id(request) in self._answered_requests:
            return
        if self._mine(request.url) and not request.is_navigation_request():
            self.network.failed.append(time.monotonic())

    def _on_navigated(self, frame: Any) -> None:
        if frame == self._page.main_frame:
            self.network.navigations.append(time.monotonic())

    def _on_websocket(self, websocket: Any) -> None:
        if self._mine(websocket.url):
            websocket.on("framereceived", lambda _: self.network.answered.append(time.monotonic()))

    @property
    def url(self) -> str:
        return self._page.url

    async def evaluate(self, script: str, argument: Any = None) -> Any:
        """Run a script in the page and return its JSON-able result."""
        try:
            return await self._page.evaluate(script, argument)
        except PlaywrightError as exc:
            raise _error(exc, f"script failed in {self._page.url}: {exc.message}") from exc

    async def click(self, selector: str, timeout_s: float) -> None:
        """Click the element with real input events. Raise DriverError if it cannot be clicked."""
        try:
            await self._page.locator(selector).first.click(timeout=max(timeout_s, 0.05) * 1000)
        except PlaywrightError as exc:
            raise _error(exc, f"could not click {selector}: {exc.message.splitlines()[0]}") from exc

    async def click_at(self, x: float, y: float) -> None:
        """Click at a viewport point with real input events. Raise DriverError if it fails."""
        try:
            await self._page.mouse.click(x, y)
        except PlaywrightError as exc:
            raise _error(exc, f"could not click at ({x:.0f}, {y:.0f}): {exc.message}") from exc

    async def goto(self, url: str, timeout_s: float) -> None:
        try:
            await self._page.goto(url, timeout=max(timeout_s, 0.1) * 1000, wait_until="commit")
        except PlaywrightError as exc:
            raise _error(exc, f"could not open {url}: {exc.message.splitlines()[0]}") from exc

    async def local_storage(self, keys: Sequence[str]) -> dict[str, str | None]:
        """Return the page's localStorage values for the given keys (None where absent)."""
        script = "(keys) => Object.fromEntries(keys.map((k) => [k, localStorage.getItem(k)]))"
        values: dict[str, str | None] = await self.evaluate(script, list(keys))
        return values

    async def clear_origin_data(self, storage_types: Sequence[str]) -> None:
        """Wipe the client's origin only, through CDP Storage.clearDataForOrigin on this page."""
        try:
            session = await self._page.context.new_cdp_session(self._page)
            try:
                await session.send(
                    "Storage.clearDataForOrigin",
                    {"origin": self.origin, "storageTypes": ",".join(storage_types)},
                )
            finally:
                await session.detach()
        except PlaywrightError as exc:
            raise _error(exc, f"clearDataForOrigin failed: {exc.message}") from exc

    async def screenshot(self, path: Path) -> None:
        try:
            await self._page.screenshot(path=str(path))
        except PlaywrightError as exc:
            raise _error(exc, f"screenshot failed: {exc.message}") from exc


class Session:
    """A way into one profile's client tab, and how to let go of it.

    cold: a Playwright persistent context we launched (closing it closes that browser);
    warm: a CDP session on the visitor's running browser (closing it detaches, and closes
    only a tab we opened).
    """

    def __init__(
        self, path: str, tab: Tab | CdpTab, release: Callable[[float], Awaitable[None]]
    ) -> None:
        self.path = path
        self.tab = tab
        self._release = release

    async def close(self, timeout_s: float = CLEANUP_TIMEOUT_S) -> None:
        """Let go of the tab (warm: detach; cold: close the browser) within timeout_s."""
        await self._release(timeout_s)


async def _bounded(what: str, awaitable: Any, timeout_s: float = CLEANUP_TIMEOUT_S) -> None:
    try:
        await asyncio.wait_for(awaitable, timeout_s)
    except (TimeoutError, PlaywrightError, DriverError) as exc:
        logger.warning("cleanup step {} did not finish cleanly: {}", what, exc)


async def _detach(connection: CdpConnection, opened_target: str | None) -> None:
    """Close the tab we opened (never the visitor's), then drop the connection."""
    try:
        if opened_target is not None:
            await connection.send("Target.closeTarget", {"targetId": opened_target}, timeout_s=2.0)
    finally:
        await connection.close()


class Driver:
    """Owns the Playwright instance; opens warm and cold sessions."""

    def __init__(self) -> None:
        self._playwright: Playwright | None = None
        self._manager: Any = None

    async def start(self) -> Driver:
        if self._playwright is None:
            manager = async_playwright()
            self._playwright = await manager.start()
            self._manager = manager  # only once started: a cancelled start leaves nothing half-set
        return self

    async def stop(self) -> None:
        if self._manager is not None:
            await _bounded("playwright.stop", self._manager.__aexit__(None, None, None))
            self._manager = self._playwright = None

    async def __aenter__(self) -> Driver:
        return await self.start()

    async def __aexit__(self, *exc_info: object) -> None:
        await self.stop()

    @property
    def playwright(self) -> Playwright:
        if self._playwright is None:
            raise DriverError("the driver is not started")
        return self._playwright

    async def attach(
        self,
        endpoint: str,
        client_url: str,
        timeout_s: float,
        allow_remote: bool = False,
        open_if_missing: bool = True,
        unblock: Callable[[str], None] | None = None,
    ) -> Session:
        """Attach to a running browser over CDP and return a warm session on the client's tab.

        Uses agent.browser.cdp, not Playwright, so nothing stays registered in the visitor's
        browser after detaching. With unblock (logouts only: a callback taking a note), a
        client tab blocked by a JavaScript dialog is reloaded. Raise DriverError if the endpoint
        is not loopback (unless allowed) or does not answer.
        """
        if not allow_remote and not is_loopback_endpoint(endpoint):
            raise DriverError(
                f"refusing CDP endpoint {endpoint}: not loopback (set browser.allow_remote_cdp)"
            )
        connection, tab, opened = await attach_tab(
            endpoint, client_url, timeout_s, open_if_missing, unblock
        )

        async def release(timeout_s: float) -> None:
            await _bounded("detach", _detach(connection, opened), timeout_s)

        return Session("warm", tab, release)

    async def launch(
        self,
        user_data_dir: Path,
        client_url: str,
        executable: Browser,
        timeout_s: float,
        headless: bool = True,
    ) -> Session:
        """Launch the profile as a persistent context and return a cold session on the client.

        timeout_s bounds the launch and the first navigation together. Raise DriverError (a one
        line message naming the executable) if the browser does not start or cannot open it.
        """
        origin = origin_of(client_url)
        deadline = time.monotonic() + timeout_s
        try:
            context = await self.playwright.chromium.launch_persistent_context(
                str(user_data_dir),
                executable_path=str(executable.path),
                headless=headless,
                args=list(QUIET_ARGS),
                timeout=max(timeout_s, 0.1) * 1000,
            )
        except PlaywrightError as exc:
            raise DriverError(
                f"cannot launch profile {user_data_dir} with {executable.path}:"
                f" {launch_failure(exc.message)}"
            ) from exc
        try:
            page = context.pages[0] if context.pages else await context.new_page()
            tab = Tab(page, origin)
            await tab.goto(client_url, deadline - time.monotonic())
        except (PlaywrightError, DriverError) as exc:
            await _bounded("context.close", context.close())
            raise DriverError(
                f"launched {user_data_dir} but cannot open the client: {exc}"
            ) from exc

        async def release(timeout_s: float) -> None:
            await _bounded("context.close", context.close(), timeout_s)

        return Session("cold", tab, release)
