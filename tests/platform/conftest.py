"""A private dbus-daemon and fake logind / GNOME Mutter services for the platform tests.

There is no system logind and no GNOME Shell on the test machine: the fakes in dbus_fakes.py
export the same names, paths, methods and signals (the subset kioskguard uses) on a throwaway bus.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import AsyncIterator, Iterator

import pytest
import pytest_asyncio
from dbus_fast.aio import MessageBus

from agent.platform.gnome import BUS_NAME as MUTTER_NAME
from agent.platform.gnome import OBJECT_PATH as MUTTER_PATH
from agent.platform.logind import BUS_NAME as LOGIND_NAME
from agent.platform.logind import MANAGER_PATH
from tests.platform.dbus_fakes import SESSION_PATH, USER_PATH, FakeIdleMonitor, FakeLogind


@pytest.fixture(scope="session")
def dbus_address() -> Iterator[str]:
    """Return the address of a private dbus-daemon, started for this test session."""
    if shutil.which("dbus-daemon") is None:
        pytest.fail("dbus-daemon is not installed: apt-get install -y dbus")
    process = subprocess.Popen(
        ["dbus-daemon", "--session", "--nofork", "--nopidfile", "--print-address=1"],
        stdout=subprocess.PIPE,
        text=True,
    )
    assert process.stdout is not None
    address = process.stdout.readline().strip()
    if not address:
        process.kill()
        pytest.fail("dbus-daemon did not print an address")
    yield address
    process.terminate()
    process.wait(timeout=10)


@pytest_asyncio.fixture
async def fake_logind(dbus_address: str) -> AsyncIterator[FakeLogind]:
    """Own org.freedesktop.login1 on the private bus for one test."""
    bus = await MessageBus(bus_address=dbus_address, negotiate_unix_fd=True).connect()
    fake = FakeLogind(bus)
    bus.export(MANAGER_PATH, fake.manager)
    bus.export(SESSION_PATH, fake.session)
    bus.export(USER_PATH, fake.user)
    await bus.request_name(LOGIND_NAME)
    yield fake
    fake.manager.close_sent_ends()
    for descriptor in fake.manager.read_ends:
        os.close(descriptor)
    bus.disconnect()
    await bus.wait_for_disconnect()  # type: ignore[no-untyped-call]


@pytest_asyncio.fixture
async def fake_mutter(dbus_address: str) -> AsyncIterator[FakeIdleMonitor]:
    """Own org.gnome.Mutter.IdleMonitor on the private bus for one test."""
    bus = await MessageBus(bus_address=dbus_address).connect()
    monitor = FakeIdleMonitor()
    bus.export(MUTTER_PATH, monitor)
    await bus.request_name(MUTTER_NAME)
    yield monitor
    bus.disconnect()
    await bus.wait_for_disconnect()  # type: ignore[no-untyped-call]


from tests.daemon.conftest import (  # noqa: E402,F401 (the daemon's fixtures, for Windows tests)
    agent,
    clock,
    idle_source,
    make_daemon,
    make_settings,
    outcomes,
)
