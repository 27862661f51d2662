"""The fleet's logic without a broker: commands, outbox, collector store, report, settings,
metrics, the kiosk's refusals (with the shipped fake session layer), and CLI input errors."""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from prometheus_client import generate_latest

from agent.cli import main
from agent.daemon.fakes import FakeSessionAgent
from agent.daemon.metrics import Metrics
from agent.errors import ConfigError
from agent.fleet.checks import MAX_LOGOUTS_PER_MINUTE
from agent.fleet.collector import EventStore
from agent.fleet.connection import Incoming
from agent.fleet.kiosk import FleetLink, summarize
from agent.fleet.outbox import Outbox
from agent.fleet.report import LOCAL_ONLY_NOTE, as_csv, build_report, parse_since
from agent.fleet.topics import BadCommand, encode, make_command, parse_command
from agent.outcome import Outcome, Result, Trigger
from agent.settings import InvalidSettings, Settings, load_settings


def test_command_that_is_not_json_or_not_an_object_is_malformed() -> None:
    with pytest.raises(BadCommand, match="not JSON"):
        parse_command(b"\xff{")
    with pytest.raises(BadCommand, match="not a JSON object"):
        parse_command(b"[]")


def test_command_of_unknown_kind_is_refused_with_its_id() -> None:
    message = make_command("logout", "all", 60) | {"kind": "reboot"}
    with pytest.raises(BadCommand, match="kind") as caught:
        parse_command(encode(message))
    assert caught.value.command_id == message["id"]


def test_command_addressing_and_expiry() -> None:
    command = parse_command(encode(make_command("ping", "site:library-a", 60)))
    assert command.addressed_to("library-a", "x") and not command.addressed_to("hotel-b", "x")
    assert not command.expired(datetime.now(UTC))
    assert command.expired(datetime.now(UTC) + timedelta(seconds=61))


def test_summary_of_a_logout_command() -> None:
    def outcome(result: Result) -> Outcome:
        return Outcome("p", Trigger.FLEET, result=result)

    assert summarize([]) == "nothing_to_do"
    assert summarize([outcome(Result.LOGGED_OUT)]) == "verified"
    assert summarize([outcome(Result.LOGGED_OUT), outcome(Result.LOCAL_ONLY)]) == "local_only"
    assert summarize([outcome(Result.LOCAL_ONLY), outcome(Result.FAILED)]) == "failed"


def test_outbox_keeps_order_ignores_a_second_put_and_forgets_acknowledged(tmp_path: Path) -> None:
    outbox = Outbox(tmp_path / "outbox.sqlite3")
    outbox.put("a", "t/1", {"n": 1})
    outbox.put("b", "t/2", {"n": 2})
    outbox.put("a", "t/1", {"n": 1})
    assert [row[0] for row in outbox.pending()] == ["a", "b"]
    assert outbox.acknowledged(["a", "zz"]) == 1
    assert Outbox(tmp_path / "outbox.sqlite3").count() == 1  # on disk, seen by a new process


def logout_event(host: str, at: str, result: str, trigger: str, ms: int) -> dict[str, Any]:
    outcome = {"profile": "managed", "result": result, "trigger": trigger, "duration_ms": ms}
    return {"id": f"{host}-{at}", "kind": "logout", "site": "lib", "host": host, "at": at,
            "outcome": outcome}  # fmt: skip


def stored(store: EventStore, site: str, host: str, event: dict[str, Any]) -> bool:
    return store.add_event(site, host, event)


def test_collector_stores_each_event_id_once(tmp_path: Path) -> None:
    store = EventStore(tmp_path / "events.sqlite3")
    event = logout_event("h", "2026-11-20T10:00:00+00:00", "logged_out", "idle", 5)
    assert store.add_event("lib", "h", event) is True
    assert store.add_event("lib", "h", event) is False  # a copy: not stored, not rejected
    assert store.add_event("lib", "h", {"kind": "logout"}) is False  # no id: unusable
    assert len(store.events()) == 1
    assert [row["reason"] for row in store.rejected()] == [
        "payload says None/None, published on lib/h's topic"
    ]


def test_collector_rejects_what_a_kiosk_says_about_another_or_cannot_have_done(
    tmp_path: Path,
) -> None:
    store = EventStore(tmp_path / "events.sqlite3")
    at = "2026-11-20T10:00:00+00:00"
    other_host = logout_event("k2", at, "logged_out", "idle", 5)
    stolen_id = logout_event("k1", at, "logged_out", "idle", 5) | {"id": "k2-abc"}
    odd_kind = logout_event("k1", at, "logged_out", "idle", 5) | {"kind": "wipe_all"}
    odd_trigger = logout_event("k1", at, "logged_out", "visitor_asked", 5)
    future = logout_event("k1", "2099-01-01T00:00:00+00:00", "logged_out", "idle", 5)
    fleet_unknown = logout_event("k1", at, "logged_out", "fleet", 5) | {"command_id": "cmd-x"}
    fleet_none = logout_event("k1", at, "logged_out", "fleet", 5)
    cases = (other_host, stolen_id, odd_kind, odd_trigger, future, fleet_unknown, fleet_none)
    for number, event in enumerate(cases):
        if event is not stolen_id:
            event["id"] = f"{event['host']}-{number}"
        assert store.add_event("lib", "k1", event) is False, event
    reasons = [row["reason"] for row in store.rejected()]
    assert len(reasons) == 7, reasons
    joined = " | ".join(reasons)
    for part in (
        "payload says lib/k2, published on lib/k1's topic",
        "id 'k2-abc' is not one of k1's",
        "kind 'wipe_all'",
        "no trigger kioskguard has ('visitor_asked')",
        "is in the future",
        "command 'cmd-x', which the collector never saw",
        "a fleet logout that names no command",
    ):
        assert part in joined, part
    assert store.events() == []


def test_collector_accepts_one_fleet_logout_per_command_and_profile_and_no_bursts(
    tmp_path: Path,
) -> None:
    store = EventStore(tmp_path / "events.sqlite3")
    prefix = "kioskguard/v1"
    command = make_command("logout", "site:lib", 60)
    assert (
        store.add_message(prefix, Incoming(f"{prefix}/cmd/site/lib", encode(command), False))
        is None
    )
    elsewhere = make_command("logout", "site:hotel", 60)
    store.add_message(prefix, Incoming(f"{prefix}/cmd/site/hotel", encode(elsewhere), False))
    at = "2026-11-20T10:00:00+00:00"
    first = logout_event("k1", at, "logged_out", "fleet", 5) | {"command_id": command["id"]}
    again = first | {"id": "k1-again"}
    misaddressed = first | {"id": "k1-other", "command_id": elsewhere["id"]}
    assert store.add_event("lib", "k1", first) is True
    assert store.add_event("lib", "k1", again) is False
    assert store.add_event("lib", "k1", misaddressed) is False
    reasons = " | ".join(row["reason"] for row in store.rejected())
    assert "a second fleet logout of 'managed'" in reasons and "addressed to site:hotel" in reasons
    burst = [
        logout_event("k1", f"2026-11-20T11:00:{second:02d}+00:00", "logged_out", "idle", 5)
        for second in range(40)
    ]
    accepted = sum(store.add_event("lib", "k1", event) for event in burst)
    assert accepted == MAX_LOGOUTS_PER_MINUTE
    assert sum("a burst" in row["reason"] for row in store.rejected()) == 40 - accepted


def test_collector_batch_acknowledges_stored_copies_and_rejected_ids_per_kiosk(
    tmp_path: Path,
) -> None:
    store = EventStore(tmp_path / "events.sqlite3")
    prefix = "kioskguard/v1"
    good = logout_event("k1", "2026-11-20T10:00:00+00:00", "logged_out", "idle", 5)
    forged = good | {"id": "k1-forged", "host": "k2"}
    topic = f"{prefix}/lib/k1/events"
    batch = [Incoming(topic, encode(m), False) for m in (good, good, forged)]
    batch.append(Incoming(topic, b"not json", False))
    acks = store.store_batch(prefix, batch)
    assert acks == {("lib", "k1"): [good["id"], good["id"], "k1-forged"]}
    assert [e["id"] for e in store.events()] == [good["id"]]


def test_report_counts_found_and_ended_sessions_and_lists_local_only() -> None:
    events = [
        logout_event("k1", "2026-11-20T10:00:00+00:00", "logged_out", "idle", 1000),
        logout_event("k1", "2026-11-20T11:00:00+00:00", "local_only", "closing_time", 3000),
        logout_event("k1", "2026-11-20T12:00:00+00:00", "nothing_to_do", "fleet", 10),
        logout_event("k2", "2026-11-21T09:00:00+00:00", "failed", "idle", 30000),
        {"id": "x", "kind": "command_refused", "at": "2026-11-21T09:00:00+00:00"},
    ]
    report = build_report(events, datetime(2026, 11, 1, tzinfo=UTC), None)
    k1 = next(row for row in report.days if row.host == "k1")
    assert (k1.found, k1.ended, k1.verified, k1.local_only, k1.median_logout_s) == (2, 2, 1, 1, 2.0)
    k2 = next(row for row in report.days if row.host == "k2")
    assert (k2.found, k2.ended, k2.failed) == (1, 0, 1)
    assert report.by_trigger == {"closing_time": 1, "idle": 2}
    assert [item["note"] for item in report.local_only] == [LOCAL_ONLY_NOTE]
    assert report.refused_commands == 1
    assert as_csv(report).splitlines()[0].startswith("day,site,host,found,ended")


def test_since_accepts_durations_and_dates_and_names_what_is_allowed() -> None:
    now = datetime(2026, 11, 22, tzinfo=UTC)
    assert parse_since("7d", now) == now - timedelta(days=7)
    assert parse_since("2026-11-01", now) == datetime(2026, 11, 1, tzinfo=UTC)
    with pytest.raises(ConfigError, match="--since 'last week': use a duration"):
        parse_since("last week", now)


def test_invalid_fleet_settings_name_each_field(tmp_path: Path) -> None:
    path = tmp_path / "bad.toml"
    path.write_text('[fleet]\nbroker = "mqtt.example.org"\nhost = "Front/Desk"\nkeepalive_s = 1\n')
    with pytest.raises(InvalidSettings) as caught:
        load_settings(path, use_environment=False)
    text = str(caught.value)
    for field in ("fleet.broker", "fleet.host", "fleet.keepalive_s"):
        assert field in text
    path.write_text('[fleet]\ncert_file = "/c.pem"\n')
    with pytest.raises(InvalidSettings, match=r"fleet: .*cert_file and key_file go together"):
        load_settings(path, use_environment=False)


def test_metrics_series_exist_from_start_up() -> None:
    text = generate_latest(Metrics(profiles=["front-desk"]).http_registry).decode()
    assert 'kioskguard_profile_linked{profile="front-desk"} -1.0' in text
    assert 'kioskguard_logouts_total{how="none",result="local_only",trigger="idle"} 0.0' in text
    assert 'kioskguard_logouts_total{how="wipe",result="local_only",trigger="idle"} 0.0' in text
    assert 'kioskguard_logout_duration_seconds_count{result="local_only"} 0.0' in text
    assert "kioskguard_build_info{" in text and "process_resident_memory_bytes" in text


def test_the_textfile_holds_only_kioskguards_own_series(tmp_path: Path) -> None:
    textfile = tmp_path / "kioskguard.prom"
    metrics = Metrics(textfile=textfile, profiles=["front-desk"])
    metrics.record_outcome(Outcome("front-desk", Trigger.IDLE, result=Result.LOCAL_ONLY))
    names = {
        line.split("{")[0].split(" ")[0]
        for line in textfile.read_text().splitlines()
        if line and not line.startswith("#")
    }
    assert names and all(name.startswith("kioskguard_") for name in names), names
    assert 'result="local_only",trigger="idle"} 1.0' in textfile.read_text()


def test_metrics_listen_off_loopback_needs_allow_remote() -> None:
    with pytest.raises(ValueError, match="allow_remote"):
        Settings.model_validate({"metrics": {"listen": "0.0.0.0:9108"}})
    settings = Settings.model_validate(
        {"metrics": {"listen": "0.0.0.0:9108", "allow_remote": True}}
    )
    assert settings.metrics.host == "0.0.0.0"


async def carry_out(fleet: FleetLink, topic: str, message: dict[str, Any]) -> dict[str, Any]:
    reply = await fleet._carry_out(Incoming(topic, encode(message), False))
    assert reply is not None
    return reply


async def test_kiosk_refuses_expired_misaddressed_and_unknown_profile_commands(
    link: tuple[FleetLink, FakeSessionAgent],
) -> None:
    fleet, agent = link
    expired = make_command("logout", "all", 60) | {"expires_at": "2020-01-01T00:00:00+00:00"}
    other = make_command("logout", "host:k2", 60)
    unknown = make_command("logout", "all", 60, profile="nobody")
    replies = [
        await carry_out(fleet, "kioskguard/v1/cmd/all", expired),
        await carry_out(fleet, "kioskguard/v1/cmd/host/k1", other),
        await carry_out(fleet, "kioskguard/v1/cmd/all", unknown),
        await carry_out(fleet, "kioskguard/v1/cmd/host/k2", make_command("logout", "all", 60)),
    ]
    assert [reply["result"] for reply in replies] == ["refused"] * 4
    assert agent.logouts == []
    kinds = [json.loads(row[2])["kind"] for row in fleet.outbox.pending()]
    assert kinds.count("command_refused") == 4


async def test_kiosk_carries_out_a_command_once_even_when_delivered_twice(
    link: tuple[FleetLink, FakeSessionAgent],
) -> None:
    fleet, agent = link
    command = make_command("logout", "site:lib", 60)
    first = await carry_out(fleet, "kioskguard/v1/cmd/site/lib", command)
    again = await carry_out(fleet, "kioskguard/v1/cmd/site/lib", command)
    assert first["result"] == again["result"] == "verified" and again["repeated"] is True
    assert len(agent.logouts) == 1
    await asyncio.sleep(0)


def test_fleet_cli_rejects_a_bad_site_name(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["fleet", "logout", "--site", "Main/Branch"]) == 2
    assert "--site 'Main/Branch'" in capsys.readouterr().err


def test_fleet_report_without_a_database_exits_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    missing = tmp_path / "none.sqlite3"
    assert main(["fleet", "report", "--db", str(missing)]) == 2
    assert "run `kioskguard fleet collect` first" in capsys.readouterr().err


def test_fleet_status_with_no_broker_exits_1_naming_it(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = tmp_path / "admin.toml"
    config.write_text('[fleet]\nbroker = "127.0.0.1:1"\nusername = "admin"\ntls = false\n')
    assert main(["fleet", "--config", str(config), "status"]) == 1
    assert "broker 127.0.0.1:1" in capsys.readouterr().err


def test_daemon_with_a_missing_password_file_is_a_configuration_error(tmp_path: Path) -> None:
    settings = Settings.model_validate(
        {
            "general": {"state_dir": str(tmp_path)},
            "fleet": {"enabled": True, "password_file": str(tmp_path / "absent")},
        }
    )
    with pytest.raises(ConfigError, match=r"fleet.password_file .*absent: no such file"):
        FleetLink(settings)


def test_fleet_logout_of_an_unknown_host_names_it_and_exits_1(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from agent.fleet import command
    from agent.fleet.admin import BatchResult

    async def no_kiosk_matches(*_: Any, **__: Any) -> BatchResult:
        return BatchResult(command={"id": "cmd-1"}, kiosks=[], seconds_to_last_reply=None)

    monkeypatch.setattr(command, "send_command", no_kiosk_matches)
    config = tmp_path / "admin.toml"
    config.write_text('[fleet]\nbroker = "127.0.0.1:1"\nusername = "admin"\ntls = false\n')
    assert main(["fleet", "--config", str(config), "logout", "--host", "lib-a-09"]) == 1
    out = capsys.readouterr().out
    assert "no kiosk matches --host lib-a-09: no kiosk of that name has reported" in out


def test_check_config_refuses_the_fleet_files_run_refuses_and_names_each(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = tmp_path / "kiosk.toml"
    config.write_text(
        f'[general]\nstate_dir = "{tmp_path / "state"}"\n'
        f'[fleet]\nenabled = true\nsite = "lib"\nhost = "k1"\n'
        f'password_file = "{tmp_path / "no-password"}"\nca_file = "{tmp_path / "no-ca.pem"}"\n'
    )
    assert main(["check-config", str(config)]) == 2
    err = capsys.readouterr().err
    assert f"fleet.password_file {tmp_path / 'no-password'}: no such file" in err
    assert f"fleet.ca_file {tmp_path / 'no-ca.pem'}: no such file" in err
    assert "2 errors" in err
    with pytest.raises(ConfigError, match=r"fleet.password_file .*no-password: no such file"):
        FleetLink(load_settings(config))  # what `kioskguard run` meets at start-up
    (tmp_path / "no-password").write_text("secret\n")
    (tmp_path / "no-ca.pem").write_text("not a certificate\n")
    assert main(["check-config", str(config)]) == 2
    assert "fleet TLS files (ca_file, cert_file, key_file)" in capsys.readouterr().err


def test_an_outbox_written_by_the_previous_version_opens_and_keeps_its_rows(
    tmp_path: Path,
) -> None:
    import sqlite3

    path = tmp_path / "fleet-outbox.sqlite3"
    old = sqlite3.connect(path)
    old.executescript(
        "CREATE TABLE outbox (seq INTEGER PRIMARY KEY AUTOINCREMENT, id TEXT UNIQUE NOT NULL,"
        " topic TEXT NOT NULL, payload TEXT NOT NULL);"
        "INSERT INTO outbox (id, topic, payload) VALUES ('k1-old', 't', '{}');"
    )
    old.commit()
    old.close()
    outbox = Outbox(path)
    outbox.put("k1-new", "t", {"n": 1})
    assert [row[0] for row in outbox.pending()] == ["k1-old", "k1-new"]
    assert outbox.oldest_age_s() >= 0
    assert outbox.acknowledged(["k1-old", "k1-new"]) == 2 and outbox.count() == 0


async def test_a_command_delivered_again_while_it_runs_runs_once_and_the_copies_say_so(
    link: tuple[FleetLink, FakeSessionAgent],
) -> None:
    fleet, agent = link
    agent.logout_gate = asyncio.Event()
    command = make_command("logout", "site:lib", 60)
    copies = [
        asyncio.create_task(carry_out(fleet, "kioskguard/v1/cmd/site/lib", command))
        for _ in range(3)
    ]
    while not agent.logouts:  # the first copy is logging out; the others arrive meanwhile
        await asyncio.sleep(0.01)
    await asyncio.sleep(0.1)
    agent.logout_gate.set()
    replies = await asyncio.gather(*copies)
    assert sorted(reply["repeated"] for reply in replies) == [False, True, True]
    assert {reply["result"] for reply in replies} == {"verified"}
    assert len(agent.logouts) == 1
    kinds = [json.loads(row[2]) for row in fleet.outbox.pending()]
    assert [e["kind"] for e in kinds].count("command") == 1
    logouts = [e for e in kinds if e["kind"] == "logout"]
    assert len(logouts) == 1 and logouts[0]["command_id"] == command["id"]
