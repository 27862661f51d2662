"""The guarded mode's open request (agent/daemon/open_request.py) on a real Unix socket, with a
fake opener (the real browser is opened in tests/faults/test_guarded_mode.py)."""

from __future__ import annotations

import asyncio
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from agent.browser.opener import Opened
from agent.daemon.open_request import OpenServer, answer_for, request_open
from agent.errors import ConfigError, DriverError, PlatformUnavailable, ProfileBusy


def test_only_the_open_line_is_a_request() -> None:
    assert answer_for(b"open\n") is None
    for line in (b"", b"open", b"OPEN\n", b"open now\n", b"status\n", b"open\nopen\n"):
        assert answer_for(line) == "error: the only request accepted is 'open'"


async def _serving(tmp_path: Path, opener: object) -> OpenServer:
    server = OpenServer(tmp_path / "open.sock", opener)  # type: ignore[arg-type]
    await server.start()
    return server


async def test_open_runs_the_opener_and_answers_its_lines(tmp_path: Path) -> None:
    calls: list[int] = []

    def opener() -> Opened:
        calls.append(1)
        return Opened("ws://127.0.0.1:1/devtools/browser/x", None, ("browser: opened",))

    server = await _serving(tmp_path, opener)
    try:
        assert (tmp_path / "open.sock").stat().st_mode & 0o777 == 0o666
        answer = await asyncio.to_thread(request_open, tmp_path / "open.sock", 30.0)
        assert answer == "browser: opened"
        assert calls == [1]
    finally:
        await server.close()
    assert not (tmp_path / "open.sock").exists()


async def test_another_request_is_refused_without_opening(tmp_path: Path) -> None:
    calls: list[int] = []
    server = await _serving(tmp_path, lambda: calls.append(1))

    def send(data: bytes) -> bytes:
        with socket.socket(socket.AF_UNIX) as client:
            client.settimeout(30)
            client.connect(str(tmp_path / "open.sock"))
            client.sendall(data)
            return client.makefile("rb").readline()

    try:
        assert await asyncio.to_thread(send, b"shutdown\n") == (
            b"error: the only request accepted is 'open'\n"
        )
        assert await asyncio.to_thread(send, b"x" * 500 + b"\n") == (
            b"error: the only request accepted is 'open'\n"
        )
        assert calls == []
    finally:
        await server.close()


async def test_an_opener_error_reaches_the_launcher(tmp_path: Path) -> None:
    def opener() -> Opened:
        raise ProfileBusy("port 9222 on 127.0.0.1 is already in use by another program")

    server = await _serving(tmp_path, opener)
    try:
        with pytest.raises(DriverError, match="already in use by another program"):
            await asyncio.to_thread(request_open, tmp_path / "open.sock", 30.0)
    finally:
        await server.close()


async def test_a_second_daemon_on_the_same_socket_is_refused(tmp_path: Path) -> None:
    server = await _serving(tmp_path, lambda: None)
    try:
        with pytest.raises(ConfigError, match="another kioskguard daemon listens there"):
            await _serving(tmp_path, lambda: None)
    finally:
        await server.close()


def test_no_daemon_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(PlatformUnavailable, match="no guarded kioskguard daemon listens there"):
        request_open(tmp_path / "missing.sock", 5.0)


def test_run_with_an_unusable_open_socket_exits_2_naming_it(tmp_path: Path) -> None:
    """`kioskguard run --open-socket` in a directory that does not exist: a clear error."""
    config = tmp_path / "kioskguard.toml"
    config.write_text(
        f'[general]\nstate_dir = "{tmp_path / "state"}"\n[idle]\nenabled = false\n'
        "[events]\non_shutdown = false\non_sleep = false\non_logoff = false\n"
    )
    missing = tmp_path / "no-such-dir" / "open.sock"
    result = subprocess.run(
        [
            *(sys.executable, "-m", "agent", "run", "--config", str(config)),
            *("--open-socket", str(missing)),
        ],
        cwd=Path(__file__).resolve().parents[2],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 2, result.stderr
    assert f"--open-socket {missing}: cannot listen" in result.stderr
