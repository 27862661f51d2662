"""sd_notify without libsystemd: datagrams to $NOTIFY_SOCKET (Type=notify, WatchdogSec).

The only module that talks to the service manager. Every method is a no-op when the process was
not started by systemd with a notify socket.
"""

from __future__ import annotations

import asyncio
import os
import socket
from collections.abc import Mapping

from loguru import logger

from agent.errors import ConfigError


def socket_address(value: str) -> str | bytes:
    """Given $NOTIFY_SOCKET, return a socket address ('@name' is the abstract namespace).

    Raise ConfigError if the value is neither an absolute path nor '@name'.
    """
    if value.startswith("@") and len(value) > 1:
        return b"\0" + value[1:].encode()
    if value.startswith("/"):
        return value
    raise ConfigError(f"NOTIFY_SOCKET must be an absolute path or @name, not {value!r}")


def watchdog_interval(environment: Mapping[str, str], pid: int) -> float | None:
    """Return seconds between WATCHDOG=1 pings (half of $WATCHDOG_USEC), or None if off.

    None also when $WATCHDOG_PID names another process. Raise ConfigError if the values are
    not positive integers.
    """
    raw_usec = environment.get("WATCHDOG_USEC", "")
    if not raw_usec:
        return None
    raw_pid = environment.get("WATCHDOG_PID", "")
    if not raw_usec.isdigit() or int(raw_usec) == 0 or (raw_pid and not raw_pid.isdigit()):
        raise ConfigError(f"invalid WATCHDOG_USEC={raw_usec!r} / WATCHDOG_PID={raw_pid!r}")
    if raw_pid and int(raw_pid) != pid:
        return None
    return int(raw_usec) / 1_000_000 / 2


class SystemdNotifier:
    """READY=1, WATCHDOG=1, STOPPING=1 and STATUS=... for a Type=notify unit."""

    def __init__(self, environment: Mapping[str, str] | None = None) -> None:
        """Given the process environment (default os.environ), read the socket and watchdog.

        Raise ConfigError if NOTIFY_SOCKET or WATCHDOG_USEC is malformed.
        """
        environment = os.environ if environment is None else environment
        raw_socket = environment.get("NOTIFY_SOCKET", "")
        self.address = socket_address(raw_socket) if raw_socket else None
        self.watchdog_interval = watchdog_interval(environment, os.getpid())

    @property
    def enabled(self) -> bool:
        return self.address is not None

    def send(self, *assignments: str) -> bool:
        """Send KEY=VALUE lines in one datagram; return whether it was sent."""
        if self.address is None:
            return False
        payload = "\n".join(assignments).encode()
        try:
            with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as connection:
                connection.sendto(payload, self.address)
        except OSError as exc:
            logger.warning("sd_notify failed: {}", exc)
            return False
        return True

    def ready(self) -> bool:
        return self.send("READY=1", f"MAINPID={os.getpid()}")

    def watchdog(self) -> bool:
        return self.send("WATCHDOG=1")

    def stopping(self) -> bool:
        return self.send("STOPPING=1")

    def status(self, text: str) -> bool:
        """Send a one-line status for `systemctl --user status` (newlines are flattened)."""
        return self.send("STATUS=" + " ".join(text.split()))

    async def keep_watchdog_fed(self) -> None:
        """Send WATCHDOG=1 at half the watchdog interval until cancelled; return if no watchdog."""
        if self.address is None or self.watchdog_interval is None:
            return
        while True:
            self.watchdog()
            await asyncio.sleep(self.watchdog_interval)
