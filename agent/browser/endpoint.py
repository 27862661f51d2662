"""Find the DevTools endpoint of the browser that holds a profile, and prove it is that one's.

A port is only a number: the profile's DevToolsActivePort may be left over from an earlier run,
and the configured port may be served by some other browser. An endpoint is used only when the
process that holds the profile (the SingletonLock's PID on Linux and macOS; on Windows the
browser whose command line names this --user-data-dir) owns the socket listening on that port,
and its command line names no other user data dir. On Linux the listening socket's owner
(the uid column of /proc/net/tcp) must also be the holder's user, and that user must be the
one this process runs as (root may guard any user's browser): in the guarded desktop mode a
visitor who squats the port with a browser of their own is another user, refused even before
the descriptors are compared.
Anything else is "not proven", and the caller answers "profile busy".

psutil reads sockets and command lines the same way on Linux, macOS and Windows.
"""

from __future__ import annotations

import json
import os
import sys
import urllib.error
import urllib.request
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

import psutil

from agent.browser.locks import LockState, is_browser_name, read_lock

DEFAULT_PORT = 9222
_FLAG = "--user-data-dir"


@dataclass(frozen=True)
class EndpointCheck:
    """The proven endpoint of a profile's browser (ws URL), or why there is none."""

    endpoint: str | None
    port: int | None = None
    reason: str = ""


def devtools_port(user_data_dir: Path) -> int | None:
    """Return the DevTools port written in the profile's DevToolsActivePort, or None."""
    try:
        first_line = (user_data_dir / "DevToolsActivePort").read_text().splitlines()[0]
        return int(first_line)
    except (OSError, IndexError, ValueError):
        return None


def candidate_ports(user_data_dir: Path, configured: int | None) -> list[int]:
    """Return the ports worth checking: DevToolsActivePort's (port 0 launches), then configured."""
    ports = [devtools_port(user_data_dir), configured]
    return list(dict.fromkeys(port for port in ports if port))


def browser_websocket(port: int, timeout_s: float = 1.0) -> str | None:
    """Return the browser-level DevTools WebSocket URL on 127.0.0.1:port, None if none answers."""
    try:
        with urllib.request.urlopen(
            f"http://127.0.0.1:{port}/json/version", timeout=timeout_s
        ) as response:
            url = json.loads(response.read()).get("webSocketDebuggerUrl")
    except (OSError, ValueError, AttributeError, urllib.error.URLError):
        return None
    return url if isinstance(url, str) and url.startswith("ws://") else None


def _same_dir(named: str, user_data_dir: Path) -> bool:
    return os.path.realpath(os.path.expanduser(named)) == os.path.realpath(user_data_dir)


def named_user_data_dir(command_line: Iterable[str]) -> str | None:
    """Given a command line, return the --user-data-dir it names, None if it names none."""
    arguments = list(command_line)
    for index, argument in enumerate(arguments):
        if argument.startswith(_FLAG + "="):
            return argument.split("=", 1)[1]
        if argument == _FLAG and index + 1 < len(arguments):
            return arguments[index + 1]
    return None


def _holders(user_data_dir: Path, platform: str) -> Iterator[psutil.Process]:
    """Yield the processes that hold the profile: the lock's PID, or on Windows the browsers
    whose command line names this user data dir."""
    if platform != "win32":
        lock = read_lock(user_data_dir, platform)
        if lock.state is LockState.LIVE and lock.pid is not None:
            try:
                yield psutil.Process(lock.pid)
            except psutil.Error:
                return
        return
    for process in psutil.process_iter(["name", "cmdline"]):
        named = named_user_data_dir(process.info.get("cmdline") or ())
        if (
            is_browser_name(process.info.get("name") or "")
            and named
            and _same_dir(named, user_data_dir)
        ):
            yield process


def socket_owner_trusted(socket_uid: int, holder_uid: int, own_uid: int) -> bool:
    """Given the uid owning a listening socket, the profile holder's uid and this process's
    effective uid, return whether the socket may be the holder's: the same user, and that
    user this process's own (root, uid 0, may guard another user's browser)."""
    return socket_uid == holder_uid and own_uid in (0, holder_uid)


def _listening_inodes(port: int, holder_uid: int | None = None) -> set[str]:
    """Linux: return the inodes of the TCP sockets listening on port (from /proc/net/tcp*),
    only those owned by a user socket_owner_trusted accepts when holder_uid is given."""
    inodes: set[str] = set()
    wanted = f":{port:04X}"
    own_uid = os.geteuid()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            lines = Path(table).read_text().splitlines()[1:]
        except OSError:
            continue
        for line in lines:
            fields = line.split()
            # local_address is HEXIP:HEXPORT, state 0A is LISTEN, the uid is field 7, the
            # inode field 9
            if len(fields) > 9 and fields[1].endswith(wanted) and fields[3] == "0A":
                if holder_uid is not None and not socket_owner_trusted(
                    int(fields[7]), holder_uid, own_uid
                ):
                    continue
                inodes.add(fields[9])
    return inodes


def _listens_on(process: psutil.Process, port: int) -> bool:
    if sys.platform.startswith("linux"):
        # The same as psutil's net_connections, for one port: a browser has hundreds of open
        # files and psutil parses every socket of the machine; this costs about a millisecond.
        try:
            holder_uid = process.uids().effective
        except psutil.Error:
            return False
        inodes = {f"socket:[{inode}]" for inode in _listening_inodes(port, holder_uid)}
        if not inodes:
            return False
        try:
            descriptors = os.listdir(f"/proc/{process.pid}/fd")
        except OSError:
            return False
        for descriptor in descriptors:
            try:
                if os.readlink(f"/proc/{process.pid}/fd/{descriptor}") in inodes:
                    return True
            except OSError:
                continue
        return False
    try:
        connections = process.net_connections(kind="tcp")
    except psutil.Error:
        return False
    return any(
        connection.status == psutil.CONN_LISTEN
        and bool(connection.laddr)
        and connection.laddr.port == port
        for connection in connections
    )


def owner_proof(process: psutil.Process, user_data_dir: Path, port: int) -> str | None:
    """Return how process (the profile's holder) is shown to own port, None if it is not."""
    try:
        named = named_user_data_dir(process.cmdline())
        if named is not None and not _same_dir(named, user_data_dir):
            return None  # the PID was reused by a browser of another profile
    except psutil.Error:
        return None
    # The lock's PID is the browser process itself, and it is the one that binds DevTools.
    if _listens_on(process, port):
        return f"port {port} is served by pid {process.pid}, which holds {user_data_dir}"
    return None


def find_endpoint(
    user_data_dir: Path,
    configured_port: int | None = DEFAULT_PORT,
    timeout_s: float = 1.0,
    platform: str = sys.platform,
) -> EndpointCheck:
    """Given a profile, return the proven DevTools endpoint of the browser holding it.

    Checks DevToolsActivePort's port and configured_port; a port is used only when the profile's
    own browser process listens on it (see the module docstring). Never talks to a port first.
    """
    ports = candidate_ports(user_data_dir, configured_port)
    holders = list(_holders(user_data_dir, platform))
    if not holders:
        return EndpointCheck(None, reason="no running browser holds the profile")
    for port in ports:
        for holder in holders:
            if owner_proof(holder, user_data_dir, port) is None:
                continue
            endpoint = browser_websocket(port, timeout_s)
            if endpoint is not None:
                return EndpointCheck(endpoint, port, f"pid {holder.pid} serves port {port}")
            return EndpointCheck(None, port, f"port {port} of pid {holder.pid} does not answer")
    tried = ", ".join(str(port) for port in ports) or "none"
    pids = ", ".join(str(holder.pid) for holder in holders)
    return EndpointCheck(
        None,
        reason=f"the browser holding it (pid {pids}) serves none of the DevTools ports"
        f" checked ({tried})",
    )
