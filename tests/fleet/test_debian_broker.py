"""The broker recipe of docs/fleet.md, verbatim, on Debian's own Mosquitto: the shell block
between the broker-setup markers runs with its absolute paths moved into a temporary tree
(/etc/mosquitto, /root/kioskguard-passwords), beside a copy of Debian's stock
/etc/mosquitto/mosquitto.conf (include_dir conf.d, persistence, pid file, log). Then Debian's
mosquitto binary starts on it (as root it drops to the mosquitto user, as the packaged service
does), and clients connect over TLS by IP address and by DNS name, with the passwords the
recipe generated: kiosks publish their own topics, the ACL refuses the rest.
"""

from __future__ import annotations

import asyncio
import os
import re
import shutil
import socket
import ssl
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from agent.fleet.connection import Refused, make_client
from agent.fleet.testing import free_port, tool
from agent.settings import FleetSettings

REPOSITORY = Path(__file__).resolve().parents[2]
DEBIAN_CONF = Path("/etc/mosquitto/mosquitto.conf")
DNS_NAME, DOCS_IP = "mqtt.example.org", "192.0.2.10"


def recipe() -> str:
    """Return the shell block of docs/fleet.md between the broker-setup markers."""
    text = (REPOSITORY / "docs" / "fleet.md").read_text(encoding="utf-8")
    found = re.search(
        r"<!-- broker-setup:begin -->\s*```sh\n(.*?)```\s*<!-- broker-setup:end -->", text, re.S
    )
    assert found, "docs/fleet.md lost its broker-setup block"
    return found.group(1)


@pytest.fixture
def tree() -> Iterator[Path]:
    """A temporary root the mosquitto user can traverse (pytest's own tmp is root-only)."""
    if os.geteuid() != 0:
        pytest.fail("the Debian broker test runs the recipe as root, as the docs do")
    root = Path(tempfile.mkdtemp(prefix="kioskguard-debian-broker-"))
    root.chmod(0o755)
    yield root
    shutil.rmtree(root, ignore_errors=True)


def run_recipe(root: Path, port: int) -> tuple[Path, Path]:
    """Run the docs' commands in root; return (the mosquitto.conf to start, password dir)."""
    if not DEBIAN_CONF.exists():
        pytest.fail(f"{DEBIAN_CONF} is missing: install Debian's mosquitto package")
    etc, passwords = root / "etc" / "mosquitto", root / "root" / "kioskguard-passwords"
    var, log, run = root / "var/lib/mosquitto", root / "var/log/mosquitto", root / "run/mosquitto"
    moved = {"/etc/mosquitto": str(etc), "/var/lib/mosquitto": str(var),
             "/var/log/mosquitto": str(log), "/run/mosquitto": str(run),
             "/root/kioskguard-passwords": str(passwords)}  # fmt: skip

    def move(text: str) -> str:
        for old, new in moved.items():
            text = text.replace(old, new)
        return text

    for directory in (etc / "conf.d", var, log, run):
        directory.mkdir(parents=True)
    for directory in (var, log, run):
        shutil.chown(directory, "mosquitto", "mosquitto")
    (root / "root").mkdir()
    (etc / "mosquitto.conf").write_text(move(DEBIAN_CONF.read_text()))
    work = root / "work"
    shutil.copytree(REPOSITORY / "config" / "fleet", work / "config" / "fleet")
    snippet = work / "config" / "fleet" / "mosquitto.conf"
    snippet.write_text(move(snippet.read_text()).replace("listener 8883", f"listener {port}"))
    script = "\n".join(
        line
        for line in move(recipe()).replace(DOCS_IP, "127.0.0.1").splitlines()
        if not line.startswith(("apt-get ", "systemctl "))  # the test starts the broker itself
    )
    environment = {**os.environ, "PATH": f"{Path(sys.executable).parent}:{os.environ['PATH']}"}
    command = ["bash", "-euo", "pipefail", "-c", script]
    completed = subprocess.run(
        command, cwd=work, env=environment, capture_output=True, text=True, timeout=120
    )
    assert completed.returncode == 0, completed.stdout + completed.stderr
    return etc / "mosquitto.conf", passwords


def kiosk_settings(
    port: int, ca: Path, passwords: Path, user: str, host: str = "127.0.0.1"
) -> FleetSettings:
    return FleetSettings.model_validate(
        {
            "broker": f"{host}:{port}",
            "ca_file": ca,
            "username": user,
            "password_file": passwords / user,
        }
    )


def test_the_docs_recipe_runs_on_debians_mosquitto_and_kiosks_connect(tree: Path) -> None:
    port = free_port()
    conf, passwords = run_recipe(tree, port)
    etc = conf.parent
    key = etc / "certs" / "broker.key"
    assert (key.stat().st_mode & 0o777, key.group()) == (0o640, "mosquitto")
    assert {p.name for p in passwords.iterdir()} >= {"admin", "collector", "lib-a-01"}
    assert all(p.stat().st_mode & 0o777 == 0o600 for p in passwords.iterdir())
    broker = subprocess.Popen([tool("mosquitto"), "-c", str(conf)], stdin=subprocess.DEVNULL,
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT)  # fmt: skip
    try:
        deadline = time.monotonic() + 30
        while True:
            if broker.poll() is not None:
                output = broker.stdout.read().decode() if broker.stdout else ""
                log = tree / "var/log/mosquitto/mosquitto.log"
                pytest.fail(f"mosquitto exited {broker.returncode}: {output}"
                            f" {log.read_text() if log.exists() else ''}")  # fmt: skip
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
                break
            except OSError:
                assert time.monotonic() < deadline, "mosquitto never listened"
                time.sleep(0.1)
        ca = etc / "certs" / "fleet-ca.pem"
        context = ssl.create_default_context(cafile=str(ca))  # the DNS name in the SAN
        with (
            socket.create_connection(("127.0.0.1", port), timeout=10) as raw,
            context.wrap_socket(raw, server_hostname=DNS_NAME) as tls,
        ):
            assert tls.version() is not None
        asyncio.run(_clients(port, ca, passwords))
    finally:
        broker.terminate()
        broker.wait(timeout=15)


async def _clients(port: int, ca: Path, passwords: Path) -> None:
    kiosk = kiosk_settings(port, ca, passwords, "lib-a-01")  # by IP: the IP SAN
    async with make_client(kiosk, "kioskguard-lib-a-01", username="lib-a-01",
                           persistent=False) as client:  # fmt: skip
        await client.publish("kioskguard/v1/library-a/lib-a-01/events", b"{}")
        with pytest.raises(Refused):
            await client.publish("kioskguard/v1/library-a/lib-a-02/events", b"{}")
        with pytest.raises(Refused):
            await client.publish("kioskguard/v1/cmd/all", b"{}")
    admin = kiosk_settings(port, ca, passwords, "admin")
    async with make_client(admin, "admin-test", username="admin", persistent=False) as client:
        await client.publish("kioskguard/v1/cmd/host/lib-a-01", b"{}")
