"""Every trigger in one table: the setting that turns it off, its deadline class and its source.

A new Trigger (agent/outcome.py) is one row here. The table is checked when this module is
imported: a trigger without a row, a row for no trigger, a flag that names no boolean setting,
or an OS trigger the platform does not produce (agent/platform/triggers.py) raises
TriggerTableError. Asking about a trigger the table lacks raises UnknownTrigger: never a default.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Literal

from pydantic import BaseModel

from agent.outcome import Trigger
from agent.platform.triggers import TRIGGER_BY_EVENT
from agent.settings import Settings

DeadlineClass = Literal["normal", "shutdown"]
Source = Literal[
    "command",  # `kioskguard logout`
    "idle_watch",  # agent/daemon/idle.py
    "timetable",  # agent/daemon/scheduler.py
    "state_rule",  # agent/daemon/staterule.py: a session stored with no browser running
    "os",  # logind (agent/platform/triggers.py), Windows session end (windows_session.py)
    "signal",  # agent/platform/signals.py
    "recovery",  # a logout a crash interrupted, finished at start
    "fleet",  # agent/fleet
    "none",  # no producer yet: kept for the metrics' and audit's label set
]


class TriggerTableError(ValueError):
    """The trigger table does not match the Trigger enum or the settings (a bug, at import)."""


class UnknownTrigger(LookupError):
    """A trigger the table has no row for was asked about (a bug, never a default)."""


@dataclass(frozen=True)
class TriggerRule:
    """What the daemon needs to know about one trigger.

    flag: the dotted boolean setting that must be true for it to log out ("events.on_lock"),
    None when nothing turns it off once its source runs; deadline: "shutdown" takes
    logout.shutdown_deadline_s (the OS is going away), "normal" logout.deadline_s; source:
    what produces it.
    """

    flag: str | None
    deadline: DeadlineClass
    source: Source


TRIGGERS: Mapping[Trigger, TriggerRule] = MappingProxyType(
    {
        Trigger.MANUAL: TriggerRule(None, "normal", "command"),
        Trigger.IDLE: TriggerRule("idle.enabled", "normal", "idle_watch"),
        Trigger.CLOSING_TIME: TriggerRule(None, "normal", "timetable"),
        Trigger.BROWSER_CLOSED: TriggerRule("events.on_browser_closed", "normal", "state_rule"),
        Trigger.SHUTDOWN: TriggerRule("events.on_shutdown", "shutdown", "os"),
        Trigger.SLEEP: TriggerRule("events.on_sleep", "shutdown", "os"),
        Trigger.LOCK: TriggerRule("events.on_lock", "normal", "os"),
        Trigger.LOGOFF: TriggerRule("events.on_logoff", "shutdown", "os"),
        Trigger.SIGNAL: TriggerRule(None, "shutdown", "signal"),
        Trigger.RECOVERY: TriggerRule(None, "normal", "recovery"),
        Trigger.FLEET: TriggerRule(None, "normal", "fleet"),
        Trigger.SCHEDULE: TriggerRule(None, "normal", "none"),
    }
)


def rule_for(trigger: Trigger) -> TriggerRule:
    """Given a trigger, return its row. Raise UnknownTrigger if the table has none."""
    try:
        return TRIGGERS[trigger]
    except KeyError:
        message = f"trigger {trigger!r} has no row in agent/daemon/triggers.py"
        raise UnknownTrigger(message) from None


def allowed(trigger: Trigger, settings: Settings) -> bool:
    """Given a trigger and the settings, return whether the trigger may cause a logout.
    Raise UnknownTrigger if the table has no row for it."""
    flag = rule_for(trigger).flag
    return True if flag is None else _read_flag(settings, flag)


def deadline_s(trigger: Trigger, settings: Settings) -> float:
    """Given a trigger and the settings, return its logout deadline in seconds.
    Raise UnknownTrigger if the table has no row for it."""
    if rule_for(trigger).deadline == "shutdown":
        return settings.logout.shutdown_deadline_s
    return settings.logout.deadline_s


def from_source(source: Source) -> frozenset[Trigger]:
    """Given a source, return the triggers it produces."""
    return frozenset(trigger for trigger, rule in TRIGGERS.items() if rule.source == source)


def _read_flag(settings: Settings, flag: str) -> bool:
    value: object = settings
    for name in flag.split("."):
        value = getattr(value, name)
    return bool(value)


def check_table(
    table: Mapping[Trigger, TriggerRule],
    os_triggers: frozenset[Trigger] = frozenset(TRIGGER_BY_EVENT.values()),
) -> None:
    """Given a trigger table and the triggers the platform maps OS events to, return if they
    fit the Trigger enum and the settings model. Raise TriggerTableError naming what is wrong."""
    problems = [f"{trigger.value}: no row" for trigger in Trigger if trigger not in table]
    problems += [f"{key!r}: a row for no trigger" for key in table if key not in set(Trigger)]
    for trigger, rule in table.items():
        if rule.flag is not None and not _is_bool_setting(rule.flag):
            problems.append(f"{trigger}: flag {rule.flag!r} is no boolean setting")
    sourced = {trigger for trigger, rule in table.items() if rule.source == "os"}
    if sourced != os_triggers:
        problems.append(
            f"source 'os' rows {sorted(sourced)} differ from the platform's {sorted(os_triggers)}"
        )
    if problems:
        raise TriggerTableError("trigger table: " + "; ".join(problems))


def _is_bool_setting(flag: str) -> bool:
    """Return whether the dotted name is a bool field of the Settings model."""
    model: type[BaseModel] = Settings
    *sections, leaf = flag.split(".")
    for name in sections:
        field = model.model_fields.get(name)
        annotation = field.annotation if field is not None else None
        if not (isinstance(annotation, type) and issubclass(annotation, BaseModel)):
            return False
        model = annotation
    field = model.model_fields.get(leaf)
    return field is not None and field.annotation is bool


check_table(TRIGGERS)
