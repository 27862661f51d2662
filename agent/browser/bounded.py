"""A tab whose every call ends by one deadline: what makes a logout's deadline a deadline.

A page can stop answering (a JavaScript dialog blocks the renderer until it is answered, a hung
script, a browser that stops reading its DevTools socket); each call of the session layer on the
tab then waits at most until the logout's deadline and raises DeadlineExceeded.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable, Sequence
from typing import Any, Protocol, TypeVar

from loguru import logger

from agent.browser.network import NetworkLog
from agent.errors import DeadlineExceeded, DriverError

T = TypeVar("T")
CLEANUP_TIMEOUT_S = 5.0


class PageLike(Protocol):
    """What the session layer needs of a tab to read and act on the page (agent.browser.relaunch.
    Tab, agent.browser.cdp.CdpTab, BoundedTab and agent.session.fakes.FakeTab implement it;
    agent.session.pagestate re-exports it)."""

    origin: str

    @property
    def url(self) -> str: ...

    async def evaluate(self, script: str, argument: Any = None) -> Any: ...

    async def click(self, selector: str, timeout_s: float) -> None: ...

    async def click_at(self, x: float, y: float) -> None: ...

    async def goto(self, url: str, timeout_s: float) -> None: ...

    async def local_storage(self, keys: Sequence[str]) -> dict[str, str | None]: ...


class RawTab(PageLike, Protocol):
    """A client tab as a driver hands it out, unbounded: agent.browser.cdp.CdpTab (warm and
    cold), agent.browser.relaunch.Tab (a Playwright page, in tests) and
    agent.session.fakes.FakeTab implement it."""

    network: NetworkLog
    dialogs: list[str]  # JavaScript dialogs answered: kind and answer, never text

    async def clear_origin_data(self, storage_types: Sequence[str]) -> None: ...


async def before(
    deadline: float, what: str, awaitable: Awaitable[T], clock: Callable[[], float] = time.monotonic
) -> T:
    """Return awaitable's result if it comes before deadline (a clock() value).

    Raise DeadlineExceeded naming ``what`` otherwise (the awaitable is cancelled).
    """
    remaining = deadline - clock()
    if remaining <= 0:
        if asyncio.iscoroutine(awaitable):
            awaitable.close()
        raise DeadlineExceeded(f"{what}: the deadline had passed")
    try:
        return await asyncio.wait_for(awaitable, remaining)
    except TimeoutError as exc:
        raise DeadlineExceeded(f"{what} did not finish before the deadline") from exc


async def cleanup(
    what: str,
    awaitable: Awaitable[object],
    timeout_s: float = CLEANUP_TIMEOUT_S,
    errors: tuple[type[Exception], ...] = (),
) -> None:
    """Await a cleanup step for at most timeout_s; log (never raise) a timeout, a DriverError
    or one of ``errors`` (the Playwright error, where Playwright is in use)."""
    caught: tuple[type[Exception], ...] = (TimeoutError, DriverError, *errors)
    try:
        await asyncio.wait_for(awaitable, timeout_s)
    except caught as exc:
        logger.warning("cleanup step {} did not finish cleanly: {}", what, exc)


class BoundedTab:
    """The client's tab (agent.session.pagestate.PageLike) with every call bounded by deadline.

    ``answered`` counts the page's answers to scripts: 0 means the page was never read.
    """

    def __init__(
        self, tab: RawTab, deadline: float, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self._tab = tab
        self.deadline = deadline
        self.clock = clock
        self.origin = tab.origin
        self.network = tab.network
        self.answered = 0

    @property
    def url(self) -> str:
        return self._tab.url

    @property
    def dialogs(self) -> list[str]:
        """The JavaScript dialogs answered in the tab so far (kind and answer, no text)."""
        return self._tab.dialogs

    async def _call(self, what: str, awaitable: Awaitable[T]) -> T:
        return await before(self.deadline, what, awaitable, self.clock)

    async def evaluate(self, script: str, argument: Any = None) -> Any:
        result = await self._call("reading the page", self._tab.evaluate(script, argument))
        self.answered += 1
        return result

    async def click(self, selector: str, timeout_s: float) -> None:
        await self._call(f"clicking {selector}", self._tab.click(selector, timeout_s))

    async def click_at(self, x: float, y: float) -> None:
        await self._call("clicking", self._tab.click_at(x, y))

    async def goto(self, url: str, timeout_s: float) -> None:
        await self._call(f"opening {url}", self._tab.goto(url, timeout_s))

    async def local_storage(self, keys: Sequence[str]) -> dict[str, str | None]:
        values = await self._call("reading localStorage", self._tab.local_storage(keys))
        self.answered += 1
        return values

    async def clear_origin_data(self, storage_types: Sequence[str]) -> None:
        await self._call("clearing the origin", self._tab.clear_origin_data(storage_types))
