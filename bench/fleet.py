"""The fleet figure: `fleet logout --all` to N virtual kiosks, command to last reply.

The kiosks are real FleetLinks driving a real Daemon whose session layer is faked (the
shipped FakeSessionAgent: every profile linked, each logout verified at once), spread over a
few child processes, connected with TLS and their own passwords to a local Mosquitto, with a
real `kioskguard fleet collect` storing and acknowledging every event and reply (the kiosks'
outboxes keep each until then: the end-to-end acknowledgement runs during the figure). The
floor is the same broadcast answered by N bare echo clients (no kioskguard code) through the
same broker, measured the same way by the same admin code.

    python -m bench.fleet --kiosks 200 --runs 10      (only this part of the bench)
"""

from __future__ import annotations

import argparse
import asyncio
import json
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time
from datetime import UTC
from pathlib import Path
from typing import Any

from agent.daemon.clock import SystemClock
from agent.daemon.daemon import Daemon
from agent.daemon.fakes import FakeSessionAgent
from agent.fleet.admin import send_command
from agent.fleet.broker import BrokerUser
from agent.fleet.connection import make_client
from agent.fleet.kiosk import FleetLink
from agent.fleet.testing import LocalBroker
from agent.fleet.topics import KioskTopics, encode
from agent.outcome import Outcome, Trigger
from agent.settings import FleetSettings, ProfileSettings, Settings
from bench.stats import Figure, Target

SITES = ("library-a", "library-b", "hotel-c", "hotel-d")


class AlwaysLinkedAgent(FakeSessionAgent):
    """A faked session layer whose profile is linked again after every logout (for reruns)."""

    async def logout(
        self, profile: ProfileSettings, trigger: Trigger, deadline_s: float
    ) -> Outcome:
        outcome = await super().logout(profile, trigger, deadline_s)
        self.linked.clear()
        self.logouts.clear()
        return outcome


def kiosk_names(count: int) -> list[tuple[str, str]]:
    return [(SITES[index % len(SITES)], f"vk-{index:04d}") for index in range(count)]


def fleet_table(broker: str, ca_file: Path, user: str, password_file: Path) -> dict[str, Any]:
    return {
        "broker": broker,
        "ca_file": str(ca_file),
        "username": user,
        "password_file": str(password_file),
        "reconnect_s": 0.5,
        "status_interval_s": 3600,
    }


async def run_kiosks(arguments: argparse.Namespace) -> None:
    """Child process: connect N FleetLinks (or echo clients), say ready, run until killed."""
    root = Path(arguments.work)
    tasks = []
    names = kiosk_names(arguments.kiosks)[arguments.part :: arguments.parts]
    for site, host in names:
        table = fleet_table(
            arguments.broker, Path(arguments.ca), host, root / "passwords" / f"{host}.password"
        )
        if arguments.mode == "echo":
            tasks.append(asyncio.create_task(echo(FleetSettings(**table), site, host)))
            continue
        settings = Settings.model_validate(
            {
                "general": {"state_dir": str(Path(arguments.state) / host)},
                "idle": {"enabled": False},
                "fleet": {**table, "enabled": True, "site": site, "host": host},
            }
        )
        link = FleetLink(settings)
        daemon = Daemon(
            settings, AlwaysLinkedAgent(), SystemClock(UTC), hooks=[link.record_outcome]
        )
        tasks.append(asyncio.create_task(link.run(daemon)))
    print("started", flush=True)
    await asyncio.gather(*tasks)


async def echo(settings: FleetSettings, site: str, host: str) -> None:
    """A bare client: answer every broadcast command at once with a reply naming its id."""
    topics = KioskTopics(settings.topic_prefix, site, host)
    async with make_client(settings, f"echo-{host}", username=host, persistent=False) as client:
        online = {"online": True, "site": site, "host": host}
        await client.publish(topics.presence, encode(online), retain=True)
        await client.subscribe(topics.commands[0])
        async for message in client.messages():
            command = json.loads(message.payload)
            reply = {"command_id": command["id"], "result": "verified", "host": host}
            await client.publish(topics.replies, encode(reply))


async def measure(admin: FleetSettings, count: int, runs: int, figure: Figure) -> None:
    """Wait until all kiosks answer, then time `fleet logout --all` runs into figure."""
    for _ in range(60):  # warm-up: every kiosk connected and answering
        batch = await send_command(admin, "logout", wait_s=10)
        if sum(k.reply is not None for k in batch.kiosks) >= count:
            break
    else:
        raise RuntimeError(f"fewer than {count} kiosks answered during the warm-up")
    for _ in range(runs):
        batch = await send_command(admin, "logout", wait_s=30)
        replies = sum(kiosk.reply is not None for kiosk in batch.kiosks)
        if replies < count or batch.seconds_to_last_reply is None:
            figure.failures += 1
            continue
        figure.samples.append(batch.seconds_to_last_reply * 1000)


def bench_fleet(
    work: Path, count: int = 200, runs: int = 10, processes: int = 4
) -> tuple[Figure, Figure]:
    """Return (fleet logout --all to count virtual kiosks, bare broadcast floor), in ms.

    The kiosks (and the echo clients) are spread over a few child processes: on a real fleet
    each kiosk has its own computer, and a logout's two fsyncs of the state file would
    otherwise queue behind every other kiosk's in one event loop.
    """
    hosts = kiosk_names(count)
    users = [BrokerUser("admin", "bench-admin", "admin")]
    users += [BrokerUser("collector", "bench-collector", "collector")]
    users += [BrokerUser(host, f"pw-{host}", "kiosk", site) for site, host in hosts]
    broker = LocalBroker(work / "broker", users)
    (work / "passwords").mkdir(parents=True, exist_ok=True)
    for _, host in hosts:
        (work / "passwords" / f"{host}.password").write_text(f"pw-{host}\n")
    admin = FleetSettings(
        **fleet_table(broker.address, broker.ca_file, "admin", broker.password_file("admin"))
    )
    figure = Figure(f"fleet logout --all, {count} virtual kiosks (command to last reply)", "ms")
    floor = Figure(f"fleet floor: bare broadcast answered by {count} echo clients", "ms")
    # Each kiosk's state file and outbox live in memory (/dev/shm when there is one): 200 real
    # kiosks have 200 disks, the bench has one, and every logout fsyncs its state file twice.
    shm = Path("/dev/shm")
    state = Path(tempfile.mkdtemp(prefix="kioskguard-fleet-", dir=shm if shm.is_dir() else work))
    broker.start()
    collector = start_collector(work, broker)
    try:
        for mode, into in (("echo", floor), ("fleet", figure)):
            children = [
                subprocess.Popen(
                    [
                        sys.executable,
                        "-m",
                        "bench.fleet",
                        "--child",
                        "--mode",
                        mode,
                        "--kiosks",
                        str(count),
                        "--part",
                        str(part),
                        "--parts",
                        str(processes),
                        "--broker",
                        broker.address,
                        "--ca",
                        str(broker.ca_file),
                        "--work",
                        str(work),
                        "--state",
                        str(state),
                    ],
                    stdout=subprocess.PIPE,
                )
                for part in range(processes)
            ]
            try:
                for child in children:
                    assert child.stdout is not None
                    if child.stdout.readline().strip() != b"started":
                        raise RuntimeError(f"{mode} kiosks did not start (exit {child.wait()})")
                asyncio.run(measure(admin, count, runs, into))
            finally:
                for child in children:
                    child.kill()
                    child.wait()
    finally:
        collector.terminate()
        collector.wait(timeout=30)
        stored = sqlite3.connect(work / "events.sqlite3")
        counts = [stored.execute(f"SELECT COUNT(*) FROM {t}").fetchone()[0]
                  for t in ("events", "replies")]  # fmt: skip
        stored.close()
        print(f"fleet bench: the collector stored {counts[0]} events and {counts[1]} replies",
              file=sys.stderr)  # fmt: skip
        broker.stop()
        shutil.rmtree(state, ignore_errors=True)
    return figure, floor


def start_collector(work: Path, broker: LocalBroker) -> subprocess.Popen[bytes]:
    """Start `kioskguard fleet collect` on the broker; return it once it has subscribed."""
    table = fleet_table(
        broker.address, broker.ca_file, "collector", broker.password_file("collector")
    )
    lines = ["[fleet]", *(f"{key} = {json.dumps(value)}" for key, value in table.items())]
    lines.append(f"events_db = {json.dumps(str(work / 'events.sqlite3'))}")
    config = work / "collector.toml"
    config.write_text("\n".join(lines) + "\n", encoding="utf-8")
    log = work / "collector.log"
    with open(log, "wb") as output:
        process = subprocess.Popen(
            [sys.executable, "-m", "agent", "fleet", "--config", str(config), "collect"],
            stdin=subprocess.DEVNULL, stdout=output, stderr=subprocess.STDOUT,
        )  # fmt: skip
    deadline = time.monotonic() + 60
    while "collector: connected" not in log.read_text(errors="replace"):
        if process.poll() is not None or time.monotonic() > deadline:
            process.kill()
            raise RuntimeError(f"the collector did not start: {log.read_text()[-2000:]}")
        time.sleep(0.1)
    return process


def targets(figure: Figure, floor: Figure) -> list[Target]:
    ratio = figure.median / floor.median if floor.samples else float("nan")
    return [
        Target("fleet logout --all to 200 kiosks, median", figure.median, 2000, "ms"),
        Target("fleet logout median / bare broadcast floor", ratio, 3, "x"),
    ]


def main() -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.fleet", description=__doc__)
    parser.add_argument("--kiosks", type=int, default=200)
    parser.add_argument("--runs", type=int, default=10)
    parser.add_argument("--processes", type=int, default=4, help="child processes (4)")
    parser.add_argument("--part", type=int, default=0, help=argparse.SUPPRESS)
    parser.add_argument("--parts", type=int, default=1, help=argparse.SUPPRESS)
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--mode", choices=("echo", "fleet"), help=argparse.SUPPRESS)
    parser.add_argument("--broker", help=argparse.SUPPRESS)
    parser.add_argument("--ca", help=argparse.SUPPRESS)
    parser.add_argument("--work", help=argparse.SUPPRESS)
    parser.add_argument("--state", help=argparse.SUPPRESS)
    arguments = parser.parse_args()
    if arguments.child:
        from loguru import logger

        logger.remove()
        logger.add(sys.stderr, level="ERROR")
        asyncio.run(run_kiosks(arguments))
        return 0
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="kioskguard-bench-fleet-") as work:
        figure, floor = bench_fleet(
            Path(work), arguments.kiosks, arguments.runs, arguments.processes
        )
    for item in (figure, floor):
        print(f"| {item.name} | {len(item.samples)} | {item.failures} | {item.median:.0f} |"
              f" {item.p95:.0f} | {item.unit} | |")  # fmt: skip
    for target in targets(figure, floor):
        verdict = "pass" if target.passed else "**miss**"
        print(f"| {target.description} | {target.value:.2f} {target.unit} |"
              f" {target.limit:g} {target.unit} | {verdict} |")  # fmt: skip
    print(f"({time.monotonic() - started:.0f} s)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
