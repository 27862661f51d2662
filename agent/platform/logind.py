"""systemd-logind (org.freedesktop.login1 on the system bus): idle hint, delay inhibitor, events.

The only module that talks to logind. One ``Logind`` connection, bound to the user's session,
hands out the three pieces the daemon needs: an IdleSource, a ShutdownInhibitor and an
EventSource (PrepareForShutdown / PrepareForSleep / Lock / Unlock / SessionRemoved).
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import time
from collections.abc import AsyncIterator, Callable
from typing import TYPE_CHECKING

from loguru import logger

from agent.errors import PlatformUnavailable
from agent.platform import _dbus
from agent.platform.base import OsEvent

if TYPE_CHECKING:
    from dbus_fast.aio import MessageBus
    from dbus_fast.message import Message

BUS_NAME = "org.freedesktop.login1"
MANAGER_PATH = "/org/freedesktop/login1"
MANAGER = "org.freedesktop.login1.Manager"
SESSION = "org.freedesktop.login1.Session"
USER = "org.freedesktop.login1.User"
_SHUTDOWN_CANCELLED = "shutdown-cancelled"  # PrepareForShutdown(false): no event, re-take lock


async def resolve_session(bus: MessageBus, session_id: str | None, uid: int) -> str:
    """Given a session id (or None: the user's graphical session), return its object path.

    Raise PlatformUnavailable if logind does not know the session or the user has no display.
    """
    if session_id:
        reply = await _dbus.call(
            bus, BUS_NAME, MANAGER_PATH, MANAGER, "GetSession", "s", [session_id]
        )
        return str(reply.body[0])
    reply = await _dbus.call(bus, BUS_NAME, MANAGER_PATH, MANAGER, "GetUser", "u", [uid])
    _, session_path = await _dbus.get_property(bus, BUS_NAME, str(reply.body[0]), USER, "Display")
    if session_path in ("", "/"):
        raise PlatformUnavailable(f"logind lists no graphical session for uid {uid}")
    return str(session_path)


class Logind:
    """A system-bus connection to logind, bound to one session."""

    def __init__(self, bus: MessageBus, session_path: str) -> None:
        self.bus = bus
        self.session_path = session_path

    @classmethod
    async def connect(
        cls, bus_address: str | None = None, session_id: str | None = None, uid: int | None = None
    ) -> Logind:
        """Given a bus address (default: the system bus) and a session id, return a connection.

        Without a session id, the user's display session (User.Display) is used.
        Raise PlatformUnavailable if the bus or the session cannot be reached.
        """
        bus = await _dbus.connect("system", bus_address, unix_fds=True)
        try:
            path = await resolve_session(bus, session_id, os.getuid() if uid is None else uid)
        except PlatformUnavailable:
            bus.disconnect()
            raise
        return cls(bus, path)

    def idle_source(
        self, monotonic: Callable[[], float] = time.monotonic, *, owns_connection: bool = False
    ) -> LogindIdleSource:
        """Return the session's idle hint as an IdleSource (closing it closes us if it owns us)."""
        return LogindIdleSource(self, monotonic, owns_connection=owns_connection)

    def inhibitor(
        self,
        what: str = "shutdown:sleep",
        who: str = "kioskguard",
        why: str = "Logging out of WhatsApp Web",
    ) -> LogindInhibitor:
        return LogindInhibitor(self, what, who, why)

    def event_source(self, inhibitor: LogindInhibitor | None = None) -> LogindEventSource:
        """Return the event stream; after resume (or a cancelled shutdown) it re-takes inhibitor."""
        return LogindEventSource(self, inhibitor)

    def close(self) -> None:
        self.bus.disconnect()


class LogindIdleSource:
    """The session's IdleHint / IdleSinceHintMonotonic, set only by desktops that report idle."""

    name = "logind"

    def __init__(
        self,
        logind: Logind,
        monotonic: Callable[[], float] = time.monotonic,
        *,
        owns_connection: bool = False,
    ) -> None:
        self._logind = logind
        self._monotonic = monotonic  # CLOCK_MONOTONIC, the clock logind stamps hints with
        self._owns_connection = owns_connection

    def close(self) -> None:
        if self._owns_connection:
            self._logind.close()

    async def idle_seconds(self) -> float | None:
        """Return seconds idle per logind, 0.0 when active, None when nobody reports idle."""
        try:
            properties = await _dbus.get_all_properties(
                self._logind.bus, BUS_NAME, self._logind.session_path, SESSION
            )
        except PlatformUnavailable as exc:
            logger.debug("logind idle hint unavailable: {}", exc)
            return None
        since_microseconds = int(properties.get("IdleSinceHintMonotonic", 0))
        if since_microseconds == 0:
            return None  # the desktop never reported: logind cannot tell
        if not properties.get("IdleHint", False):
            return 0.0
        return max(0.0, self._monotonic() - since_microseconds / 1_000_000)


class LogindInhibitor:
    """A logind "delay" inhibitor lock: a file descriptor held open until release()."""

    def __init__(self, logind: Logind, what: str, who: str, why: str) -> None:
        self._logind = logind
        self._arguments = [what, who, why, "delay"]
        self._descriptor: int | None = None

    @property
    def held(self) -> bool:
        return self._descriptor is not None

    async def acquire(self) -> None:
        """Take the lock (no-op if held). Raise PlatformUnavailable if logind refuses it."""
        if self._descriptor is not None:
            return
        reply = await _dbus.call(
            self._logind.bus, BUS_NAME, MANAGER_PATH, MANAGER, "Inhibit", "ssss", self._arguments
        )
        descriptors = list(reply.unix_fds)
        index = int(reply.body[0])
        if not 0 <= index < len(descriptors):
            for descriptor in descriptors:
                os.close(descriptor)
            raise PlatformUnavailable("logind Inhibit returned no file descriptor")
        for position, descriptor in enumerate(descriptors):
            if position != index:
                os.close(descriptor)
        self._descriptor = descriptors[index]
        logger.debug("took logind delay inhibitor ({})", self._arguments[0])

    def release(self) -> None:
        """Close the lock's descriptor so shutdown or sleep proceeds. Idempotent."""
        descriptor, self._descriptor = self._descriptor, None
        if descriptor is not None:
            os.close(descriptor)
            logger.debug("released logind delay inhibitor")


class LogindEventSource:
    """PrepareForShutdown/PrepareForSleep, session Lock/Unlock and removal, as OsEvents."""

    def __init__(self, logind: Logind, inhibitor: LogindInhibitor | None = None) -> None:
        self._logind = logind
        self._inhibitor = inhibitor
        self._queue: asyncio.Queue[OsEvent | str | None] = asyncio.Queue()
        self._watcher: asyncio.Future[object] | None = None
        self._handler: Callable[[Message], None] | None = None

    def translate(self, message: Message) -> OsEvent | None:
        """Given a bus message, return the event it announces, or None."""
        member, path, body = message.member, message.path, message.body
        if message.interface == MANAGER and path == MANAGER_PATH:
            if member == "PrepareForShutdown" and body == [True]:
                return OsEvent.SHUTDOWN
            if member == "PrepareForSleep":
                return OsEvent.SLEEP if body == [True] else OsEvent.RESUME
            if member == "SessionRemoved" and body[1:] == [self._logind.session_path]:
                return OsEvent.LOGOFF
        elif message.interface == SESSION and path == self._logind.session_path:
            return {"Lock": OsEvent.LOCK, "Unlock": OsEvent.UNLOCK}.get(member or "")
        return None

    async def _retake(self) -> None:
        if self._inhibitor is None:
            return
        try:
            await self._inhibitor.acquire()
        except PlatformUnavailable as exc:
            logger.warning("could not re-take the logind inhibitor: {}", exc)

    async def start(self) -> None:
        """Subscribe to logind's signals (idempotent); events() calls it on first use.

        Raise PlatformUnavailable if the bus refuses the match rules.
        """
        if self._watcher is not None:
            return
        from dbus_fast import MessageType

        bus = self._logind.bus

        def on_message(message: Message) -> None:
            if message.message_type != MessageType.SIGNAL:
                return
            event = self.translate(message)
            if event is not None:
                self._queue.put_nowait(event)
            elif message.member == "PrepareForShutdown" and message.body == [False]:
                self._queue.put_nowait(_SHUTDOWN_CANCELLED)

        self._handler = on_message
        bus.add_message_handler(on_message)
        self._watcher = asyncio.ensure_future(bus.wait_for_disconnect())  # type: ignore[no-untyped-call]
        self._watcher.add_done_callback(lambda done: _end_stream(done, self._queue))
        sender = f"type='signal',sender='{BUS_NAME}'"
        await _dbus.add_match(bus, f"{sender},path='{MANAGER_PATH}',interface='{MANAGER}'")
        path = self._logind.session_path
        await _dbus.add_match(bus, f"{sender},path='{path}',interface='{SESSION}'")

    async def events(self) -> AsyncIterator[OsEvent]:
        """Yield each event as logind emits it, until the bus disconnects or stop()."""
        await self.start()
        while (item := await self._queue.get()) is not None:
            if item is OsEvent.RESUME or item == _SHUTDOWN_CANCELLED:
                await self._retake()  # be ready for the next shutdown or sleep
            if isinstance(item, OsEvent):
                yield item

    def stop(self) -> None:
        """Unsubscribe and end the stream."""
        if self._watcher is not None:
            self._watcher.cancel()
        if self._handler is not None:
            with contextlib.suppress(Exception):
                self._logind.bus.remove_message_handler(self._handler)
            self._handler = None


def _end_stream(done: asyncio.Future[object], queue: asyncio.Queue[OsEvent | str | None]) -> None:
    if not done.cancelled() and done.exception() is not None:
        logger.debug("logind bus disconnected: {}", done.exception())
    queue.put_nowait(None)
