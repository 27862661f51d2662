"""The /etc/chromium.d snippet, run through Debian's real /usr/bin/chromium wrapper.

The wrapper reads the fixed directory /etc/chromium.d and offers no way to point it elsewhere,
and the machine's other users must not see a test's snippet: each launch runs in a private
mount namespace (unshare) where a scratch copy of /etc/chromium.d, plus the snippet, is bound
over the real one. The wrapper, the chromium binary and the other snippets are the real ones.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path, PurePosixPath

import pytest

from agent.install.chromium_wrapper import SNIPPET_NAME, snippet
from tests.install.conftest import require_tool

WRAPPER = Path("/usr/bin/chromium")
BINARY = Path("/usr/lib/chromium/chromium")
MARK = "SingletonLock"  # the symbolic link Chromium makes in the user data dir it really uses


@pytest.fixture
def page(tmp_path: Path) -> str:
    html = tmp_path / "page.html"
    html.write_text("<title>visitor page</title><p>hello</p>", encoding="utf-8")
    return html.as_uri()


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def run_until_marked(command: list[str], *profiles: Path) -> Path:
    """Given a browser command line and the profiles it might use, start it, wait (60 s at
    most) until one of them holds Chromium's SingletonLock, stop it and return that one."""
    process = subprocess.Popen(
        command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, start_new_session=True
    )
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            marked = [profile for profile in profiles if os.path.lexists(profile / MARK)]
            if marked:
                assert len(marked) == 1, f"both profiles used: {marked}"
                return marked[0]
            if process.poll() is not None:
                error = process.stderr.read().decode(errors="replace") if process.stderr else ""
                pytest.fail(f"{command[0]} exited {process.returncode} first: {error[-2000:]}")
            time.sleep(0.2)
        pytest.fail(f"no profile of {profiles} was opened within 60 s by {command}")
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGTERM)
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait(timeout=20)
        if process.stderr:
            process.stderr.close()


@pytest.fixture
def chromium_d(tmp_path: Path) -> Iterator[Path]:
    """A scratch copy of /etc/chromium.d (the real snippets), to bind over the real one."""
    assert WRAPPER.is_file() and BINARY.is_file(), "Debian's chromium package is not installed"
    copy = tmp_path / "chromium.d"
    shutil.copytree("/etc/chromium.d", copy)
    yield copy


def through_wrapper(directory: Path, *arguments: str) -> list[str]:
    """Given a directory to stand for /etc/chromium.d, return the command running the real
    wrapper with the arguments, in a mount namespace of its own where that directory is bound."""
    script = 'mount --bind "$0" /etc/chromium.d && exec /usr/bin/chromium "$@"'
    return [require_tool("unshare"), "--mount", "sh", "-c", script, str(directory), *arguments]


def test_chromium_keeps_the_last_user_data_dir_it_is_given(tmp_path: Path, page: str) -> None:
    """Why the snippet filters: the wrapper puts $CHROMIUM_FLAGS first, and the last wins."""
    first, last = tmp_path / "first", tmp_path / "last"
    command = [
        str(BINARY), "--headless", "--no-sandbox", f"--user-data-dir={first}",
        f"--remote-debugging-port={free_port()}", f"--user-data-dir={last}", page,
    ]  # fmt: skip
    assert run_until_marked(command, first, last) == last


def test_the_snippet_makes_the_wrapper_open_the_guarded_profile(
    tmp_path: Path, page: str, chromium_d: Path
) -> None:
    guarded, own = tmp_path / "guarded", tmp_path / "visitor-own"
    (chromium_d / SNIPPET_NAME).write_text(snippet(PurePosixPath(guarded), free_port()))
    command = through_wrapper(
        chromium_d, "--headless", "--no-sandbox", f"--user-data-dir={own}", "--temp-profile",
        f"--remote-debugging-port={free_port()}", page,
    )  # fmt: skip
    assert run_until_marked(command, guarded, own) == guarded
    assert not own.exists()


def test_without_the_snippet_the_visitor_chooses_the_profile(
    tmp_path: Path, page: str, chromium_d: Path
) -> None:
    """The control: the same launch through the same wrapper, no snippet, the visitor's wins."""
    guarded, own = tmp_path / "guarded", tmp_path / "visitor-own"
    command = through_wrapper(
        chromium_d, "--headless", "--no-sandbox", f"--user-data-dir={own}",
        f"--remote-debugging-port={free_port()}", page,
    )  # fmt: skip
    assert run_until_marked(command, guarded, own) == own


def test_the_snippet_keeps_the_visitors_other_arguments_in_order(
    tmp_path: Path, chromium_d: Path
) -> None:
    """Sourced by sh as the wrapper does: only the profile switches leave "$@"."""
    (chromium_d / SNIPPET_NAME).write_text(snippet(PurePosixPath("/srv/guarded"), 9333))
    script = f'. "{chromium_d / SNIPPET_NAME}"; printf "%s\\n" "$CHROMIUM_FLAGS" "$@"'
    completed = subprocess.run(
        ["sh", "-c", script, "sh", "--user-data-dir=/tmp/x", "a b", "--guest", "--", "--x=1",
         "--user-data-dir", "/tmp/y", "https://example.org/"],
        capture_output=True, text=True, check=True, timeout=30,
    )  # fmt: skip
    flags, *rest = completed.stdout.splitlines()
    assert flags.split() == [
        "--user-data-dir=/srv/guarded", "--remote-debugging-port=9333",
        "--remote-debugging-address=127.0.0.1",
    ]  # fmt: skip
    assert rest == ["a b", "--", "--x=1", "/tmp/y", "https://example.org/"]


def test_a_profile_path_with_spaces_is_refused() -> None:
    from agent.install.runner import InstallError

    with pytest.raises(InstallError, match="without spaces"):
        snippet(PurePosixPath("/srv/my profile"), 9222)
