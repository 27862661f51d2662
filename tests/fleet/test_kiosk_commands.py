"""The kiosk's command table: one handler per command kind, checked when the module loads;
a kind without a handler is refused, never carried out as some default."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import get_args

import pytest

from agent.daemon.fakes import FakeSessionAgent
from agent.fleet.kiosk import HANDLERS, FleetLink, check_handlers
from agent.fleet.topics import BadCommand, Command, CommandKind, encode, make_command, parse_command


def test_every_command_kind_has_exactly_one_handler() -> None:
    assert set(HANDLERS) == set(get_args(CommandKind))
    check_handlers(HANDLERS, get_args(CommandKind))


def test_a_kind_missing_from_the_table_or_one_too_many_is_an_error_naming_it() -> None:
    without_ping = {kind: handler for kind, handler in HANDLERS.items() if kind != "ping"}
    with pytest.raises(TypeError, match=r"missing \['ping'\], extra \[\]"):
        check_handlers(without_ping, get_args(CommandKind))
    with pytest.raises(TypeError, match=r"missing \[\], extra \['reboot'\]"):
        check_handlers(HANDLERS | {"reboot": HANDLERS["ping"]}, get_args(CommandKind))


async def test_a_command_of_a_kind_without_a_handler_is_refused_and_logs_nobody_out(
    link: tuple[FleetLink, FakeSessionAgent],
) -> None:
    fleet, agent = link
    now = datetime.now(UTC)
    command = Command.model_construct(  # past the model's check, as a stale table would see it
        id="cmd-1", kind="reboot", target="all", profile=None, issued_at=now,
        expires_at=now + timedelta(seconds=60),
    )  # fmt: skip
    reply = await fleet._execute(command)
    assert reply["result"] == "refused" and reply["reason"] == "unknown kind 'reboot'"
    assert agent.logouts == []
    events = [json.loads(row[2]) for row in fleet.outbox.pending()]
    assert [(event["kind"], event["command_id"]) for event in events] == [
        ("command_refused", "cmd-1")
    ]


async def test_a_ping_answers_pong_and_logs_nobody_out(
    link: tuple[FleetLink, FakeSessionAgent],
) -> None:
    fleet, agent = link
    now = datetime.now(UTC)
    command = Command(
        id="cmd-2", kind="ping", target="all", issued_at=now, expires_at=now + timedelta(seconds=60)
    )
    reply = await fleet._execute(command)
    assert (reply["kind"], reply["result"]) == ("ping", "pong")
    assert agent.logouts == []


def test_a_check_command_is_no_longer_a_kind_the_kiosk_takes() -> None:
    message = make_command("check", "all", 60)
    with pytest.raises(BadCommand, match="kind") as caught:
        parse_command(encode(message))
    assert caught.value.command_id == message["id"]
