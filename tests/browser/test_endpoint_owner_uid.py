"""The DevTools endpoint's listening socket must belong to the profile holder's user, and that
user must be the guard's own (agent.browser.endpoint.socket_owner_trusted).

In the guarded desktop mode the daemon runs as its own account and a visitor is another user:
a visitor who listens on the managed browser's port first (their own chromium, or any program)
owns that socket in /proc/net/tcp, and the guard must not take it for its browser's.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys

import pytest

from agent.browser.endpoint import _listening_inodes, socket_owner_trusted

GUARD, VISITOR, ROOT = 998, 1001, 0


@pytest.mark.parametrize(
    ("socket_uid", "holder_uid", "own_uid", "trusted"),
    [
        (GUARD, GUARD, GUARD, True),  # the guard's own browser listens
        (VISITOR, GUARD, GUARD, False),  # a visitor squats the port of the guard's browser
        (VISITOR, VISITOR, GUARD, False),  # the profile is held by a visitor's browser
        (GUARD, VISITOR, GUARD, False),  # socket and holder disagree
        (VISITOR, VISITOR, ROOT, True),  # root may guard any user's browser
        (ROOT, VISITOR, ROOT, False),
    ],
)
def test_only_a_socket_of_the_holders_own_user_is_trusted(
    socket_uid: int, holder_uid: int, own_uid: int, trusted: bool
) -> None:
    assert socket_owner_trusted(socket_uid, holder_uid, own_uid) is trusted


def _inode(listener: socket.socket) -> str:
    return str(os.fstat(listener.fileno()).st_ino)


def test_a_listening_socket_is_found_for_its_own_user_only() -> None:
    """Read from the real /proc/net/tcp: this process's socket has this process's uid."""
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        port = listener.getsockname()[1]
        assert _inode(listener) in _listening_inodes(port, os.geteuid())
        assert _inode(listener) in _listening_inodes(port)  # no holder: every socket
        assert _listening_inodes(port, os.geteuid() + 4242) == set()


def test_a_port_squatted_by_another_user_is_refused() -> None:
    """A real process of another user (nobody) listens on the port: refused for a holder of
    this process's user."""
    if os.geteuid() != 0:
        pytest.fail("this test starts a listener as another user and must run as root")
    squatter = subprocess.Popen(
        [
            "setpriv",
            "--reuid=65534",
            "--regid=65534",
            "--clear-groups",
            sys.executable,
            "-c",
            "import socket, sys\n"
            "s = socket.socket(); s.bind(('127.0.0.1', 0)); s.listen()\n"
            "print(s.getsockname()[1], flush=True); sys.stdin.read()",
        ],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert squatter.stdout is not None
        port = int(squatter.stdout.readline())
        assert _listening_inodes(port), "the squatter's socket is listed in /proc/net/tcp"
        assert _listening_inodes(port, os.geteuid()) == set()
        assert _listening_inodes(port, 65534) != set()  # root guarding nobody's browser
    finally:
        squatter.kill()
        squatter.wait(timeout=30)
