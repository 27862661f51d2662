"""The typed vocabulary every layer shares: triggers, page states, probe results, outcomes."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from enum import StrEnum
from typing import Any


class Trigger(StrEnum):
    """Why a check or logout ran."""

    MANUAL = "manual"
    IDLE = "idle"
    CLOSING_TIME = "closing_time"
    BROWSER_CLOSED = "browser_closed"
    SHUTDOWN = "shutdown"
    SLEEP = "sleep"
    LOCK = "lock"
    LOGOFF = "logoff"
    SIGNAL = "signal"
    RECOVERY = "recovery"
    FLEET = "fleet"  # a command from the fleet admin (agent/fleet)
    SCHEDULE = "schedule"


class PageState(StrEnum):
    """What the client's page shows, as the agent reads it."""

    QR = "qr"
    LOADING = "loading"
    CHATS = "chats"
    ANOTHER_SESSION = "another_session"
    CONFLICT = "conflict"
    OFFLINE = "offline"
    LOGGED_OUT = "logged_out"
    UNKNOWN = "unknown"


class Linked(StrEnum):
    """What the offline probe concluded from the profile's stored keys."""

    LINKED = "linked"
    NOT_LINKED = "not_linked"
    UNKNOWN = "unknown"


LOCAL_ONLY_NOTE = "local only: the device may still be listed on the phone; log it out there"


class Result(StrEnum):
    """The end of one logout attempt, and the CLI exit code it maps to."""

    LOGGED_OUT = "logged_out"  # verified: QR back and session keys gone (exit 0)
    NOTHING_TO_DO = "nothing_to_do"  # no session was linked (exit 0)
    LOCAL_ONLY = "local_only"  # fallback wiped local data; device may still be listed (exit 3)
    FAILED = "failed"  # nothing verified (exit 1)

    @property
    def exit_code(self) -> int:
        return {"logged_out": 0, "nothing_to_do": 0, "local_only": 3, "failed": 1}[self.value]


class LogoutPath(StrEnum):
    """How the agent got into the profile (Outcome.path, Session.path)."""

    NONE = ""  # not reached: the logout failed before any way in
    WARM = "warm"  # attached to the visitor's running browser
    COLD = "cold"  # relaunched the closed profile headless
    OFFLINE = "offline"  # the offline probe found nothing stored: no browser needed


class Action(StrEnum):
    """What the agent did to end the session (Outcome.action)."""

    NONE = "none"
    IN_PAGE_LOGOUT = "in_page_logout"
    FALLBACK_CLEAR = "fallback_clear"


class WarningResult(StrEnum):
    """How an in-page countdown before a logout ended."""

    COMPLETED = "completed"  # the countdown ran out: go ahead
    CANCELLED = "cancelled"  # the user touched the page: do not log out
    UNAVAILABLE = "unavailable"  # no client tab to show it in


@dataclass(frozen=True)
class ProbeResult:
    """The offline probe's reading of one browser profile for one origin."""

    profile: str
    origin: str
    linked: Linked
    account: str | None = None  # masked, e.g. 49151*****67
    keys: tuple[str, ...] = ()  # session keys found (names only)
    legacy_keys: tuple[str, ...] = ()  # pre-2022 keys found
    detail: str = ""  # why UNKNOWN, or what was read

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["linked"] = self.linked.value
        data["keys"] = list(self.keys)
        data["legacy_keys"] = list(self.legacy_keys)
        return data


@dataclass
class Outcome:
    """One logout attempt, as the audit log and the CLI report it."""

    profile: str
    trigger: Trigger
    result: Result = Result.FAILED
    path: LogoutPath = LogoutPath.NONE
    state_before: PageState | Linked = PageState.UNKNOWN
    action: Action = Action.NONE
    # which path did it: ui:menu, ui:settings, ui:list, ui:conflict, client_function, wipe, or
    # none (nothing done or nothing worked); the evidence behind it is in notes
    how: str = "none"
    verified: bool = False
    fallback_used: bool = False
    device_unlinked: bool | None = None  # None: the agent cannot see the phone's list
    duration_ms: int = 0
    attempts: int = 0
    error: str | None = None
    notes: list[str] = field(default_factory=list)
    # the profile's user data dir, symlinks resolved: status matches audit records by it
    user_data_dir: str | None = None

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        for key in ("trigger", "result", "path", "state_before", "action"):
            data[key] = getattr(self, key).value
        return data
