"""A local Mosquitto for tests, the bench and demos: TLS, passwords and the ACL, 127.0.0.1.

    broker = LocalBroker(directory, users); broker.start()
    broker.port, broker.ca_file; broker.stop(); broker.start()

Needs Debian's mosquitto, mosquitto_passwd and openssl (tools/bootstrap.py installs them);
raises BrokerUnavailable naming what is missing.
"""

from __future__ import annotations

import getpass
import os
import shutil
import socket
import subprocess
import time
from collections.abc import Iterable
from pathlib import Path

from agent.fleet.broker import BrokerUser, acl_text, mosquitto_conf


class BrokerUnavailable(RuntimeError):
    """Mosquitto or its tools are missing, or the broker did not start."""


def tool(name: str) -> str:
    """Return the path of a broker tool. Raise BrokerUnavailable if it is not installed."""
    found = shutil.which(name) or next(
        (str(Path(d, name)) for d in ("/usr/sbin", "/usr/local/sbin") if Path(d, name).exists()),
        None,
    )
    if found is None:
        raise BrokerUnavailable(f"{name} is not installed: run `make bootstrap` (apt mosquitto)")
    return found


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _run(*command: str) -> None:
    subprocess.run(command, check=True, capture_output=True, timeout=60)


def make_certificates(directory: Path) -> None:
    """Write a throwaway CA (ca.pem) and a server certificate for 127.0.0.1 and localhost."""
    openssl = tool("openssl")
    ec = ("-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes")
    d = str(directory)
    _run(openssl, "req", "-x509", *ec, "-keyout", f"{d}/ca.key", "-out", f"{d}/ca.pem",
         "-days", "2", "-subj", "/CN=kioskguard test CA")  # fmt: skip
    _run(openssl, "req", *ec, "-keyout", f"{d}/server.key", "-out", f"{d}/server.csr",
         "-subj", "/CN=localhost")  # fmt: skip
    (directory / "san.ext").write_text("subjectAltName=IP:127.0.0.1,DNS:localhost\n")
    _run(openssl, "x509", "-req", "-in", f"{d}/server.csr", "-CA", f"{d}/ca.pem",
         "-CAkey", f"{d}/ca.key", "-CAcreateserial", "-out", f"{d}/server.pem", "-days", "2",
         "-extfile", f"{d}/san.ext")  # fmt: skip


def write_passwords(directory: Path, users: Iterable[BrokerUser]) -> None:
    """Write Mosquitto's password file (hashed by mosquitto_passwd) for the users."""
    passwd = tool("mosquitto_passwd")
    path = directory / "passwords"
    path.unlink(missing_ok=True)
    path.touch(mode=0o600)
    for user in users:
        _run(passwd, "-b", str(path), user.name, user.password)


class LocalBroker:
    """A Mosquitto process on 127.0.0.1 with TLS, passwords and the kioskguard ACL."""

    def __init__(
        self,
        directory: Path,
        users: list[BrokerUser],
        port: int | None = None,
        max_queued: int = 10000,
    ) -> None:
        self.directory = directory
        self.users = users
        self.port = port or free_port()
        self.process: subprocess.Popen[bytes] | None = None
        directory.mkdir(parents=True, exist_ok=True)
        make_certificates(directory)
        write_passwords(directory, users)
        (directory / "acl").write_text(acl_text(users))
        run_as = getpass.getuser() if hasattr(os, "geteuid") and os.geteuid() == 0 else None
        conf = mosquitto_conf(
            port=self.port, directory=directory, run_as=run_as, max_queued=max_queued
        )
        (directory / "mosquitto.conf").write_text(conf)

    @property
    def ca_file(self) -> Path:
        return self.directory / "ca.pem"

    @property
    def address(self) -> str:
        return f"127.0.0.1:{self.port}"

    def start(self, timeout_s: float = 15.0) -> None:
        """Start the broker; return once it accepts connections. Raise BrokerUnavailable."""
        self.process = subprocess.Popen(
            [tool("mosquitto"), "-c", str(self.directory / "mosquitto.conf")],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=open(self.directory / "stderr.log", "ab"),  # noqa: SIM115
        )
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise BrokerUnavailable(f"mosquitto exited: {self.log()[-2000:]}")
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=0.2).close()
                return
            except OSError:
                time.sleep(0.05)
        raise BrokerUnavailable(f"mosquitto did not listen on {self.address}")

    def stop(self) -> None:
        """Stop the broker gracefully (it saves its persistent sessions)."""
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.process = None

    def log(self) -> str:
        texts = []
        for name in ("mosquitto.log", "stderr.log"):
            path = self.directory / name
            if path.exists():
                texts.append(path.read_text(errors="replace"))
        return "\n".join(texts)

    def password_file(self, user: str) -> Path:
        """Write the user's password to a file of its own (as a kiosk keeps it); return it."""
        password = next(u.password for u in self.users if u.name == user)
        path = self.directory / f"{user}.password"
        path.write_text(password + "\n")
        path.chmod(0o600)
        return path
