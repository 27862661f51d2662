"""The fleet end to end: a real Mosquitto (TLS, passwords, ACL), three real daemons on the
simulator, the admin's CLI and the collector. The tests run in order and share the kiosks."""

from __future__ import annotations

import asyncio
import json
import time
import uuid
from collections import Counter
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Any

import pytest

from agent.fleet.admin import Kiosk as KioskView
from agent.fleet.admin import collect_status, send_command
from agent.fleet.connection import Refused, make_client
from agent.fleet.testing import LocalBroker
from agent.fleet.topics import command_topic, encode, make_command
from agent.settings import FleetSettings
from agent.simulator.testing import SimulatorHandle
from tests.fleet.conftest import Collector, Kiosk, fleet_settings, kioskguard
from tests.session.helpers import link_managed

pytestmark = pytest.mark.browser
WAIT_S = 90.0
SAME = ("profile", "trigger", "result", "verified", "duration_ms", "attempts")


async def eventually(
    check: Callable[[], Awaitable[Any]], what: str, timeout_s: float = WAIT_S
) -> Any:
    """Await check until it returns something truthy; return it. Fail naming what if never."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        value = await check()
        if value:
            return value
        await asyncio.sleep(0.3)
    pytest.fail(f"timed out waiting for {what}")


async def views(admin: FleetSettings) -> dict[str, KioskView]:
    return {kiosk.host: kiosk for kiosk in await collect_status(admin, quiet_s=0.3)}


async def until_linked(admin: FleetSettings, hosts: list[str], linked: bool = True) -> None:
    async def check() -> bool:
        seen = await views(admin)
        return all(
            host in seen
            and seen[host].online is True
            and bool(seen[host].linked_profiles()) is linked
            for host in hosts
        )

    await eventually(check, f"{hosts} online and {'linked' if linked else 'not linked'}")


async def link(kiosks: list[Kiosk], sim: SimulatorHandle) -> None:
    for kiosk in kiosks:
        await link_managed(kiosk.profile_dir, sim)


def fleet_logouts(kiosk: Kiosk) -> int:
    return sum(line["trigger"] == "fleet" for line in kiosk.daemon.audit())


async def linked_kiosk(
    kiosks: dict[str, Kiosk], simulator: SimulatorHandle, admin: FleetSettings, host: str
) -> tuple[Kiosk, int]:
    """Link the kiosk's session, wait for its status to say so; return it and its fleet
    logouts so far."""
    kiosk = kiosks[host]
    await link([kiosk], simulator)
    await until_linked(admin, [host])
    return kiosk, fleet_logouts(kiosk)


def logout_rows(completed: Any) -> dict[str, dict[str, Any]]:
    data = json.loads(completed.stdout)
    return {row["host"]: row for row in data["kiosks"]}


async def test_status_shows_all_three_kiosks_online_with_their_linked_profile(
    kiosks: dict[str, Kiosk], simulator: SimulatorHandle, admin: FleetSettings, admin_config: Any
) -> None:
    await link(list(kiosks.values()), simulator)
    await until_linked(admin, list(kiosks))
    table = kioskguard("fleet", "--config", str(admin_config), "status")
    assert table.returncode == 0, table.stderr
    print(table.stdout)  # shown with -rP: the README's picture comes from here
    for kiosk in kiosks.values():
        line = next(line for line in table.stdout.splitlines() if kiosk.host in line)
        assert kiosk.site in line and "online" in line and "managed" in line
    assert "3 kiosk(s), 3 online, 3 with a linked session" in table.stdout
    only_b = kioskguard(
        "fleet", "--config", str(admin_config), "status", "--site", "hotel-b", "--json"
    )
    assert [entry["host"] for entry in json.loads(only_b.stdout)] == ["hotel-b-01"]


async def test_batch_logout_by_site_then_all_verifies_every_kiosk_and_empties_the_phone(
    kiosks: dict[str, Kiosk], simulator: SimulatorHandle, admin: FleetSettings, admin_config: Any
) -> None:
    await until_linked(admin, list(kiosks))
    assert len(simulator.devices()) == 3
    by_site = kioskguard(
        "fleet", "--config", str(admin_config), "logout", "--site", "library-a", "--json"
    )
    assert by_site.returncode == 0, by_site.stdout + by_site.stderr
    rows = logout_rows(by_site)
    assert {host: row["result"] for host, row in rows.items()} == {
        "lib-a-01": "verified",
        "lib-a-02": "verified",
    }
    assert len(simulator.devices()) == 1  # hotel-b-01's session is untouched
    await link([kiosks["lib-a-01"], kiosks["lib-a-02"]], simulator)
    await until_linked(admin, list(kiosks))
    everyone = kioskguard("fleet", "--config", str(admin_config), "logout", "--all")
    assert everyone.returncode == 0, everyone.stdout + everyone.stderr
    for host in kiosks:
        line = next(line for line in everyone.stdout.splitlines() if host in line)
        assert "verified" in line
    assert "3 of 3 kiosk(s) verified" in everyone.stdout
    assert simulator.devices() == []
    for kiosk in kiosks.values():
        fleet_lines = [line for line in kiosk.daemon.audit() if line["trigger"] == "fleet"]
        assert fleet_lines and all(line["verified"] for line in fleet_lines)


async def test_a_client_without_the_admin_role_cannot_make_a_kiosk_log_out(
    kiosks: dict[str, Kiosk],
    simulator: SimulatorHandle,
    broker: LocalBroker,
    admin: FleetSettings,
    collector: Collector,
) -> None:
    hotel, before = await linked_kiosk(kiosks, simulator, admin, "hotel-b-01")
    sent = []
    for user in ("lib-a-01", "collector"):
        settings = fleet_settings(broker, user)
        client = make_client(
            settings, f"intruder-{uuid.uuid4().hex[:8]}", username=user, persistent=False
        )
        async with client:
            for topic in (
                command_topic(settings.topic_prefix, host="hotel-b-01"),
                command_topic(settings.topic_prefix),
            ):
                command = make_command(
                    "logout", "all" if topic.endswith("/all") else "host:hotel-b-01", 600
                )
                sent.append(command["id"])
                with pytest.raises(Refused) as refused:  # MQTT 5: the ACL's answer is read
                    await client.publish(topic, encode(command))
                assert refused.value.code == 135
    ping = await send_command(admin, "ping", host="hotel-b-01", wait_s=30)  # sent after them
    assert [kiosk.reply and kiosk.reply["result"] for kiosk in ping.kiosks] == ["pong"]
    assert len(simulator.devices()) == 1
    assert fleet_logouts(hotel) == before
    seen_ids = {event.get("command_id") for event in collector.events()}
    assert not seen_ids & set(sent)  # the kiosk never even received them


async def test_malformed_expired_and_misaddressed_commands_are_refused_and_the_daemon_runs_on(
    kiosks: dict[str, Kiosk],
    simulator: SimulatorHandle,
    admin: FleetSettings,
    collector: Collector,
) -> None:
    hotel = kiosks["hotel-b-01"]
    await until_linked(admin, ["hotel-b-01"])
    prefix = admin.topic_prefix
    topic = command_topic(prefix, host="hotel-b-01")
    expired = make_command("logout", "host:hotel-b-01", 600)
    expired["expires_at"] = "2020-01-01T00:00:00+00:00"
    elsewhere = make_command("logout", "host:lib-a-01", 600)
    unknown_kind = make_command("logout", "host:hotel-b-01", 600) | {"kind": "format-disk"}
    payloads = [
        b"\xff\xfe not json",
        b"[1, 2, 3]",
        encode({"id": "cmd-no-fields"}),
        encode(unknown_kind),
        encode(expired),
        encode(elsewhere),
    ]
    async with make_client(
        admin, f"admin-raw-{uuid.uuid4().hex[:8]}", username="admin", persistent=False
    ) as client:
        for payload in payloads:
            await client.publish(topic, payload)

    async def refusals() -> list[dict[str, Any]] | None:
        found = [
            e
            for e in collector.events()
            if e["kind"] == "command_refused" and e["host"] == "hotel-b-01"
        ]
        return found if len(found) >= len(payloads) else None

    refused = await eventually(refusals, "six refusal events from hotel-b-01")
    reasons = " | ".join(event["reason"] for event in refused)
    assert "not JSON" in reasons and "not a JSON object" in reasons and "kind" in reasons
    assert (
        "expired at 2020-01-01" in reasons and "wrongly addressed: target host:lib-a-01" in reasons
    )
    assert hotel.daemon.process.poll() is None
    ping = await send_command(admin, "ping", host="hotel-b-01", wait_s=30)
    assert ping.kiosks[0].reply is not None and ping.kiosks[0].reply["result"] == "pong"
    assert len(simulator.devices()) == 1  # nobody was logged out
    assert not [
        line
        for line in hotel.daemon.audit()
        if line["trigger"] == "fleet" and line["at"] > refused[0]["at"]
    ]


async def test_offline_kiosk_refuses_the_expired_command_and_runs_the_live_one_on_reconnect(
    kiosks: dict[str, Kiosk],
    simulator: SimulatorHandle,
    admin: FleetSettings,
    admin_config: Any,
    collector: Collector,
) -> None:
    hotel = kiosks["hotel-b-01"]
    await until_linked(admin, ["hotel-b-01"])
    hotel.crash()

    async def offline() -> bool:
        return (await views(admin))["hotel-b-01"].online is False

    await eventually(offline, "the last will marking hotel-b-01 offline")
    short = kioskguard(
        "fleet", "--config", str(admin_config), "logout", "--host", "hotel-b-01",
        "--ttl", "1", "--wait", "1", "--json",
    )  # fmt: skip
    assert short.returncode == 1
    assert logout_rows(short)["hotel-b-01"]["result"] == "offline: queued"
    short_command = json.loads(short.stdout)["command"]
    live = kioskguard(
        "fleet", "--config", str(admin_config), "logout", "--host", "hotel-b-01", "--wait", "1",
        "--json",
    )  # fmt: skip
    assert logout_rows(live)["hotel-b-01"]["result"] == "offline: queued"
    live_command = json.loads(live.stdout)["command"]
    expiry = datetime.fromisoformat(short_command["expires_at"])
    while datetime.now(UTC) <= expiry:  # the kiosk comes back after the first expired
        await asyncio.sleep(0.2)
    assert len(simulator.devices()) == 1
    hotel.restart_daemon()

    async def replies() -> dict[str, str] | None:
        found = {
            r["command_id"]: r["result"] for r in collector.replies() if r["host"] == "hotel-b-01"
        }
        wanted = (short_command["id"], live_command["id"])
        return found if all(command_id in found for command_id in wanted) else None

    answered = await eventually(replies, "replies to both queued commands")
    assert answered[short_command["id"]] == "refused"
    assert answered[live_command["id"]] == "verified"
    assert simulator.devices() == []
    await until_linked(admin, ["hotel-b-01"], linked=False)


async def test_a_command_delivered_three_times_while_it_runs_logs_out_once_and_is_one_event(
    kiosks: dict[str, Kiosk],
    simulator: SimulatorHandle,
    admin: FleetSettings,
    collector: Collector,
) -> None:
    kiosk, before = await linked_kiosk(kiosks, simulator, admin, "lib-a-01")
    command = make_command("logout", "host:lib-a-01", 600)
    topic = command_topic(admin.topic_prefix, host="lib-a-01")
    async with make_client(
        admin, f"admin-raw-{uuid.uuid4().hex[:8]}", username="admin", persistent=False
    ) as client:
        for _ in range(3):  # QoS 1 may deliver a command again; here while the first runs
            await client.publish(topic, encode(command))

    def answered() -> list[dict[str, Any]] | None:
        found = [r for r in collector.replies() if r["command_id"] == command["id"]]
        return found if len(found) >= 3 else None

    replies = await eventually(_async(answered), "three replies to the one command")
    assert sorted(reply["repeated"] for reply in replies) == [False, True, True]
    assert {reply["result"] for reply in replies} == {"verified"}
    assert fleet_logouts(kiosk) == before + 1

    def reported() -> Counter[str] | None:
        kinds = Counter(
            e["kind"] for e in collector.events() if e.get("command_id") == command["id"]
        )
        return kinds if kinds["logout"] and kinds["command"] else None

    await eventually(_async(reported), "the command's logout and command events")
    await asyncio.sleep(2.0)  # a second event would have come by now
    assert await _async(reported)() == Counter({"logout": 1, "command": 1})


async def test_a_manual_logout_on_a_fleet_kiosk_reaches_the_fleet_report(
    kiosks: dict[str, Kiosk],
    simulator: SimulatorHandle,
    admin: FleetSettings,
    admin_config: Any,
    collector: Collector,
) -> None:
    kiosk, _ = await linked_kiosk(kiosks, simulator, admin, "lib-a-02")
    manual = kioskguard("logout", "--config", str(kiosk.config), "--json")
    assert manual.returncode == 0, manual.stdout + manual.stderr
    assert json.loads(manual.stdout)["trigger"] == "manual"

    def collected() -> list[dict[str, Any]]:
        return [
            e
            for e in collector.events()
            if e["host"] == "lib-a-02" and e["kind"] == "logout"
            and e["outcome"]["trigger"] == "manual"
        ]  # fmt: skip

    await eventually(_async(collected), "the manual logout in the collected events")
    report = kioskguard(
        "fleet", "--config", str(admin_config), "report", "--since", "1d", "--format", "json",
        "--db", str(collector.database),
    )  # fmt: skip
    assert json.loads(report.stdout)["by_trigger"].get("manual") == 1, report.stdout


async def test_broker_outage_loses_no_audit_event_and_duplicates_none(
    kiosks: dict[str, Kiosk],
    simulator: SimulatorHandle,
    broker: LocalBroker,
    admin: FleetSettings,
    collector: Collector,
) -> None:
    lib_a = [kiosks["lib-a-01"], kiosks["lib-a-02"]]
    await link(lib_a, simulator)
    await until_linked(admin, [kiosk.host for kiosk in lib_a])
    broker.stop()
    for kiosk in lib_a:  # the visitor closes the browser at once: a local logout, broker down
        kiosk.browser.terminate()
    local_only = 0
    for kiosk in lib_a:
        record = kiosk.daemon.wait_for_audit("browser_closed")
        # Chromium stores the keys seconds after the link, or never when closed first: the
        # daemon saw the session live and says so (local_only), never nothing_to_do.
        if record["result"] == "local_only":
            assert "never reached the disk" in record["error"], record
            local_only += 1
        else:
            assert (record["result"], record["verified"]) == ("logged_out", True), record
        kiosk.daemon.wait_for_log("event(s) wait on disk")
    assert len(simulator.devices()) == local_only  # each local_only: still on the phone
    simulator.logout_all()  # the visitor unlinks it there, as the local_only note asks
    broker.start()

    def delivered() -> bool:
        events = collector.events()
        return all(
            sum(e["kind"] == "logout" and e["host"] == kiosk.host for e in events)
            == len(kiosk.daemon.audit())
            for kiosk in kiosks.values()
        )

    await eventually(_async(delivered), "every audit line collected")
    events = collector.events()
    for kiosk in kiosks.values():
        collected = sorted(
            tuple(e["outcome"][key] for key in SAME)
            for e in events
            if e["kind"] == "logout" and e["host"] == kiosk.host
        )
        local = sorted(tuple(line[key] for key in SAME) for line in kiosk.daemon.audit())
        assert collected == local  # same events, each once
    assert len({e["id"] for e in events}) == len(events)

    async def outboxes_empty() -> bool:
        seen = await views(admin)
        return all(seen[kiosk.host].status.get("pending_events") == 0 for kiosk in lib_a)

    await eventually(outboxes_empty, "the kiosks' statuses showing empty outboxes")


def _async(check: Callable[[], Any]) -> Callable[[], Awaitable[Any]]:
    async def wrapped() -> Any:
        return check()

    return wrapped


async def test_report_counts_each_kiosks_sessions_and_writes_an_html_chart(
    kiosks: dict[str, Kiosk], admin_config: Any, collector: Collector, tmp_path: Any
) -> None:
    html = tmp_path / "report.html"
    completed = kioskguard(
        "fleet", "--config", str(admin_config), "report", "--since", "1d", "--format", "json",
        "--db", str(collector.database), "--html", str(html),
    )  # fmt: skip
    assert completed.returncode == 0, completed.stderr
    report = json.loads(completed.stdout)
    lines = [line for kiosk in kiosks.values() for line in kiosk.daemon.audit()]
    for kiosk in kiosks.values():
        ended = [a for a in kiosk.daemon.audit() if a["result"] in ("logged_out", "local_only")]
        rows = [row for row in report["days"] if row["host"] == kiosk.host]
        assert sum(row["ended"] for row in rows) == len(ended)
    found = Counter(line["trigger"] for line in lines if line["result"] != "nothing_to_do")
    assert report["by_trigger"] == dict(found) and sum(found.values()) > 0
    assert report["median_logout_s"] > 0
    page = html.read_text()
    assert "<svg" in page and all(f"{row['site']} {row['day']}" in page for row in report["days"])
    table = kioskguard(
        "fleet", "--config", str(admin_config), "report", "--db", str(collector.database),
        "--site", "library-a",
    )  # fmt: skip
    assert "lib-a-01" in table.stdout and "hotel-b-01" not in table.stdout
