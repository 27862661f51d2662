"""A Playwright page as the session layer's tab: the only module of kioskguard importing
playwright.

The daemon and `kioskguard logout` never import it: warm and cold logouts both go over plain
CDP (agent.browser.cdp, agent.browser.coldlaunch), with no Node.js driver. Tests and tools that
already hold a Playwright page (a fixture's browser, a replica page) wrap it in Tab to run the
session layer on it. Every Playwright error is converted here into agent.errors.DriverError.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable, Sequence
from typing import Any

from playwright.async_api import Error as PlaywrightError
from playwright.async_api import Page

from agent.browser.network import NetworkLog, same_origin
from agent.errors import BrowserClosed, DriverError

__all__ = ["PlaywrightError", "Tab"]


def _error(exc: PlaywrightError, message: str) -> DriverError:
    """Return the DriverError for a Playwright error: BrowserClosed when the browser went away."""
    if "has been closed" in exc.message or "Target closed" in exc.message:
        return BrowserClosed(message)
    return DriverError(message)


class Tab:
    """The client's tab, with the few operations the session layer needs."""

    def __init__(
        self, page: Page, origin: str, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self._page = page
        self.origin = origin
        self.network = NetworkLog(origin, clock=clock)
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
                self.network.answered.append(self.network.clock())
            else:
                self.network.failed.append(self.network.clock())

    def _on_failed(self, request: Any) -> None:
        # A request whose answer arrived counts as answered even when the page's reload
        # aborts reading its body a moment later.
        if id(request) in self._answered_requests:
            return
        if self._mine(request.url) and not request.is_navigation_request():
            self.network.failed.append(self.network.clock())

    def _on_navigated(self, frame: Any) -> None:
        if frame == self._page.main_frame:
            self.network.navigations.append(self.network.clock())

    def _on_websocket(self, websocket: Any) -> None:
        if self._mine(websocket.url):
            websocket.on(
                "framereceived", lambda _: self.network.answered.append(self.network.clock())
            )

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
