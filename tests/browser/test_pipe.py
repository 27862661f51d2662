"""The DevTools pipe transport (agent.browser.pipe) and the process it talks to (spawn).

Framing (NUL-ended JSON texts), a message split across reads, several in one read, and a browser
that exits in the middle of a message: the commands waiting for it get BrowserClosed.
"""

from __future__ import annotations

import asyncio
import json
import os
import sys
import textwrap

import pytest

from agent.browser.cdp import CdpConnection
from agent.browser.pipe import PipeTransport
from agent.browser.spawn import kill_and_reap, spawn_with_pipe, wait_for_exit
from agent.errors import BrowserClosed, DriverError


async def pipe_pair() -> tuple[PipeTransport, int, int]:
    """Return a transport and the 'browser' ends: (transport, browser_reads, browser_writes)."""
    to_browser_read, to_browser_write = os.pipe()
    from_browser_read, from_browser_write = os.pipe()
    transport = await PipeTransport.open(from_browser_read, to_browser_write)
    return transport, to_browser_read, from_browser_write


async def next_message(messages: object) -> str:
    return await asyncio.wait_for(messages.__anext__(), 5.0)  # type: ignore[attr-defined]


async def test_messages_are_split_on_nul_however_the_bytes_arrive() -> None:
    transport, browser_reads, browser_writes = await pipe_pair()
    messages = transport.messages()
    try:
        os.write(browser_writes, b'{"id": 1}\0{"id": 2}\0{"method": "Page.lo')  # two and a half
        assert await next_message(messages) == '{"id": 1}'
        assert await next_message(messages) == '{"id": 2}'
        await asyncio.sleep(0.05)  # the rest arrives in a later read
        os.write(browser_writes, 'adEventFired", "params": {"t": "é"}}\0'.encode())
        assert json.loads(await next_message(messages)) == {
            "method": "Page.loadEventFired",
            "params": {"t": "é"},
        }
        await transport.send('{"id": 3, "method": "Browser.close"}')
        assert os.read(browser_reads, 100) == b'{"id": 3, "method": "Browser.close"}\0'
        os.close(browser_writes)  # the browser exits between messages: the stream just ends
        with pytest.raises(StopAsyncIteration):
            await next_message(messages)
    finally:
        await transport.close()
        os.close(browser_reads)


async def test_browser_exiting_mid_message_raises_browser_closed() -> None:
    transport, browser_reads, browser_writes = await pipe_pair()
    messages = transport.messages()
    try:
        os.write(browser_writes, b'{"id": 1, "result": {"va')
        os.close(browser_writes)
        with pytest.raises(BrowserClosed, match="middle of a message"):
            await next_message(messages)
    finally:
        await transport.close()
        os.close(browser_reads)


# A stand-in browser on fds 3 and 4: answers the first command in two writes, then starts the
# answer to the second and exits in the middle of it.
FAKE_BROWSER = textwrap.dedent(
    """
    import json, os, time
    def command():
        data = b""
        while not data.endswith(b"\\0"):
            data += os.read(3, 65536)
        return json.loads(data[:-1])
    first = command()
    reply = json.dumps({"id": first["id"], "result": {"product": "Fake/1.0"}}).encode()
    os.write(4, reply[:7]); time.sleep(0.1); os.write(4, reply[7:] + b"\\0")
    second = command()
    os.write(4, b'{"id": %d, "result": {"pro' % second["id"])
    """
)


async def test_connection_over_a_spawned_process_pipe_and_its_exit_mid_message() -> None:
    spawned = spawn_with_pipe([sys.executable, "-c", FAKE_BROWSER])
    connection = CdpConnection(await PipeTransport.open(spawned.read_fd, spawned.write_fd))
    try:
        version = await connection.send("Browser.getVersion", timeout_s=30)
        assert version == {"product": "Fake/1.0"}
        with pytest.raises(BrowserClosed, match="middle of a message"):
            await connection.send("Browser.getVersion", timeout_s=30)
        assert await wait_for_exit(spawned.pid, 30) == 0
        with pytest.raises(BrowserClosed):
            await connection.send("Browser.close")
    finally:
        await connection.close()
        await kill_and_reap(spawned.pid)


async def test_a_program_that_cannot_be_started_is_a_one_line_driver_error() -> None:
    with pytest.raises(DriverError, match=r"^no such program$"):
        spawn_with_pipe(["/nonexistent/kioskguard-browser"])
