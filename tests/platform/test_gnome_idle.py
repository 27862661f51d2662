"""GNOME idle time against a fake org.gnome.Mutter.IdleMonitor on a private bus."""

from __future__ import annotations

import pytest

from agent.errors import PlatformUnavailable
from agent.platform.gnome import GnomeIdleSource
from tests.platform.dbus_fakes import FakeIdleMonitor


async def test_idle_time_is_read_from_mutter_in_seconds(
    fake_mutter: FakeIdleMonitor, dbus_address: str
) -> None:
    fake_mutter.idle_milliseconds = 42_500
    source = await GnomeIdleSource.connect(dbus_address)
    assert await source.idle_seconds() == pytest.approx(42.5)
    source.close()


async def test_bus_without_mutter_is_a_clear_error(dbus_address: str) -> None:
    with pytest.raises(PlatformUnavailable, match="no GNOME idle monitor"):
        await GnomeIdleSource.connect(dbus_address)


async def test_idle_is_unknown_once_mutter_leaves_the_bus(dbus_address: str) -> None:
    from dbus_fast.aio import MessageBus

    service = await MessageBus(bus_address=dbus_address).connect()
    service.export("/org/gnome/Mutter/IdleMonitor/Core", FakeIdleMonitor())
    await service.request_name("org.gnome.Mutter.IdleMonitor")
    source = await GnomeIdleSource.connect(dbus_address)
    service.disconnect()
    await service.wait_for_disconnect()  # type: ignore[no-untyped-call]
    assert await source.idle_seconds() is None
    source.close()
