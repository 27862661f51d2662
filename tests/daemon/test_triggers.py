"""The trigger table (agent/daemon/triggers.py): one row per trigger, checked at import."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from typing import Any, cast

import pytest

from agent.daemon import triggers
from agent.daemon.triggers import (
    TRIGGERS,
    TriggerRule,
    TriggerTableError,
    UnknownTrigger,
    check_table,
)
from agent.outcome import Trigger
from agent.settings import Settings

# Written out here, not read from the table: a wrong row must fail a test.
FLAGS = {
    Trigger.IDLE: ("idle", "enabled"),
    Trigger.BROWSER_CLOSED: ("events", "on_browser_closed"),
    Trigger.SHUTDOWN: ("events", "on_shutdown"),
    Trigger.SLEEP: ("events", "on_sleep"),
    Trigger.LOCK: ("events", "on_lock"),
    Trigger.LOGOFF: ("events", "on_logoff"),
}
SHUTDOWN_CLASS = {Trigger.SHUTDOWN, Trigger.SLEEP, Trigger.LOGOFF, Trigger.SIGNAL}
EVERY_FLAG_OFF = {
    "idle": {"enabled": False},
    "events": {name: False for section, name in FLAGS.values() if section == "events"},
}


def settings_with(**tables: Any) -> Settings:
    return Settings.model_validate(tables)


def test_the_shipped_table_passes_its_check() -> None:
    check_table(TRIGGERS)


def test_a_trigger_without_a_row_is_refused() -> None:
    table = {trigger: rule for trigger, rule in TRIGGERS.items() if trigger is not Trigger.LOCK}
    with pytest.raises(TriggerTableError, match="lock: no row"):
        check_table(table)


def test_a_row_for_no_trigger_is_refused() -> None:
    table = {**TRIGGERS, cast(Trigger, "teleport"): TriggerRule(None, "normal", "none")}
    with pytest.raises(TriggerTableError, match="'teleport': a row for no trigger"):
        check_table(table)


@pytest.mark.parametrize("flag", ["events.on_teleport", "logout.deadline_s", "nowhere.enabled"])
def test_a_flag_naming_no_boolean_setting_is_refused(flag: str) -> None:
    table = {**TRIGGERS, Trigger.LOCK: TriggerRule(flag, "normal", "os")}
    with pytest.raises(TriggerTableError, match=f"flag '{flag}' is no boolean setting"):
        check_table(table)


def test_os_rows_must_be_the_triggers_the_platform_produces() -> None:
    table = {**TRIGGERS, Trigger.LOCK: TriggerRule("events.on_lock", "normal", "none")}
    with pytest.raises(TriggerTableError, match="source 'os' rows"):
        check_table(table)
    table = {**TRIGGERS, Trigger.FLEET: TriggerRule(None, "normal", "os")}
    with pytest.raises(TriggerTableError, match="source 'os' rows"):
        check_table(table)


def test_importing_the_table_checks_it_against_the_enum() -> None:
    """A Trigger added to the enum with no row stops the daemon from importing at all."""
    script = textwrap.dedent(
        """
        import enum
        import agent.outcome
        members = {item.name: item.value for item in agent.outcome.Trigger}
        agent.outcome.Trigger = enum.StrEnum("Trigger", {**members, "TELEPORT": "teleport"})
        import agent.daemon.triggers
        """
    )
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=120, check=False
    )
    assert done.returncode != 0
    assert "TriggerTableError: trigger table: teleport: no row" in done.stderr


def test_an_unknown_trigger_is_an_error_never_a_default() -> None:
    settings = settings_with()
    unknown = cast(Trigger, "teleport")
    with pytest.raises(UnknownTrigger, match="'teleport' has no row"):
        triggers.allowed(unknown, settings)
    with pytest.raises(UnknownTrigger, match="'teleport' has no row"):
        triggers.deadline_s(unknown, settings)


@pytest.mark.parametrize("trigger", sorted(FLAGS))
def test_each_flag_turns_its_own_trigger_off(trigger: Trigger) -> None:
    section, name = FLAGS[trigger]
    assert triggers.allowed(trigger, settings_with(**{section: {name: True}}))
    assert not triggers.allowed(trigger, settings_with(**{section: {name: False}}))


@pytest.mark.parametrize("trigger", sorted(set(Trigger) - set(FLAGS)))
def test_triggers_without_a_flag_stay_on_with_every_flag_off(trigger: Trigger) -> None:
    assert triggers.allowed(trigger, settings_with(**EVERY_FLAG_OFF))


@pytest.mark.parametrize("trigger", sorted(Trigger))
def test_the_os_going_away_takes_the_shutdown_deadline(trigger: Trigger) -> None:
    settings = settings_with(logout={"deadline_s": 40, "shutdown_deadline_s": 7})
    expected = 7 if trigger in SHUTDOWN_CLASS else 40
    assert triggers.deadline_s(trigger, settings) == expected


def test_the_os_source_is_what_logind_and_windows_produce() -> None:
    assert triggers.from_source("os") == {
        Trigger.SHUTDOWN,
        Trigger.SLEEP,
        Trigger.LOCK,
        Trigger.LOGOFF,
    }
