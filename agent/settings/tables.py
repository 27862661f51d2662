"""The configuration's tables, one model each: [general], [browser], [[profiles]], [logout],
[check], [idle], [closing_time], [events] and [metrics] (the [fleet] table: fleet.py).
"""

from __future__ import annotations

import ipaddress
import os
import re
from pathlib import Path
from typing import Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, ValidationInfo, field_validator

from agent.profile_paths import ProfilePathError, checked_user_data_dir
from agent.settings.fields import (
    _URL_PATTERN,
    Section,
    default_audit_dir,
    default_state_dir,
    setting,
)

_DAY = r"(mon|tue|wed|thu|fri|sat|sun)"
_DAYS = re.compile(rf"^(\*|{_DAY}(-{_DAY})?(,{_DAY}(-{_DAY})?)*)$")
_TIME = re.compile(r"^([01]\d|2[0-3]):[0-5]\d$")
_LOCALHOST = {"localhost"}


class GeneralSettings(Section):
    state_dir: Path = Field(
        default_factory=default_state_dir,
        description="Directory for the state file, the audit log and the managed browser profile"
        " (default: $XDG_STATE_HOME/kioskguard, i.e. ~/.local/state/kioskguard; the system"
        " service sets /var/lib/kioskguard).",
        json_schema_extra={"example": "/var/lib/kioskguard", "commented": True},
        strict=False,  # a path is text in TOML and in the environment
    )
    client_url: str = setting(
        "https://web.whatsapp.com/",
        "Address of the web client to guard (the simulator's address in tests and demos).",
        "https://web.whatsapp.com/",
        pattern=_URL_PATTERN,
    )
    log_level: Literal["TRACE", "DEBUG", "INFO", "SUCCESS", "WARNING", "ERROR"] = setting(
        "INFO", "Least severe console log level.", "INFO"
    )
    audit_log: Path | None = setting(
        None,
        "JSON-lines audit file, one line per logout (default: STATE_DIR/audit.jsonl; the system"
        " service sets /var/log/kioskguard/audit.jsonl).",
        "/var/log/kioskguard/audit.jsonl",
        commented=True,
        strict=False,  # a path is text in TOML and in the environment
    )
    log_rotation: str = setting(
        "10 MB", "When the audit file is rotated: a size or an interval.", "10 MB", min_length=1
    )
    log_retention: str = setting(
        "8 weeks", "How long rotated audit files are kept.", "8 weeks", min_length=1
    )

    @property
    def audit_path(self) -> Path:
        """Return the audit file: audit_log, else $LOGS_DIRECTORY/audit.jsonl (system service),
        else STATE_DIR/audit.jsonl."""
        return self.audit_log or (default_audit_dir() or self.state_dir) / "audit.jsonl"


class BrowserSettings(Section):
    executable: Path | None = setting(
        None,
        "Browser to launch (default: found automatically; the environment variable"
        " KIOSKGUARD_BROWSER=/path sets it too).",
        "/usr/bin/chromium",
        commented=True,
        strict=False,  # a path is text in TOML and in the environment
    )
    user_data_dir: Path | None = setting(
        None,
        "Profile of the managed kiosk browser (default: STATE_DIR/browser-profile).",
        "/var/lib/kioskguard/browser-profile",
        commented=True,
        strict=False,  # a path is text in TOML and in the environment
    )

    @field_validator("user_data_dir", mode="before")
    @classmethod
    def _usable_managed_profile(cls, value: Any) -> Any:
        return None if value is None else _user_data_dir(value)

    debugging_port: int = setting(
        9222, "Loopback debugging port of the managed browser.", 9222, ge=1024, le=65535
    )
    allow_remote_cdp: bool = setting(
        False, "Allow attaching to a debugging port that is not on 127.0.0.1.", False
    )
    headless_cold: bool = setting(
        True, "Relaunch a closed profile headless (invisible) to log it out.", True
    )
    kiosk_window: bool = setting(
        False,
        "Open the managed browser visitors use as a full-screen kiosk window (Chromium's --kiosk:"
        " no address bar, tabs or window controls; the visitor leaves with Alt+F4).",
        False,
    )
    headless_shell: bool = setting(
        True,
        "For headless relaunches, use the browser's headless shell when one of the very same"
        " build is installed (starts and exits faster).",
        True,
    )


class ProfileSettings(Section):
    name: str = setting(
        ..., "Short name used in logs and metrics.", "front-desk", pattern=r"^[a-z0-9][a-z0-9_-]*$"
    )
    user_data_dir: Path = setting(
        ...,
        "The browser's user data directory.",
        "/home/kiosk/.config/chromium",
        strict=False,  # a path is text in TOML and in the environment
    )
    url: str | None = setting(
        None,
        "Client address for this profile (default: general.client_url).",
        "https://web.whatsapp.com/",
        pattern=_URL_PATTERN,
    )

    @field_validator("user_data_dir", mode="before")
    @classmethod
    def _usable_profile(cls, value: Any) -> Any:
        return _user_data_dir(value)


def _user_data_dir(value: Any) -> Any:
    """Given a user_data_dir value before validation, return it resolved (symlinks followed).

    Raise ValueError (reported with the file and field) if agent/profile_paths.py's rule
    refuses it; a value that is not text is left to the field's type check.
    """
    if not isinstance(value, str | os.PathLike):
        return value
    try:
        return checked_user_data_dir(value)
    except ProfilePathError as exc:
        raise ValueError(exc.reason) from exc


LogoutPath = Literal["ui", "client_function"]


class LogoutSettings(Section):
    deadline_s: float = setting(30.0, "Longest time one logout may take.", 30.0, gt=0, le=600)
    shutdown_deadline_s: float = setting(
        4.0,
        "Longest time a logout at shutdown or sleep may take (keep under InhibitDelayMaxSec).",
        4.0,
        gt=0,
        le=120,
    )
    fallback_clear: bool = setting(
        True, "If the in-page logout fails, wipe the client's local data (device may stay).", True
    )
    retries: int = setting(
        1, "Extra attempts after a failed logout, inside the deadline.", 1, ge=0, le=5
    )
    parallel_launches: int = setting(
        3,
        "How many closed profiles may be relaunched (headless) at the same time; logouts in"
        " running browsers are not limited.",
        3,
        ge=1,
        le=32,
    )
    paths: list[LogoutPath] = setting(
        ["ui", "client_function"],
        "In-page logout paths, in order: ui (menu or settings -> Log out -> confirm, as a person"
        " clicks) and client_function (the client's own logout function, used when the UI"
        " cannot single out its controls). The origin wipe (fallback_clear) runs only after"
        " these fail.",
        ["ui", "client_function"],
        min_length=1,
    )

    @field_validator("paths")
    @classmethod
    def _distinct_paths(cls, value: list[str]) -> list[str]:
        if len(set(value)) != len(value):
            raise ValueError(f"each path at most once (got {value})")
        return value


class CheckSettings(Section):
    probe_interval_s: float = setting(
        30.0, "Seconds between offline checks of whether a session is linked.", 30.0, ge=1, le=3600
    )
    browser_poll_s: float = setting(
        2.0, "Seconds between checks that the managed browser is still open.", 2.0, ge=0.5, le=60
    )


IdleSourceName = Literal["auto", "x11", "gnome", "logind", "windows", "macos", "browser"]


class IdleSettings(Section):
    enabled: bool = setting(True, "Log out after a period without input.", True)
    timeout_s: float = setting(
        300.0, "Seconds without input before the warning starts.", 300.0, ge=1, le=86400
    )
    source: IdleSourceName = setting(
        "auto", "Where input idle time comes from (auto picks the best available).", "auto"
    )
    poll_s: float = setting(1.0, "Seconds between idle readings.", 1.0, ge=0.2, le=10)
    warning_s: int = setting(
        30, "Countdown shown in the page before an idle logout; input cancels it.", 30, ge=0, le=600
    )
    desktop_notification: bool = setting(
        False, "Also announce the countdown as a desktop notification.", False
    )


class ClosingTimeEntry(Section):
    days: str = setting("mon-sun", "Days, e.g. mon-sat, sun, or mon,wed,fri.", "mon-sat")
    time: str = setting(..., "Local time of the logout, HH:MM (24 h).", "20:00")

    @field_validator("days")
    @classmethod
    def _valid_days(cls, value: str) -> str:
        value = value.strip().lower()
        if not _DAYS.match(value):
            raise ValueError("must be day names mon..sun, ranges (mon-sat), commas, or *")
        return value

    @field_validator("time")
    @classmethod
    def _valid_time(cls, value: str) -> str:
        if not _TIME.match(value):
            raise ValueError("must be HH:MM between 00:00 and 23:59")
        return value

    @property
    def hour(self) -> int:
        return int(self.time[:2])

    @property
    def minute(self) -> int:
        return int(self.time[3:])


class ClosingTimeSettings(Section):
    times: list[ClosingTimeEntry] = Field(
        default_factory=list,
        description="Scheduled logouts, one table per rule.",
        json_schema_extra={"example": [{"days": "mon-sat", "time": "20:00"}]},
    )
    warn_minutes: int = setting(
        5, "Warn this many minutes before each closing time (0: no warning).", 5, ge=0, le=120
    )
    timezone: str | None = setting(
        None, "IANA time zone of the times (default: the system's).", "Europe/Berlin"
    )

    @field_validator("timezone")
    @classmethod
    def _known_timezone(cls, value: str | None) -> str | None:
        if value is not None:
            try:
                ZoneInfo(value)
            except (ZoneInfoNotFoundError, ValueError) as exc:
                raise ValueError("must be an IANA time zone such as Europe/Berlin") from exc
        return value


class EventSettings(Section):
    on_browser_closed: bool = setting(
        True, "Log out when the managed browser closes with a session linked.", True
    )
    on_shutdown: bool = setting(True, "Log out when the computer shuts down.", True)
    on_sleep: bool = setting(True, "Log out when the computer goes to sleep.", True)
    on_lock: bool = setting(False, "Log out when the screen is locked.", False)
    on_logoff: bool = setting(True, "Log out when the desktop user logs off.", True)


class MetricsSettings(Section):
    enabled: bool = setting(False, "Export Prometheus metrics.", False)
    allow_remote: bool = setting(
        False,
        "Let listen be a non-loopback address, for a fleet Prometheus to scrape (firewall it).",
        False,
    )
    listen: str = setting(
        "127.0.0.1:9077",
        "HOST:PORT of the metrics endpoint (loopback unless allow_remote).",
        "127.0.0.1:9077",
    )
    textfile: Path | None = setting(
        None,
        "Write metrics to this .prom file instead of serving them (node_exporter textfile).",
        "/var/lib/node_exporter/kioskguard.prom",
        commented=True,
        strict=False,  # a path is text in TOML and in the environment
    )

    @field_validator("listen")
    @classmethod
    def _loopback_address(cls, value: str, info: ValidationInfo) -> str:
        host, separator, port = value.rpartition(":")
        host = host.strip("[]")
        if not separator or not port.isdigit() or not 1 <= int(port) <= 65535:
            raise ValueError("must be HOST:PORT with a port between 1 and 65535")
        if host not in _LOCALHOST:
            try:
                loopback = ipaddress.ip_address(host).is_loopback
            except ValueError:
                loopback = False
            if not loopback and not info.data.get("allow_remote"):
                raise ValueError(
                    "must be a loopback address such as 127.0.0.1 (or set allow_remote = true)"
                )
        return value

    @property
    def host(self) -> str:
        return self.listen.rpartition(":")[0].strip("[]")

    @property
    def port(self) -> int:
        return int(self.listen.rpartition(":")[2])
