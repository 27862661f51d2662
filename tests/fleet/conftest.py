"""Fixtures of the fleet tests: a real Mosquitto (TLS, passwords, ACL) shared per module,
three real `kioskguard run` daemons on headless managed browsers against the simulator, and
a real `kioskguard fleet collect`.

Kiosks: lib-a-01 and lib-a-02 at site library-a, hotel-b-01 at site hotel-b.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC
from pathlib import Path
from typing import Any

import pytest

from agent.browser.discovery import Browser
from agent.daemon.clock import SystemClock
from agent.daemon.daemon import Daemon
from agent.daemon.fakes import FakeSessionAgent
from agent.fleet.broker import BrokerUser
from agent.fleet.collector import EventStore
from agent.fleet.kiosk import FleetLink
from agent.fleet.testing import BrokerUnavailable, LocalBroker
from agent.settings import FleetSettings, Settings
from agent.simulator.testing import SimulatorHandle
from tests.daemon_integration.conftest import REPOSITORY, DaemonProcess, wait_until, write_config
from tests.session.helpers import managed_browser

KIOSKS = (("library-a", "lib-a-01"), ("library-a", "lib-a-02"), ("hotel-b", "hotel-b-01"))
USERS = [
    BrokerUser("admin", "admin-secret-1", "admin"),
    BrokerUser("collector", "collector-secret-2", "collector"),
    *(BrokerUser(host, f"{host}-secret", "kiosk", site) for site, host in KIOSKS),
]


def kioskguard(*arguments: str, timeout_s: float = 120) -> subprocess.CompletedProcess[str]:
    """Run the kioskguard CLI as the admin would; return the finished process."""
    return subprocess.run(
        [sys.executable, "-m", "agent", *arguments],
        cwd=REPOSITORY,
        capture_output=True,
        text=True,
        timeout=timeout_s,
    )


@pytest.fixture(scope="module")
def broker(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalBroker]:
    """A Mosquitto with TLS, passwords and the kioskguard ACL on 127.0.0.1 (fails if missing)."""
    try:
        instance = LocalBroker(tmp_path_factory.mktemp("broker"), USERS)
        instance.start()
    except BrokerUnavailable as exc:
        pytest.fail(f"no Mosquitto for the fleet tests: {exc}")
    yield instance
    instance.stop()


def fleet_table(broker: LocalBroker, user: str, **extra: Any) -> dict[str, Any]:
    return {
        "broker": broker.address,
        "ca_file": broker.ca_file,
        "username": user,
        "password_file": broker.password_file(user),
        "reconnect_s": 0.3,
        "keepalive_s": 5,
        **extra,
    }


def fleet_settings(broker: LocalBroker, user: str) -> FleetSettings:
    return FleetSettings.model_validate(fleet_table(broker, user))


@pytest.fixture(scope="module")
def admin(broker: LocalBroker) -> FleetSettings:
    return fleet_settings(broker, "admin")


@pytest.fixture(scope="module")
def admin_config(broker: LocalBroker, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The admin's own TOML file: only a [fleet] table (and where the events database is)."""
    directory = tmp_path_factory.mktemp("admin")
    table = fleet_table(broker, "admin", events_db=directory / "events.sqlite3")
    return write_config(directory / "admin.toml", {"fleet": table})


@dataclass
class Collector:
    process: subprocess.Popen[bytes]
    database: Path
    log: Path
    runs_before: int = 0

    def events(self) -> list[dict[str, Any]]:
        if not self.database.exists():
            return []
        store = EventStore(self.database)
        try:
            return store.events()
        finally:
            store.close()

    def connected(self) -> bool:
        """Return whether this run of the collector has subscribed (its log says so)."""
        text = self.log.read_text(errors="replace") if self.log.exists() else ""
        return text.count("collector: connected") > self.runs_before

    def stop(self) -> None:
        """Stop it as systemd would (SIGTERM); kill it if it does not go."""
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()

    def rejected(self) -> list[dict[str, Any]]:
        store = EventStore(self.database)
        try:
            return store.rejected()
        finally:
            store.close()

    def replies(self) -> list[dict[str, Any]]:
        store = EventStore(self.database)
        try:
            rows = store.db.execute("SELECT payload FROM replies ORDER BY at").fetchall()
        finally:
            store.close()
        return [json.loads(row[0]) for row in rows]


def start_collector(broker: LocalBroker, directory: Path) -> Collector:
    """Start `kioskguard fleet collect` with the collector's account, storing in directory."""
    database = directory / "events.sqlite3"
    table = fleet_table(broker, "collector", events_db=database)
    config = write_config(directory / "collector.toml", {"fleet": table})
    log = directory / "collector.log"
    runs_before = (
        log.read_text(errors="replace").count("collector: connected") if log.exists() else 0
    )
    with open(log, "ab") as output:
        process = subprocess.Popen(
            [sys.executable, "-m", "agent", "fleet", "--config", str(config), "collect"],
            cwd=REPOSITORY,
            stdin=subprocess.DEVNULL,
            stdout=output,
            stderr=subprocess.STDOUT,
        )
    return Collector(process, database, log, runs_before)


@pytest.fixture(scope="module")
def collector(broker: LocalBroker, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Collector]:
    """`kioskguard fleet collect` as a subprocess with the collector's (read-only) account."""
    running = start_collector(broker, tmp_path_factory.mktemp("collector"))
    yield running
    running.stop()


@dataclass
class Kiosk:
    """One kiosk: its managed browser, its daemon, its configuration."""

    site: str
    host: str
    profile_dir: Path
    state_dir: Path
    config: Path
    daemon: DaemonProcess
    browser: subprocess.Popen[bytes]

    def restart_daemon(self) -> None:
        self.daemon.stop()
        self.daemon = DaemonProcess(self.config, self.state_dir)

    def crash(self) -> None:
        """Kill the daemon at once (no goodbye: the broker publishes its last will)."""
        self.daemon.process.send_signal(signal.SIGKILL)
        self.daemon.process.wait(timeout=15)


@pytest.fixture(scope="module")
def kiosks(
    broker: LocalBroker,
    collector: Collector,
    simulator: SimulatorHandle,
    browser_executable: Browser,
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[dict[str, Kiosk]]:
    """Three kiosks, each a headless managed browser on the simulator and a real daemon.

    The collector subscribes first, so it holds every event the kiosks ever publish.
    """
    wait_until(collector.connected, "the collector to subscribe")
    simulator.reset()
    started: dict[str, Kiosk] = {}
    with contextlib.ExitStack() as stack:
        for site, host in KIOSKS:
            root = tmp_path_factory.mktemp(host)
            profile_dir, state_dir = root / "profile", root / "state"
            browser = stack.enter_context(
                managed_browser(browser_executable, profile_dir, simulator.url)
            )
            sections = {
                "general": {"state_dir": state_dir, "client_url": simulator.url},
                "browser": {"user_data_dir": profile_dir, "executable": browser_executable.path},
                "check": {"probe_interval_s": 5, "browser_poll_s": 0.5},
                "idle": {"enabled": False},
                "events": {"on_shutdown": False, "on_sleep": False, "on_logoff": False},
                "logout": {"deadline_s": 30, "shutdown_deadline_s": 10},
                "fleet": fleet_table(
                    broker, host, enabled=True, site=site, host=host, status_interval_s=2
                ),
            }
            config = write_config(root / "kioskguard.toml", sections)
            daemon = DaemonProcess(config, state_dir)
            started[host] = Kiosk(site, host, profile_dir, state_dir, config, daemon, browser)
        try:
            yield started
        finally:
            for kiosk in started.values():
                kiosk.daemon.stop()


@pytest.fixture(autouse=True)
def _broker_log_on_failure(request: pytest.FixtureRequest) -> Iterator[None]:
    yield
    report = getattr(request.node, "rep_call", None)
    if report is not None and report.failed and "broker" in request.fixturenames:
        print(request.getfixturevalue("broker").log()[-4000:])


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Any:
    report = yield
    setattr(item, f"rep_{report.when}", report)
    return report


@pytest.fixture
def link(tmp_path: Path) -> tuple[FleetLink, FakeSessionAgent]:
    """A FleetLink (not connected) on a real Daemon whose session layer is faked."""
    settings = Settings.model_validate(
        {
            "general": {"state_dir": str(tmp_path)},
            "idle": {"enabled": False},
            "fleet": {"enabled": True, "site": "lib", "host": "k1", "tls": False},
        }
    )
    fleet = FleetLink(settings)
    agent = FakeSessionAgent()
    fleet.daemon = Daemon(settings, agent, SystemClock(UTC), hooks=[fleet.record_outcome])
    return fleet, agent


def environment() -> dict[str, str]:
    return dict(os.environ)
