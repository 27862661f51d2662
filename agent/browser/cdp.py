"""A small Chrome DevTools Protocol client: the visitor's running browser (warm, over its
WebSocket) and the browser a cold logout launches (over its pipe, agent.browser.pipe).

Why not Playwright here: every Playwright connect_over_cdp registers its utility world on each
tab with Page.addScriptToEvaluateOnNewDocument, and Chromium keeps that registration after the
connection closes. A daemon that attaches for every idle check and every logout left one more
isolated world on every page load of the visitor's tab each time: after 60 attaches the client
took 268 ms instead of 163 ms to load, after 120 attaches 342 ms (docs/performance.md).
While attached, Playwright would also auto-dismiss the visitor's dialogs and redirect downloads.
This client registers nothing: it attaches to the one tab, evaluates, dispatches input, watches
the tab's network, and detaches, leaving the browser as it found it.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import time
from collections.abc import AsyncIterator, Callable, Sequence
from typing import TYPE_CHECKING, Any, Protocol
from urllib.parse import urlsplit

from agent.browser.network import NetworkLog, same_origin
from agent.errors import BrowserClosed, DeadlineExceeded, DriverError
from agent.urls import origin_of

if TYPE_CHECKING:
    import aiohttp

# aiohttp is imported when the first attach happens, not with this module: the daemon imports
# the session layer at start, and an idle daemon that never attaches stays ~8 MB smaller.

EventHandler = Callable[[dict[str, Any]], None]
UNBLOCK_AFTER_S = 1.0  # a tab that does not answer Page.enable this long is taken as blocked
UNBLOCK_NOTE = (
    "the client tab did not answer (a JavaScript dialog left open, or a hung script):"
    " reloaded it, which dismissed the dialog"
)

# Clicking a control that the last reading could not give a point for: bring it into view, then
# click its centre once it is on top there and not moving (what Playwright's click waits for).
_POINT_OF = """(selector) => {
  const element = document.querySelector(selector);
  if (!element || !element.isConnected) return { wait: "not in the page" };
  element.scrollIntoView({ block: "center", inline: "center", behavior: "instant" });
  const rect = element.getBoundingClientRect();
  if (rect.width < 1 || rect.height < 1) return { wait: "not visible" };
  const x = rect.left + rect.width / 2;
  const y = rect.top + rect.height / 2;
  const hit = document.elementFromPoint(x, y);
  if (!hit || !(hit === element || element.contains(hit))) return { wait: "covered" };
  if (element.disabled || element.getAttribute("aria-disabled") === "true") {
    return { wait: "disabled" };
  }
  const moving = document.getAnimations().some((animation) => {
    const target = animation.effect && animation.effect.target;
    return animation.playState === "running" && target && target.contains(element);
  });
  return moving ? { wait: "moving" } : { x, y };
}"""


class Transport(Protocol):
    """How CDP messages (JSON text) travel: a WebSocket (WebSocketTransport) or the pipe of a
    browser we launched (agent.browser.pipe.PipeTransport)."""

    async def send(self, text: str) -> None:
        """Send one message. Raise BrowserClosed if the other end is gone."""
        ...

    def messages(self) -> AsyncIterator[str]:
        """Yield the messages as they come; end when the other end closes. Raise BrowserClosed
        (naming why) when the stream broke."""
        ...

    async def close(self) -> None: ...


class WebSocketTransport:
    """CDP over a DevTools WebSocket (the visitor's running browser)."""

    def __init__(self, http: aiohttp.ClientSession, socket: aiohttp.ClientWebSocketResponse):
        self._http = http
        self._socket = socket

    async def send(self, text: str) -> None:
        import aiohttp

        try:
            await self._socket.send_str(text)
        except (aiohttp.ClientError, ConnectionError, RuntimeError) as exc:
            raise BrowserClosed(f"the DevTools connection closed ({exc})") from exc

    async def messages(self) -> AsyncIterator[str]:
        import aiohttp

        try:
            async for message in self._socket:
                if message.type is aiohttp.WSMsgType.TEXT:
                    yield str(message.data)
        except aiohttp.ClientError as exc:
            raise BrowserClosed(f"the DevTools connection closed: {exc}") from exc

    async def close(self) -> None:
        import aiohttp

        with contextlib.suppress(aiohttp.ClientError, OSError, RuntimeError):
            await self._socket.close()
        await self._http.close()


class CdpConnection:
    """One CDP connection to a browser (over a Transport); commands, replies and events."""

    def __init__(self, transport: Transport):
        self._transport = transport
        self._ids = itertools.count(1)
        self._pending: dict[int, asyncio.Future[dict[str, Any]]] = {}
        self._pending_session: dict[int, str | None] = {}
        self._handlers: dict[tuple[str, str | None], list[EventHandler]] = {}
        self._closed_because: str | None = None
        self._reader = asyncio.get_running_loop().create_task(self._read())

    @classmethod
    async def open(cls, endpoint: str, timeout_s: float) -> CdpConnection:
        """Connect to a ws:// endpoint (or an http:// one, resolved through /json/version).

        Raise DriverError if nothing answers within timeout_s.
        """
        import aiohttp

        timeout = aiohttp.ClientTimeout(total=max(timeout_s, 0.1))
        http = aiohttp.ClientSession(timeout=timeout)
        try:
            url = endpoint
            if urlsplit(endpoint).scheme in ("http", "https"):
                async with http.get(endpoint.rstrip("/") + "/json/version") as response:
                    url = str((await response.json(content_type=None))["webSocketDebuggerUrl"])
            socket = await http.ws_connect(url, max_msg_size=0, autoping=True)
        except (aiohttp.ClientError, OSError, TimeoutError, ValueError, KeyError) as exc:
            await http.close()
            raise DriverError(f"cannot attach to {endpoint}: {exc or type(exc).__name__}") from exc
        return cls(WebSocketTransport(http, socket))

    async def _read(self) -> None:
        try:
            async for text in self._transport.messages():
                data = json.loads(text)
                if "id" in data:
                    future = self._pending.pop(data["id"], None)
                    if future is not None and not future.done():
                        future.set_result(data)
                    continue
                if data.get("method") == "Target.detachedFromTarget":
                    self._fail_session(str((data.get("params") or {}).get("sessionId")))
                key = (str(data.get("method")), data.get("sessionId"))
                for handler in list(self._handlers.get(key, ())):
                    handler(data.get("params") or {})
        except BrowserClosed as exc:
            self._closed_because = str(exc)
        except ValueError as exc:
            self._closed_because = f"the DevTools connection closed: {exc}"
        finally:
            self._closed_because = self._closed_because or "the DevTools connection closed"
            for future in self._pending.values():
                if not future.done():
                    future.set_exception(BrowserClosed(self._closed_because))
            self._pending.clear()

    def _fail_session(self, session_id: str) -> None:
        """A session's target went away: its commands will never be answered."""
        for message_id, owner in list(self._pending_session.items()):
            future = self._pending.get(message_id)
            if owner == session_id and future is not None and not future.done():
                future.set_exception(BrowserClosed("the client's tab was closed"))

    def on(self, method: str, session_id: str | None, handler: EventHandler) -> None:
        """Call handler(params) for every event ``method`` of ``session_id``."""
        self._handlers.setdefault((method, session_id), []).append(handler)

    async def send(
        self,
        method: str,
        params: dict[str, Any] | None = None,
        session_id: str | None = None,
        timeout_s: float | None = 10.0,
    ) -> dict[str, Any]:
        """Send one command and return its result. Raise DriverError on error or timeout
        (BrowserClosed when the connection is gone)."""
        if self._closed_because is not None:
            raise BrowserClosed(f"{method}: {self._closed_because}")
        message_id = next(self._ids)
        future: asyncio.Future[dict[str, Any]] = asyncio.get_running_loop().create_future()
        self._pending[message_id] = future
        self._pending_session[message_id] = session_id
        message: dict[str, Any] = {"id": message_id, "method": method, "params": params or {}}
        if session_id is not None:
            message["sessionId"] = session_id
        try:
            await self._transport.send(json.dumps(message))
            reply = await asyncio.wait_for(future, timeout_s)
        except TimeoutError as exc:
            raise DriverError(f"{method}: no answer within {timeout_s:g} s") from exc
        except BrowserClosed as exc:
            raise BrowserClosed(f"{method}: {exc}") from exc
        finally:
            self._pending.pop(message_id, None)
            self._pending_session.pop(message_id, None)
        if "error" in reply:
            error = reply["error"]
            raise DriverError(f"{method}: {error.get('message', error)}")
        result: dict[str, Any] = reply.get("result") or {}
        return result

    async def send_all(
        self, commands: Sequence[tuple[str, dict[str, Any]]], session_id: str | None = None
    ) -> None:
        """Send commands back to back, in order, then wait for every answer (one round trip).

        Raise DriverError if any of them fails.
        """
        replies = [
            asyncio.ensure_future(self.send(method, params, session_id))
            for method, params in commands
        ]
        await asyncio.gather(*replies)

    async def close(self) -> None:
        await self._transport.close()
        self._reader.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self._reader


class CdpTab:
    """The client's tab in a running browser, over a flat CDP session (agent PageLike)."""

    def __init__(
        self,
        connection: CdpConnection,
        session_id: str,
        origin: str,
        url: str,
        clock: Callable[[], float] = time.monotonic,
    ):
        self._connection = connection
        self._session = session_id
        self.origin = origin
        self.network = NetworkLog(origin, clock=clock)
        self._url = url
        self._requests: dict[str, tuple[str, bool]] = {}  # requestId -> (url, navigation)
        self._answered: set[str] = set()
        self._sockets: dict[str, str] = {}
        self._gone: str | None = None
        self.dialogs: list[str] = []  # JavaScript dialogs answered: kind and answer, never text
        self._answering: set[asyncio.Task[None]] = set()
        connection.on("Target.detachedFromTarget", None, self._on_detached)
        for method, handler in (
            ("Network.requestWillBeSent", self._on_request),
            ("Network.responseReceived", self._on_response),
            ("Network.loadingFailed", self._on_failed),
            ("Network.webSocketCreated", self._on_websocket),
            ("Network.webSocketFrameReceived", self._on_frame),
            ("Page.frameNavigated", self._on_navigated),
            ("Page.javascriptDialogOpening", self._on_dialog),
        ):
            connection.on(method, session_id, handler)

    async def enable(self) -> None:
        """Start the page and network events the tab needs (both end when it detaches)."""
        await asyncio.gather(
            self._send("Page.enable"), self._send("Network.enable", {"maxTotalBufferSize": 0})
        )

    async def _send(
        self, method: str, params: dict[str, Any] | None = None, timeout_s: float | None = 10.0
    ) -> dict[str, Any]:
        if self._gone is not None:
            raise BrowserClosed(f"{method}: {self._gone}")
        try:
            return await self._connection.send(method, params, self._session, timeout_s)
        except DriverError:
            if self._gone is not None:
                raise BrowserClosed(f"{method}: {self._gone}") from None
            raise

    def _on_detached(self, params: dict[str, Any]) -> None:
        if params.get("sessionId") == self._session:
            self._gone = "the client's tab was closed"

    def _on_dialog(self, params: dict[str, Any]) -> None:
        """A dialog blocks the page's scripts until answered: dismiss it (leave the page for
        beforeunload, which the client's own logout reload may raise) and record it."""
        kind = str(params.get("type", "dialog"))
        accept = kind == "beforeunload"
        self.dialogs.append(
            f"{kind} dialog in the client tab {'accepted' if accept else 'dismissed'}"
        )
        task = asyncio.get_running_loop().create_task(self._answer_dialog(accept))
        self._answering.add(task)
        task.add_done_callback(self._answering.discard)

    async def _answer_dialog(self, accept: bool) -> None:
        with contextlib.suppress(DriverError):
            await self._send("Page.handleJavaScriptDialog", {"accept": accept}, timeout_s=5.0)

    # -- network, as the logout's verification reads it -------------------------------------

    def _mine(self, url: str) -> bool:
        return same_origin(url, self.origin)

    def _on_request(self, params: dict[str, Any]) -> None:
        navigation = params.get("type") == "Document" and params.get("requestId") == params.get(
            "loaderId"
        )
        self._requests[str(params.get("requestId"))] = (
            str(params.get("request", {}).get("url", "")),
            navigation,
        )

    def _on_response(self, params: dict[str, Any]) -> None:
        request_id = str(params.get("requestId"))
        url, navigation = self._requests.get(request_id, (params["response"]["url"], False))
        if navigation or not self._mine(url):
            return
        if int(params["response"].get("status", 0)) < 500:
            self._answered.add(request_id)
            self.network.answered.append(self.network.clock())
        else:
            self.network.failed.append(self.network.clock())

    def _on_failed(self, params: dict[str, Any]) -> None:
        request_id = str(params.get("requestId"))
        # A request whose answer arrived counts as answered even when the page's reload aborts
        # reading its body a moment later.
        if request_id in self._answered or request_id not in self._requests:
            return
        url, navigation = self._requests[request_id]
        if not navigation and self._mine(url):
            self.network.failed.append(self.network.clock())

    def _on_websocket(self, params: dict[str, Any]) -> None:
        self._sockets[str(params.get("requestId"))] = str(params.get("url", ""))

    def _on_frame(self, params: dict[str, Any]) -> None:
        if self._mine(self._sockets.get(str(params.get("requestId")), "")):
            self.network.answered.append(self.network.clock())

    def _on_navigated(self, params: dict[str, Any]) -> None:
        frame = params.get("frame") or {}
        if not frame.get("parentId"):
            self._url = str(frame.get("url", self._url))
            self.network.navigations.append(self.network.clock())

    # -- what the session layer uses ---------------------------------------------------------

    @property
    def url(self) -> str:
        return self._url

    async def evaluate(self, script: str, argument: Any = None) -> Any:
        """Call a function source in the page with one JSON argument; return its JSON result.

        Raise DriverError when the script throws or the page navigates away meanwhile.
        """
        expression = f"({script.strip()})({json.dumps(argument)})"
        reply = await self._send(
            "Runtime.evaluate",
            {"expression": expression, "awaitPromise": True, "returnByValue": True},
            timeout_s=None,
        )
        if "exceptionDetails" in reply:
            details = reply["exceptionDetails"]
            text = (details.get("exception") or {}).get("description") or details.get("text")
            raise DriverError(f"script failed in {self._url}: {text}")
        return (reply.get("result") or {}).get("value")

    async def click_at(self, x: float, y: float) -> None:
        """Click at a viewport point with real input events (move, press, release)."""
        if self._gone is not None:
            raise BrowserClosed(f"Input.dispatchMouseEvent: {self._gone}")
        base = {"x": x, "y": y, "button": "left", "modifiers": 0}
        # One round trip: the page handles a session's input events in the order they came.
        await self._connection.send_all(
            [
                ("Input.dispatchMouseEvent", {**base, "type": "mouseMoved"}),
                ("Input.dispatchMouseEvent", {**base, "type": "mousePressed", "clickCount": 1}),
                ("Input.dispatchMouseEvent", {**base, "type": "mouseReleased", "clickCount": 1}),
            ],
            self._session,
        )

    async def click(self, selector: str, timeout_s: float) -> None:
        """Scroll the element into view, wait until it can take a click, click its centre.

        Raise DriverError if that does not happen within timeout_s.
        """
        deadline = time.monotonic() + max(timeout_s, 0.05)
        reason = "not tried"
        while True:
            point = await self.evaluate(_POINT_OF, selector)
            if isinstance(point, dict) and "x" in point:
                await self.click_at(float(point["x"]), float(point["y"]))
                return
            reason = str(point.get("wait")) if isinstance(point, dict) else "no answer"
            if time.monotonic() >= deadline:
                raise DriverError(f"could not click {selector}: {reason}")
            await asyncio.sleep(0.05)

    async def goto(self, url: str, timeout_s: float) -> None:
        reply = await self._send("Page.navigate", {"url": url}, timeout_s=max(timeout_s, 0.1))
        if reply.get("errorText"):
            raise DriverError(f"could not open {url}: {reply['errorText']}")

    async def local_storage(self, keys: Sequence[str]) -> dict[str, str | None]:
        """Return the page's localStorage values for the given keys (None where absent)."""
        script = "(keys) => Object.fromEntries(keys.map((k) => [k, localStorage.getItem(k)]))"
        values: dict[str, str | None] = await self.evaluate(script, list(keys))
        return values

    async def clear_origin_data(self, storage_types: Sequence[str]) -> None:
        """Wipe the client's origin only (Storage.clearDataForOrigin on this page's session)."""
        await self._send(
            "Storage.clearDataForOrigin",
            {"origin": self.origin, "storageTypes": ",".join(storage_types)},
        )


async def _enable_or_unblock(
    tab: CdpTab, url: str, remaining: Callable[[], float], noted: Callable[[str], None]
) -> None:
    """Enable the tab's events; if it does not answer soon, reload it and enable again.

    A JavaScript dialog that opened before we attached blocks the page, and no DevTools client
    can answer it (Chromium tells only the clients attached when it opened); a navigation, which
    the browser runs without the page, closes it. Only for a logout: the client reloads anyway.
    """
    try:
        await asyncio.wait_for(tab.enable(), min(UNBLOCK_AFTER_S, remaining() / 3))
        return
    except TimeoutError:
        pass
    noted(UNBLOCK_NOTE)
    await tab._send("Page.navigate", {"url": url}, timeout_s=remaining())
    await asyncio.wait_for(tab.enable(), remaining())


async def attach_tab(
    endpoint: str,
    client_url: str,
    timeout_s: float,
    open_if_missing: bool = True,
    unblock: Callable[[str], None] | None = None,
    clock: Callable[[], float] = time.monotonic,
) -> tuple[CdpConnection, CdpTab, str | None]:
    """Attach to the client's tab of the browser at endpoint; open one if there is none and
    open_if_missing. With unblock (a callback taking a note), a tab that does not answer (an
    open JavaScript dialog) is reloaded, which closes the dialog, and unblock gets told.

    Return the connection, the tab (its network log stamped with clock) and the id of the tab
    we opened (None if it was there).
    Raise DriverError if the browser does not answer, has no client tab (and may not open one),
    or the tab cannot be attached.
    """
    origin = origin_of(client_url)
    deadline = time.monotonic() + timeout_s

    def remaining() -> float:
        left = deadline - time.monotonic()
        if left <= 0:
            raise DeadlineExceeded(
                f"attaching to {endpoint} did not finish before the deadline ({timeout_s:.1f} s)"
            )
        return left

    connection = await CdpConnection.open(endpoint, timeout_s)
    opened: str | None = None
    try:
        targets = (await connection.send("Target.getTargets", timeout_s=remaining()))["targetInfos"]
        pages = [t for t in targets if t.get("type") == "page" and same_origin(t["url"], origin)]
        if pages:
            target_id, url = str(pages[0]["targetId"]), str(pages[0]["url"])
        elif not open_if_missing:
            raise DriverError(f"no tab on {origin} is open")
        else:
            created = await connection.send(
                "Target.createTarget", {"url": client_url}, timeout_s=remaining()
            )
            target_id = opened = str(created["targetId"])
            url = client_url
        attached = await connection.send(
            "Target.attachToTarget", {"targetId": target_id, "flatten": True}, timeout_s=remaining()
        )
        tab = CdpTab(connection, str(attached["sessionId"]), origin, url, clock)
        if unblock is not None and opened is None:
            await _enable_or_unblock(tab, url, remaining, unblock)
        else:
            await asyncio.wait_for(tab.enable(), remaining())
    except TimeoutError as exc:
        await _abandon(connection, opened)
        raise DeadlineExceeded(
            f"attaching to {endpoint} did not finish before the deadline ({timeout_s:.1f} s)"
        ) from exc
    except (DriverError, KeyError, TypeError) as exc:
        await _abandon(connection, opened)
        if isinstance(exc, DeadlineExceeded):
            raise
        raise DriverError(f"attached to {endpoint} but cannot use it: {exc}") from exc
    return connection, tab, opened


async def _abandon(connection: CdpConnection, opened: str | None) -> None:
    """Close the tab we opened (if any) and the connection, after a failed attach."""
    if opened is not None:
        with contextlib.suppress(DriverError):
            await connection.send("Target.closeTarget", {"targetId": opened}, timeout_s=2.0)
    await connection.close()
