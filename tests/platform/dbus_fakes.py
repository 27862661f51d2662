"""Fake logind and GNOME Mutter services (the subset kioskguard uses), exported with dbus-fast."""

from __future__ import annotations

import os
from typing import Annotated

from dbus_fast import PropertyAccess
from dbus_fast.aio import MessageBus
from dbus_fast.annotations import (
    DBusBool,
    DBusObjectPath,
    DBusSignature,
    DBusStr,
    DBusUInt32,
    DBusUInt64,
    DBusUnixFd,
)
from dbus_fast.service import ServiceInterface, dbus_method, dbus_property, dbus_signal

SESSION_ID = "7"
SESSION_PATH = "/org/freedesktop/login1/session/_37"
USER_PATH = "/org/freedesktop/login1/user/_1000"


class FakeManager(ServiceInterface):
    """org.freedesktop.login1.Manager: Inhibit hands out one end of a real pipe."""

    def __init__(self) -> None:
        super().__init__("org.freedesktop.login1.Manager")
        self.inhibit_calls: list[tuple[str, str, str, str]] = []
        self.read_ends: list[int] = []
        self.sent_write_ends: list[int] = []

    @dbus_method()
    def Inhibit(self, what: DBusStr, who: DBusStr, why: DBusStr, mode: DBusStr) -> DBusUnixFd:
        self.inhibit_calls.append((what, who, why, mode))
        read_end, write_end = os.pipe()
        self.read_ends.append(read_end)
        self.sent_write_ends.append(write_end)
        return write_end

    @dbus_method()
    def GetSession(self, session_id: DBusStr) -> DBusObjectPath:
        if session_id != SESSION_ID:
            raise ValueError(f"no session {session_id}")
        return SESSION_PATH

    @dbus_method()
    def GetUser(self, uid: DBusUInt32) -> DBusObjectPath:
        return USER_PATH

    @dbus_signal()
    def PrepareForShutdown(self, start: bool) -> DBusBool:
        return start

    @dbus_signal()
    def PrepareForSleep(self, start: bool) -> DBusBool:
        return start

    def close_sent_ends(self) -> None:
        """Drop the service's own copies of the descriptors it sent, as logind does."""
        for descriptor in self.sent_write_ends:
            os.close(descriptor)
        self.sent_write_ends.clear()


class FakeUser(ServiceInterface):
    def __init__(self) -> None:
        super().__init__("org.freedesktop.login1.User")

    @dbus_property(access=PropertyAccess.READ)
    def Display(self) -> Annotated[list[str], DBusSignature("(so)")]:
        return [SESSION_ID, SESSION_PATH]


class FakeSession(ServiceInterface):
    def __init__(self) -> None:
        super().__init__("org.freedesktop.login1.Session")
        self.idle_hint = False
        self.idle_since_monotonic = 0

    @dbus_property(access=PropertyAccess.READ)
    def IdleHint(self) -> DBusBool:
        return self.idle_hint

    @dbus_property(access=PropertyAccess.READ)
    def IdleSinceHintMonotonic(self) -> DBusUInt64:
        return self.idle_since_monotonic

    @dbus_signal()
    def Lock(self) -> None:
        return None

    @dbus_signal()
    def Unlock(self) -> None:
        return None


class FakeLogind:
    def __init__(self, bus: MessageBus) -> None:
        self.bus = bus
        self.manager = FakeManager()
        self.session = FakeSession()
        self.user = FakeUser()


class FakeIdleMonitor(ServiceInterface):
    def __init__(self) -> None:
        super().__init__("org.gnome.Mutter.IdleMonitor")
        self.idle_milliseconds = 0

    @dbus_method()
    def GetIdletime(self) -> DBusUInt64:
        return self.idle_milliseconds
