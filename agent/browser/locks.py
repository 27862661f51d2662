"""Read and clear Chromium's profile lock (standard library only).

Linux and macOS: a running browser holds ``<user_data_dir>/SingletonLock``, a symlink whose target
is ``HOSTNAME-PID``, next to SingletonSocket and SingletonCookie. Windows: ``lockfile``, held open
with delete-on-close, so it can never be stale. Hostnames are compared like Chromium does, with
socket.gethostname().
"""

from __future__ import annotations

import contextlib
import os
import shutil
import socket
import subprocess
import sys
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path

from agent.errors import ConfigError, ProfileBusy

SINGLETON_NAMES = ("SingletonLock", "SingletonSocket", "SingletonCookie")
WINDOWS_LOCKFILE = "lockfile"
BROWSER_NAMES = frozenset(
    {
        "chrome",
        "chromium",
        "chromium-browser",
        "chrome-headless-shell",
        "headless_shell",
        "msedge",
        "microsoft-edge",
        "brave",
        "brave-browser",
        "vivaldi",
        "vivaldi-bin",
        "opera",
        "google chrome",
        "google chrome for testing",
        "microsoft edge",
        "brave browser",
    }
)


class LockState(StrEnum):
    """Who holds a profile: nobody, a live browser here, kioskguard's own hold for a cold logout
    (agent.browser.singleton), a dead holder here, or another computer."""

    NONE = "none"
    LIVE = "live"
    AGENT = "agent"
    STALE = "stale"
    FOREIGN = "foreign"


@dataclass(frozen=True)
class ProfileLock:
    """The lock of one user data dir as read now."""

    state: LockState
    hostname: str | None = None
    pid: int | None = None
    detail: str = ""


def _process_name(pid: int, platform: str) -> str | None:
    """Return the executable name of a live process, "" if unknown, None if it does not exist."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return None
    except PermissionError:
        pass  # alive, owned by another user
    if platform == "darwin":
        completed = subprocess.run(
            ["ps", "-p", str(pid), "-o", "comm="], capture_output=True, text=True, check=False
        )
        return os.path.basename(completed.stdout.strip()) if completed.returncode == 0 else None
    try:
        target = os.readlink(f"/proc/{pid}/exe").removesuffix(" (deleted)")
        return os.path.basename(target)
    except FileNotFoundError:
        return None
    except OSError:  # another user's process: the command line is world-readable
        try:
            command = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\x00", 1)[0]
        except OSError:
            return ""
        return os.path.basename(command.decode("utf-8", "replace"))


def is_browser_name(name: str) -> bool:
    """True if an executable name is a Chromium-family browser's."""
    return name.lower().removesuffix(".exe") in BROWSER_NAMES


def _windows_lock(user_data_dir: Path) -> ProfileLock:
    path = user_data_dir / WINDOWS_LOCKFILE
    if not path.exists():
        return ProfileLock(LockState.NONE, detail="no lockfile")
    try:
        descriptor = os.open(path, os.O_RDWR)
    except OSError as exc:
        return ProfileLock(LockState.LIVE, detail=f"lockfile held open: {exc.strerror}")
    os.close(descriptor)
    return ProfileLock(LockState.NONE, detail="lockfile left behind but not held")


AGENT_MARKER = "kioskguard-holder"


def held_by_agent(user_data_dir: Path, pid: int) -> bool:
    """True if the profile's SingletonSocket is kioskguard's hold made by live process pid."""
    try:
        socket_dir = Path(os.readlink(user_data_dir / SINGLETON_NAMES[1])).parent
        return (socket_dir / AGENT_MARKER).read_text().strip() == str(pid)
    except (OSError, ValueError):
        return False


def read_lock(user_data_dir: Path, platform: str = sys.platform) -> ProfileLock:
    """Given a user data dir, return who holds its lock (see LockState).

    A lock whose target cannot be parsed is STALE only if it is no symlink at all; otherwise it
    is reported FOREIGN so that nothing removes it. A user data dir that does not exist yet has
    no lock. Raise ConfigError if user_data_dir exists but is not a directory.
    """
    if not user_data_dir.exists():
        return ProfileLock(LockState.NONE, detail="the user data dir does not exist yet")
    if not user_data_dir.is_dir():
        raise ConfigError(f"user data dir {user_data_dir} is not a directory")
    if platform == "win32":
        return _windows_lock(user_data_dir)
    path = user_data_dir / SINGLETON_NAMES[0]
    try:
        target = os.readlink(path)
    except FileNotFoundError:
        return ProfileLock(LockState.NONE, detail="no SingletonLock")
    except OSError as exc:
        return ProfileLock(
            LockState.STALE, detail=f"SingletonLock is not a symlink: {exc.strerror}"
        )
    hostname, _, pid_text = target.rpartition("-")
    if not hostname or not pid_text.isdigit():
        return ProfileLock(LockState.FOREIGN, detail=f"unparsable SingletonLock target {target!r}")
    pid = int(pid_text)
    if hostname != socket.gethostname():
        return ProfileLock(LockState.FOREIGN, hostname, pid, f"held by host {hostname}")
    name = _process_name(pid, platform)
    if name is None:
        return ProfileLock(LockState.STALE, hostname, pid, f"process {pid} is gone")
    if not is_browser_name(name):
        if held_by_agent(user_data_dir, pid):
            return ProfileLock(
                LockState.AGENT, hostname, pid, f"kioskguard (pid {pid}) holds it for a logout"
            )
        return ProfileLock(LockState.STALE, hostname, pid, f"process {pid} is {name!r}, no browser")
    return ProfileLock(LockState.LIVE, hostname, pid, f"browser {name} (pid {pid}) is running")


def remove_stale_lock(user_data_dir: Path, platform: str = sys.platform) -> ProfileLock:
    """Given a user data dir with a STALE lock, remove the Singleton* entries; return that lock.

    Raise ProfileBusy if the lock is not STALE (no lock, a live browser, another host).
    """
    lock = read_lock(user_data_dir, platform)
    if lock.state != LockState.STALE:
        message = f"refusing to remove the lock of {user_data_dir}: {lock.state}, {lock.detail}"
        raise ProfileBusy(message)
    with contextlib.suppress(OSError):
        # The socket directory of a kioskguard hold whose process died (agent.browser.singleton).
        socket_dir = Path(os.readlink(user_data_dir / SINGLETON_NAMES[1])).parent
        if lock.pid is not None and (socket_dir / AGENT_MARKER).read_text().strip() == str(
            lock.pid
        ):
            shutil.rmtree(socket_dir, ignore_errors=True)
    for name in SINGLETON_NAMES:
        with contextlib.suppress(FileNotFoundError):
            (user_data_dir / name).unlink()
    return lock
