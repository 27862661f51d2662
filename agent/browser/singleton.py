"""Hold a profile the way a running Chromium does, while kioskguard relaunches it headless.

Chromium's headless shell creates no SingletonLock, so without this a visitor's browser could
open the profile in the middle of a cold logout (two browsers on one LevelDB). What a starting
browser does (process_singleton_posix.cc): it connects to the profile's SingletonSocket, after
checking that SingletonCookie matches the cookie in the socket's directory; when something
answers, it sends its command line, waits for "ACK" and exits, leaving the profile to the process
that answered. Only when nothing answers does it look at SingletonLock's PID.

The hold is therefore: SingletonLock -> HOSTNAME-PID (this process), SingletonCookie -> a random
cookie, SingletonSocket -> a Unix socket in a private temporary directory, where a thread answers
every browser that tries to open the profile with "ACK" and counts it. The directory also holds
``kioskguard-holder`` (our PID): read_lock reports such a lock AGENT, so no other kioskguard run
removes it as stale and the daemon does not take it for the visitor's browser. Everything is
removed when the logout ends; a kill -9 leaves a lock whose PID is dead, which read_lock reports
STALE and which the next run (and Chromium itself) clears.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import shutil
import socket
import tempfile
import threading
from collections.abc import Iterator
from pathlib import Path

from agent.browser.locks import AGENT_MARKER, SINGLETON_NAMES
from agent.errors import ProfileBusy

ACK = b"ACK"  # Chromium's kACKToken: "the running browser took your command line"
SOCKET_PATH_MAX = 100  # sockaddr_un holds 104 (macOS) to 108 (Linux) bytes


def _socket_parent() -> str:
    """Return the temporary directory for the hold's socket: TMPDIR, as Chromium uses, unless
    a socket path there would be too long for a Unix socket; then /tmp."""
    parent = tempfile.gettempdir()
    too_long = len(parent) + len("/kioskguard-hold-12345678/SingletonSocket") > SOCKET_PATH_MAX
    return "/tmp" if too_long else parent


class ProfileHold:
    """kioskguard's Singleton* entries on one profile and the socket that answers them."""

    def __init__(self, user_data_dir: Path) -> None:
        self.user_data_dir = user_data_dir
        self.refused = 0  # browsers that tried to open the profile during the hold
        self._lock_target = f"{socket.gethostname()}-{os.getpid()}"
        self._cookie = str(secrets.randbits(63))
        self._directory = Path(tempfile.mkdtemp(prefix="kioskguard-hold-", dir=_socket_parent()))
        self._socket_path = self._directory / SINGLETON_NAMES[1]
        self._server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._serve, name="profile-hold", daemon=True)

    def _link(self, name: str) -> Path:
        return self.user_data_dir / name

    def acquire(self) -> None:
        """Create the hold. Raise ProfileBusy if a browser (or another run) locked it first."""
        (self._directory / AGENT_MARKER).write_text(str(os.getpid()))
        os.symlink(self._cookie, self._directory / SINGLETON_NAMES[2])
        self._server.bind(str(self._socket_path))
        self._server.listen(8)
        self._server.settimeout(0.2)
        self._thread.start()
        # Socket and cookie first (a browser starting now is answered), the lock last: creating
        # a symlink is atomic, and it fails if anyone else holds the profile.
        links = ((SINGLETON_NAMES[1], str(self._socket_path)), (SINGLETON_NAMES[2], self._cookie))
        for name, target in links:
            temporary = self._link(f".{name}-{os.getpid()}")
            temporary.unlink(missing_ok=True)
            os.symlink(target, temporary)
            os.replace(temporary, self._link(name))
        try:
            os.symlink(self._lock_target, self._link(SINGLETON_NAMES[0]))
        except FileExistsError as exc:
            self.release()
            message = f"profile {self.user_data_dir} was locked by a browser just now"
            raise ProfileBusy(message) from exc

    def _serve(self) -> None:
        while not self._stop.is_set():
            try:
                connection, _ = self._server.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            if self._stop.is_set():  # release()'s wake-up call, not a browser
                connection.close()
                return
            with connection:
                connection.settimeout(2.0)
                with contextlib.suppress(OSError):
                    connection.recv(65536)  # "START\0cwd\0argv...": not kept
                    self.refused += 1  # counted before the answer, which the browser may act on
                    connection.sendall(ACK)

    def _remove_if_ours(self, name: str, target: str) -> None:
        with contextlib.suppress(OSError):
            if os.readlink(self._link(name)) == target:
                self._link(name).unlink()

    def _wake(self) -> None:
        """Connect to our own socket so the serving thread's accept returns now, not at its
        next timeout (a logout would otherwise wait up to that long for the hold to end)."""
        with contextlib.suppress(OSError), socket.socket(socket.AF_UNIX) as wake:
            wake.settimeout(0.5)
            wake.connect(str(self._socket_path))

    def release(self) -> None:
        """Remove our entries (never one a browser replaced them with) and stop answering."""
        self._remove_if_ours(SINGLETON_NAMES[0], self._lock_target)
        self._remove_if_ours(SINGLETON_NAMES[1], str(self._socket_path))
        self._remove_if_ours(SINGLETON_NAMES[2], self._cookie)
        self._stop.set()
        if self._thread.is_alive():
            self._wake()
            self._thread.join(timeout=2.0)
        self._server.close()
        shutil.rmtree(self._directory, ignore_errors=True)


@contextlib.contextmanager
def hold_profile(user_data_dir: Path) -> Iterator[ProfileHold]:
    """Hold user_data_dir like a running browser for the duration of the block.

    Raise ProfileBusy if it is locked already.
    """
    hold = ProfileHold(user_data_dir)
    try:
        hold.acquire()
    except OSError as exc:
        hold.release()
        raise ProfileBusy(f"cannot lock profile {user_data_dir}: {exc}") from exc
    try:
        yield hold
    finally:
        hold.release()
