"""The configuration: one typed model, the single source of truth.

Read from a TOML file, then ``KIOSKGUARD_...`` environment variables override it (nested with
``__``: ``KIOSKGUARD_IDLE__TIMEOUT_S=120``). Every field carries a description and an example;
``kioskguard print-config`` turns them into the commented sample. Unknown keys are rejected.
"""

from __future__ import annotations

import ipaddress
import os
import re
import tomllib
from pathlib import Path
from typing import Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource, SettingsConfigDict

from agent.errors import ConfigError

_DAY = r"(mon|tue|wed|thu|fri|sat|sun)"
_DAYS = re.compile(rf"^(\*|{_DAY}(-{_DAY})?(,{_DAY}(-{_DAY})?)*)$")
_TIME = re.compile(r"^([01]\d|2[0-3]):[0-5]\d$")
_LOCALHOST = {"localhost"}


def setting(default: Any, description: str, example: Any, **constraints: Any) -> Any:
    """Given a default, a description and an example, return a documented pydantic Field."""
    return Field(
        default, description=description, json_schema_extra={"example": example}, **constraints
    )


def default_state_dir() -> Path:
    """Return the per-user state directory (XDG_STATE_HOME/kioskguard on Linux)."""
    base = os.environ.get("XDG_STATE_HOME") or str(Path.home() / ".local" / "state")
    return Path(base) / "kioskguard"


class Section(BaseModel):
    """A table of the configuration file: unknown keys are errors."""

    model_config = ConfigDict(extra="forbid", validate_default=True)


class GeneralSettings(Section):
    state_dir: Path = Field(
        default_factory=default_state_dir,
        description="Directory for the state file, the audit log and the managed browser profile.",
        json_schema_extra={"example": "/var/lib/kioskguard"},
    )
    client_url: str = setting(
        "https://web.whatsapp.com/",
        "Address of the web client to guard (the simulator's address in tests and demos).",
        "https://web.whatsapp.com/",
        pattern=r"^https?://[^\s/]+(/\S*)?$",
    )
    log_level: Literal["TRACE", "DEBUG", "INFO", "SUCCESS", "WARNING", "ERROR"] = setting(
        "INFO", "Least severe console log level.", "INFO"
    )
    audit_log: Path | None = setting(
        None,
        "JSON-lines audit file, one line per logout (default: STATE_DIR/audit.jsonl).",
        "/var/log/kioskguard/audit.jsonl",
    )
    log_rotation: str = setting(
        "10 MB", "When the audit file is rotated: a size or an interval.", "10 MB", min_length=1
    )
    log_retention: str = setting(
        "8 weeks", "How long rotated audit files are kept.", "8 weeks", min_length=1
    )

    @property
    def audit_path(self) -> Path:
        """Return the audit file, defaulting to STATE_DIR/audit.jsonl."""
        return self.audit_log or self.state_dir / "audit.jsonl"


class BrowserSettings(Section):
    executable: Path | None = setting(
        None, "Browser to launch (default: found automatically).", "/usr/bin/chromium"
    )
    user_data_dir: Path | None = setting(
        None,
        "Profile of the managed kiosk browser (default: STATE_DIR/browser-profile).",
        "/var/lib/kioskguard/browser-profile",
    )
    debugging_port: int = setting(
        9222, "Loopback debugging port of the managed browser.", 9222, ge=1024, le=65535
    )
    allow_remote_cdp: bool = setting(
        False, "Allow attaching to a debugging port that is not on 127.0.0.1.", False
    )
    headless_cold: bool = setting(
        True, "Relaunch a closed profile headless (invisible) to log it out.", True
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
        ..., "The browser's user data directory.", "/home/kiosk/.config/chromium"
    )
    url: str | None = setting(
        None,
        "Client address for this profile (default: general.client_url).",
        "https://web.whatsapp.com/",
        pattern=r"^https?://[^\s/]+(/\S*)?$",
    )


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
    listen: str = setting(
        "127.0.0.1:9108", "Loopback HOST:PORT of the metrics endpoint.", "127.0.0.1:9108"
    )
    textfile: Path | None = setting(
        None,
        "Write metrics to this .prom file instead of serving them (node_exporter textfile).",
        "/var/lib/node_exporter/kioskguard.prom",
    )

    @field_validator("listen")
    @classmethod
    def _loopback_address(cls, value: str) -> str:
        host, separator, port = value.rpartition(":")
        host = host.strip("[]")
        if not separator or not port.isdigit() or not 1 <= int(port) <= 65535:
            raise ValueError("must be HOST:PORT with a port between 1 and 65535")
        if host not in _LOCALHOST:
            try:
                loopback = ipaddress.ip_address(host).is_loopback
            except ValueError:
                loopback = False
            if not loopback:
                raise ValueError("must be a loopback address such as 127.0.0.1")
        return value

    @property
    def host(self) -> str:
        return self.listen.rpartition(":")[0].strip("[]")

    @property
    def port(self) -> int:
        return int(self.listen.rpartition(":")[2])


class Settings(BaseSettings):
    """Everything kioskguard reads from its configuration file and environment."""

    model_config = SettingsConfigDict(
        env_prefix="KIOSKGUARD_",
        env_nested_delimiter="__",
        extra="forbid",
        validate_default=True,
    )

    general: GeneralSettings = Field(
        default_factory=GeneralSettings,
        description="Where state and logs live, and which web client is guarded.",
    )
    browser: BrowserSettings = Field(
        default_factory=BrowserSettings, description="The managed kiosk browser."
    )
    profiles: list[ProfileSettings] = Field(
        default_factory=list,
        description="Browser profiles to guard (default: only the managed browser's profile).",
        json_schema_extra={
            "example": [{"name": "front-desk", "user_data_dir": "/home/kiosk/.config/chromium"}]
        },
    )
    logout: LogoutSettings = Field(default_factory=LogoutSettings, description="How a logout runs.")
    check: CheckSettings = Field(
        default_factory=CheckSettings,
        description="Periodic checks of the profiles and the managed browser.",
    )
    idle: IdleSettings = Field(
        default_factory=IdleSettings,
        description="Logout after a period without input, after a warning.",
    )
    closing_time: ClosingTimeSettings = Field(
        default_factory=ClosingTimeSettings,
        description="Logouts at fixed times (closing time), with a warning.",
    )
    events: EventSettings = Field(
        default_factory=EventSettings,
        description="Which operating-system and browser events cause a logout.",
    )
    metrics: MetricsSettings = Field(
        default_factory=MetricsSettings,
        description="Prometheus metrics for fleet monitoring (loopback only).",
    )

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        """Let the environment win over the file's values (passed in as init arguments)."""
        return (env_settings, init_settings)

    @model_validator(mode="after")
    def _unique_profile_names(self) -> Settings:
        names = [profile.name for profile in self.profiles]
        duplicates = sorted({name for name in names if names.count(name) > 1})
        if duplicates:
            raise ValueError(f"profile names must be unique: {', '.join(duplicates)} repeated")
        return self

    def effective_profiles(self) -> list[ProfileSettings]:
        """Return the guarded profiles with their client address filled in.

        Without configured profiles, the managed browser's profile is the only one.
        """
        profiles = self.profiles or [
            ProfileSettings(
                name="managed",
                user_data_dir=self.browser.user_data_dir
                or self.general.state_dir / "browser-profile",
            )
        ]
        return [
            profile.model_copy(update={"url": profile.url or self.general.client_url})
            for profile in profiles
        ]


class FileOnlySettings(Settings):
    """Settings read from the file alone, environment ignored (what check-config validates)."""

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        """Use only the values passed in."""
        return (init_settings,)


def read_toml(path: Path) -> dict[str, Any]:
    """Given a TOML file, return its tables. Raise ConfigError if missing, unreadable, or bad."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError as exc:
        raise ConfigError(f"{path}: no such file") from exc
    except IsADirectoryError as exc:
        raise ConfigError(f"{path}: is a directory, not a configuration file") from exc
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: cannot be read: {exc}") from exc
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: TOML syntax error: {exc}") from exc


class InvalidSettings(ConfigError):
    """The configuration was read but breaks the model; ``problems`` lists every error."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        super().__init__("\n".join(problems))


def describe_errors(source: str, error: ValidationError) -> list[str]:
    """Given where the values came from and a ValidationError, return one line per problem.

    Each line reads ``SOURCE: field.path: value: what is allowed``.
    """
    lines = []
    for problem in error.errors():
        path = "".join(
            f"[{part}]" if isinstance(part, int) else f".{part}" for part in problem["loc"]
        ).lstrip(".")
        if problem["type"] == "extra_forbidden":
            allowed = "unknown key (not part of the configuration)"
        elif problem["type"] == "missing":
            allowed = "required, missing"
        else:
            allowed = problem["msg"].removeprefix("Value error, ")
        value = "-" if problem["type"] == "missing" else repr(problem["input"])
        lines.append(f"{source}: {path or '(top level)'}: {value}: {allowed}")
    return lines


def load_settings(path: Path | None = None, *, use_environment: bool = True) -> Settings:
    """Given a TOML file (or none), return the settings with environment overrides applied.

    Raise ConfigError if the file cannot be read, InvalidSettings listing every problem.
    """
    data = read_toml(path) if path is not None else {}
    try:
        return Settings(**data) if use_environment else FileOnlySettings(**data)
    except ValidationError as exc:
        source = str(path) if path is not None else "environment"
        raise InvalidSettings(describe_errors(source, exc)) from exc
