"""The few D-Bus operations the GNOME and logind modules share (dbus-fast, imported lazily).

D-Bus failures are converted here into PlatformUnavailable, naming the call that failed.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from agent.errors import PlatformUnavailable

if TYPE_CHECKING:
    from dbus_fast.aio import MessageBus
    from dbus_fast.message import Message

PROPERTIES = "org.freedesktop.DBus.Properties"


async def connect(bus_kind: str, address: str | None, *, unix_fds: bool = False) -> MessageBus:
    """Given "session" or "system" and an optional address, return a connected bus.

    Raise PlatformUnavailable if dbus-fast is missing or the bus cannot be reached.
    """
    try:
        from dbus_fast import BusType
        from dbus_fast.aio import MessageBus
    except ImportError as exc:
        raise PlatformUnavailable("dbus-fast is not installed") from exc
    bus_type = BusType.SYSTEM if bus_kind == "system" else BusType.SESSION
    try:
        bus = MessageBus(bus_address=address, bus_type=bus_type, negotiate_unix_fd=unix_fds)
        return await bus.connect()
    except Exception as exc:  # socket, auth and address errors all mean "not reachable"
        where = address or f"the default {bus_kind} bus"
        raise PlatformUnavailable(f"cannot connect to D-Bus {where}: {exc}") from exc


async def call(
    bus: MessageBus,
    destination: str,
    path: str,
    interface: str,
    member: str,
    signature: str = "",
    body: list[Any] | None = None,
) -> Message:
    """Call one method and return the reply. Raise PlatformUnavailable on a D-Bus error."""
    from dbus_fast import Message, MessageType

    request = Message(
        destination=destination,
        path=path,
        interface=interface,
        member=member,
        signature=signature,
        body=body or [],
    )
    try:
        reply = await bus.call(request)
    except Exception as exc:
        raise PlatformUnavailable(f"D-Bus call {interface}.{member} failed: {exc}") from exc
    if reply is None or reply.message_type == MessageType.ERROR:
        detail = "" if reply is None else f"{reply.error_name}: {reply.body}"
        raise PlatformUnavailable(f"D-Bus call {interface}.{member} failed: {detail}")
    return reply


async def get_property(
    bus: MessageBus, destination: str, path: str, interface: str, name: str
) -> Any:
    """Return one property's value. Raise PlatformUnavailable on a D-Bus error."""
    reply = await call(bus, destination, path, PROPERTIES, "Get", "ss", [interface, name])
    return reply.body[0].value


async def get_all_properties(
    bus: MessageBus, destination: str, path: str, interface: str
) -> dict[str, Any]:
    """Return every property of one interface as plain values."""
    reply = await call(bus, destination, path, PROPERTIES, "GetAll", "s", [interface])
    return {name: variant.value for name, variant in reply.body[0].items()}


async def name_has_owner(bus: MessageBus, name: str) -> bool:
    """Return whether a service currently owns a bus name."""
    reply = await call(
        bus,
        "org.freedesktop.DBus",
        "/org/freedesktop/DBus",
        "org.freedesktop.DBus",
        "NameHasOwner",
        "s",
        [name],
    )
    return bool(reply.body[0])


async def add_match(bus: MessageBus, rule: str) -> None:
    """Ask the bus daemon to route signals matching rule to this connection."""
    await call(
        bus,
        "org.freedesktop.DBus",
        "/org/freedesktop/DBus",
        "org.freedesktop.DBus",
        "AddMatch",
        "s",
        [rule],
    )
