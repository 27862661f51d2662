"""A simulator for tests, the demo and benchmarks: a server in a thread and a small client.

    with running_simulator(layout="classic") as sim:
        sim.url, sim.phone_url
        sim.configure(drop_unpair=True); sim.devices(); sim.link(ref); sim.advance_clock(86400)

Standard library only on the client side (urllib), and no Playwright import.
"""

from __future__ import annotations

import asyncio
import json
import re
import subprocess
import sys
import threading
import urllib.error
import urllib.request
from collections.abc import Iterator
from concurrent.futures import Future
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from aiohttp import web

from agent.simulator.common import DEFAULT_PHONE
from agent.simulator.config import SimConfig
from agent.simulator.server import create_app


class SimulatorError(Exception):
    """The simulator refused a request; ``status`` and ``message`` come from its answer."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(f"HTTP {status}: {message}")
        self.status = status
        self.message = message


class SimulatorHandle:
    """The running simulator's addresses and a synchronous client for its APIs."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.phone_url = url + "phone"

    def request(self, method: str, path: str, body: Any = None) -> Any:
        """Send one request and return the decoded JSON answer. Raise SimulatorError on 4xx/5xx."""
        data = None if body is None else json.dumps(body).encode()
        request = urllib.request.Request(self.url + path.lstrip("/"), data=data, method=method)
        request.add_header("Content-Type", "application/json")
        try:
            with urllib.request.urlopen(request, timeout=15) as response:
                return json.loads(response.read() or b"null")
        except urllib.error.HTTPError as exc:
            try:
                message = json.loads(exc.read()).get("error", exc.reason)
            except (ValueError, AttributeError):
                message = str(exc.reason)
            raise SimulatorError(exc.code, message) from None

    def config(self) -> dict[str, Any]:
        return dict(self.request("GET", "api/sim/config"))

    def configure(self, **fields: Any) -> dict[str, Any]:
        """Change some config fields; return the whole config."""
        return dict(self.request("POST", "api/sim/config", fields))

    def reset(self) -> None:
        """Config back to defaults, clock back to now, no linked devices."""
        self.request("POST", "api/sim/reset")

    def devices(self) -> list[dict[str, Any]]:
        return list(self.request("GET", "api/phone/devices")["devices"])

    def link(self, ref: str) -> dict[str, Any]:
        """Link the page showing the QR token ``ref``; return the device record."""
        return dict(self.request("POST", "api/phone/link", {"ref": ref}))

    def logout_device(self, device_id: int) -> None:
        self.request("POST", f"api/phone/devices/{device_id}/logout")

    def logout_all(self) -> None:
        self.request("POST", "api/phone/logout-all")

    def decoys(self) -> list[dict[str, Any]]:
        """Return the decoy items clicked since the last reset ({key, label, where, at})."""
        return list(self.request("GET", "api/sim/decoys")["decoys"])

    def advance_clock(self, seconds: float) -> str:
        """Move the simulator's clock forward; return its new time (ISO 8601)."""
        return str(self.request("POST", "api/sim/clock", {"advance_seconds": seconds})["now"])


@contextmanager
def running_simulator(
    db_path: str | Path | None = None, phone: str = DEFAULT_PHONE, **config: Any
) -> Iterator[SimulatorHandle]:
    """Serve a simulator on 127.0.0.1 (free port) in a background thread; yield its handle.

    ``config`` holds start-up config fields (the defaults that reset() returns to). Raise
    pydantic's ValidationError if a field is unknown or invalid.
    """
    app = create_app(SimConfig(**config), db_path or ":memory:", phone)
    loop = asyncio.new_event_loop()
    started: Future[str] = Future()
    stop = asyncio.Event()

    async def serve() -> None:
        runner = web.AppRunner(app, shutdown_timeout=2)
        await runner.setup()
        try:
            site = web.TCPSite(runner, "127.0.0.1", 0)
            await site.start()
            host, port = runner.addresses[0][:2]
            started.set_result(f"http://{host}:{port}/")
            await stop.wait()
        finally:
            await runner.cleanup()

    def main() -> None:
        try:
            loop.run_until_complete(serve())
        except BaseException as exc:
            if not started.done():
                started.set_exception(exc)
        finally:
            loop.close()

    thread = threading.Thread(target=main, name="kioskguard-simulator", daemon=True)
    thread.start()
    try:
        yield SimulatorHandle(started.result(timeout=30))
    finally:
        loop.call_soon_threadsafe(stop.set)
        thread.join(timeout=30)


@contextmanager
def simulator_process(db_path: str | Path, **config: Any) -> Iterator[SimulatorHandle]:
    """Serve a simulator from its own process (`kioskguard simulator`); yield its handle.

    For benchmarks: the server then shares no interpreter (and no GIL) with the code measured,
    as the real client's servers would not. The registry lives in ``db_path``; ``config``
    fields are applied through the control API. Raise RuntimeError if the process does not
    announce its address within 30 s.
    """
    process = subprocess.Popen(
        [sys.executable, "-m", "agent", "simulator", "--port", "0", "--db", str(db_path)],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    try:
        url = _announced_url(process)
        handle = SimulatorHandle(url)
        if config:
            handle.configure(**config)
        yield handle
    finally:
        stop_process(process)


def stop_process(process: subprocess.Popen[Any], timeout_s: float = 15.0) -> None:
    """Ask a process to end (SIGTERM: a browser writes its data out), kill it after timeout_s."""
    process.terminate()
    try:
        process.wait(timeout=timeout_s)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def _announced_url(process: subprocess.Popen[str]) -> str:
    found: Future[str] = Future()

    def read() -> None:
        assert process.stdout is not None
        for line in process.stdout:
            match = re.search(r"serving on (http://\S+/)", line)
            if match and not found.done():
                found.set_result(match.group(1))
        if not found.done():
            found.set_exception(RuntimeError(f"simulator exited {process.wait()} before serving"))

    threading.Thread(target=read, name="kioskguard-simulator-stdout", daemon=True).start()
    try:
        return found.result(timeout=30)
    except TimeoutError as exc:
        raise RuntimeError("the simulator process did not start within 30 s") from exc
