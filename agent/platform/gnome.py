"""GNOME idle time: org.gnome.Mutter.IdleMonitor.GetIdletime on the session bus.

The only module that talks to Mutter. Works under Wayland as well as X11 (GNOME sessions).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from agent.errors import PlatformUnavailable
from agent.platform import _dbus

if TYPE_CHECKING:
    from dbus_fast.aio import MessageBus

BUS_NAME = "org.gnome.Mutter.IdleMonitor"
OBJECT_PATH = "/org/gnome/Mutter/IdleMonitor/Core"
INTERFACE = "org.gnome.Mutter.IdleMonitor"


class GnomeIdleSource:
    """Milliseconds since the last input, as GNOME Shell's idle monitor reports them."""

    name = "gnome"

    def __init__(self, bus: MessageBus) -> None:
        self._bus = bus

    @classmethod
    async def connect(cls, bus_address: str | None = None) -> GnomeIdleSource:
        """Given a session bus address (default: the user's), return a connected source.

        Raise PlatformUnavailable if the bus is unreachable or no GNOME idle monitor runs on it.
        """
        bus = await _dbus.connect("session", bus_address)
        try:
            present = await _dbus.name_has_owner(bus, BUS_NAME)
        except PlatformUnavailable:
            bus.disconnect()
            raise
        if not present:
            bus.disconnect()
            raise PlatformUnavailable(
                f"no GNOME idle monitor: {BUS_NAME} is not on the session bus"
            )
        return cls(bus)

    async def idle_seconds(self) -> float | None:
        """Return seconds since the last input, or None if the monitor does not answer."""
        try:
            reply = await _dbus.call(self._bus, BUS_NAME, OBJECT_PATH, INTERFACE, "GetIdletime")
        except PlatformUnavailable:
            return None
        return int(reply.body[0]) / 1000.0

    def close(self) -> None:
        """Disconnect from the session bus."""
        self._bus.disconnect()

    def __repr__(self) -> str:
        return "GnomeIdleSource()"
