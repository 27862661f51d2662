"""sd_notify against a real AF_UNIX datagram socket."""

from __future__ import annotations

import asyncio
import os
import socket
from collections.abc import Iterator
from pathlib import Path

import pytest

from agent.errors import ConfigError
from agent.platform.systemd import SystemdNotifier, socket_address, watchdog_interval


@pytest.fixture
def notify_socket(tmp_path: Path) -> Iterator[socket.socket]:
    receiver = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    receiver.bind(str(tmp_path / "notify"))
    receiver.settimeout(5)
    yield receiver
    receiver.close()


def notifier_for(receiver: socket.socket) -> SystemdNotifier:
    return SystemdNotifier({"NOTIFY_SOCKET": receiver.getsockname()})


def test_ready_sends_ready_and_the_main_pid(notify_socket: socket.socket) -> None:
    assert notifier_for(notify_socket).ready()
    assert notify_socket.recv(4096).decode().split("\n") == ["READY=1", f"MAINPID={os.getpid()}"]


def test_watchdog_and_stopping_send_their_assignments(notify_socket: socket.socket) -> None:
    notifier = notifier_for(notify_socket)
    notifier.watchdog()
    notifier.stopping()
    assert [notify_socket.recv(4096), notify_socket.recv(4096)] == [b"WATCHDOG=1", b"STOPPING=1"]


def test_status_is_flattened_to_one_line(notify_socket: socket.socket) -> None:
    notifier_for(notify_socket).status("watching 2 profiles\nidle 30 s")
    assert notify_socket.recv(4096) == b"STATUS=watching 2 profiles idle 30 s"


def test_abstract_socket_name_is_reached(tmp_path: Path) -> None:
    name = f"kioskguard-test-{os.getpid()}"
    with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as receiver:
        receiver.bind(b"\0" + name.encode())
        receiver.settimeout(5)
        assert SystemdNotifier({"NOTIFY_SOCKET": "@" + name}).ready()
        assert receiver.recv(4096).startswith(b"READY=1")


def test_without_notify_socket_every_call_is_a_no_op() -> None:
    notifier = SystemdNotifier({})
    assert not notifier.enabled
    assert not notifier.ready() and not notifier.watchdog() and not notifier.stopping()


def test_relative_notify_socket_is_rejected() -> None:
    with pytest.raises(ConfigError, match="absolute path or @name"):
        socket_address("run/notify")


def test_watchdog_interval_is_half_of_watchdog_usec() -> None:
    assert watchdog_interval({"WATCHDOG_USEC": "30000000"}, pid=42) == 15.0


def test_watchdog_for_another_pid_is_off() -> None:
    assert watchdog_interval({"WATCHDOG_USEC": "30000000", "WATCHDOG_PID": "7"}, pid=42) is None


def test_malformed_watchdog_usec_is_rejected() -> None:
    with pytest.raises(ConfigError, match="WATCHDOG_USEC"):
        watchdog_interval({"WATCHDOG_USEC": "30s"}, pid=42)


async def test_watchdog_keeper_pings_until_cancelled(notify_socket: socket.socket) -> None:
    environment = {"NOTIFY_SOCKET": notify_socket.getsockname(), "WATCHDOG_USEC": "100000"}
    keeper = asyncio.ensure_future(SystemdNotifier(environment).keep_watchdog_fed())
    first = await asyncio.to_thread(notify_socket.recv, 4096)
    second = await asyncio.to_thread(notify_socket.recv, 4096)
    keeper.cancel()
    assert [first, second] == [b"WATCHDOG=1", b"WATCHDOG=1"]
