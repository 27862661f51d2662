"""The configuration: one typed model, the single source of truth.

``Settings`` is a pydantic-settings ``BaseSettings``: the TOML file's tables are its init
arguments, and its environment source (``KIOSKGUARD_...`` variables, nested with ``__``:
``KIOSKGUARD_IDLE__TIMEOUT_S=120``) overrides them; ``KIOSKGUARD_BROWSER=/path`` is short for
``KIOSKGUARD_BROWSER__EXECUTABLE``. Every field carries a description and an example;
``kioskguard print-config`` turns them into the commented sample. Unknown keys are rejected, and
booleans and numbers are strict, never a guess: in the file ``"yes"`` or ``"30"`` in quotes is an
error; in the environment, where every value is text, a boolean is ``true`` or ``false`` (any
case) and a number is written in digits (``120``, ``0.5``, ``1e3``), so ``yes``, ``1``, ``nan``
or ``inf`` are errors naming the variable.
"""

from __future__ import annotations

import difflib
import ipaddress
import os
import re
import socket
import tomllib
from collections.abc import Mapping
from contextvars import ContextVar
from pathlib import Path
from typing import Any, Literal, get_args
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)
from pydantic.fields import FieldInfo
from pydantic_settings import (
    BaseSettings,
    EnvSettingsSource,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    SettingsError,
)

from agent.errors import ConfigError
from agent.platform import paths
from agent.profile_paths import ProfilePathError, checked_user_data_dir

_DAY = r"(mon|tue|wed|thu|fri|sat|sun)"
_DAYS = re.compile(rf"^(\*|{_DAY}(-{_DAY})?(,{_DAY}(-{_DAY})?)*)$")
_TIME = re.compile(r"^([01]\d|2[0-3]):[0-5]\d$")
_LOCALHOST = {"localhost"}
_URL_PATTERN = r"^https?://[^\s/]+(/\S*)?$"
ENV_PREFIX = "KIOSKGUARD_"


def setting(
    default: Any, description: str, example: Any, *, commented: bool = False, **constraints: Any
) -> Any:
    """Given a default, a description and an example, return a documented pydantic Field.

    A commented example is printed as a comment in the sample configuration: a system path
    (/var/...) a normal user could not write, or a value that differs from machine to machine.
    """
    extra = {"example": example, "commented": True} if commented else {"example": example}
    return Field(default, description=description, json_schema_extra=extra, **constraints)


def default_state_dir() -> Path:
    """Return the state directory: $STATE_DIRECTORY when systemd made one (the system service's
    StateDirectory=, /var/lib/kioskguard), else the per-user $XDG_STATE_HOME/kioskguard
    (~/.local/state/kioskguard); on Windows %LOCALAPPDATA%\\kioskguard (agent.platform.paths)."""
    return paths.state_dir(os.environ)


def default_config_file() -> Path | None:
    """Return the configuration file used when none is named, if it exists: the system
    service's $CONFIGURATION_DIRECTORY/kioskguard.toml (/etc/kioskguard), else the user's
    $XDG_CONFIG_HOME/kioskguard/kioskguard.toml (~/.config/kioskguard/kioskguard.toml); on
    Windows the user's %APPDATA%, else the machine's %ProgramData% (agent.platform.paths)."""
    return next((path for path in paths.config_candidates(os.environ) if path.is_file()), None)


def default_audit_dir() -> Path | None:
    """Return $LOGS_DIRECTORY when systemd made one (the system service's LogsDirectory=)."""
    systemd_made = os.environ.get("LOGS_DIRECTORY", "").split(":")[0]
    return Path(systemd_made) if systemd_made else None


class Section(BaseModel):
    """A table of the configuration file: unknown keys are errors."""

    model_config = ConfigDict(
        extra="forbid", validate_default=True, allow_inf_nan=False, strict=True
    )


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


_FLEET_NAME = r"^[a-z0-9][a-z0-9_.-]{0,62}$"


class FleetSettings(Section):
    """The fleet link (agent/fleet/): status, audit events and commands over MQTT."""

    enabled: bool = setting(
        False, "Report to the fleet broker and take its commands (the daemon's side).", False
    )
    broker: str = setting(
        "127.0.0.1:8883", "HOST:PORT of the MQTT broker (TLS port).", "mqtt.example.org:8883"
    )
    site: str = setting(
        "main",
        "Site (branch) of this kiosk: commands may address it.",
        "library-a",
        pattern=_FLEET_NAME,
    )
    host: str | None = setting(
        None,
        "Name of this kiosk in the fleet (default: the computer's host name, lower case).",
        "lib-a-01",
        pattern=_FLEET_NAME,
    )
    username: str | None = setting(
        None, "Broker user name (default: the kiosk's host name).", "lib-a-01"
    )
    password_file: Path | None = setting(
        None,
        "File holding the broker password (one line; readable by the service's account only).",
        "/etc/kioskguard/mqtt-password",
        strict=False,  # a path is text in TOML and in the environment
    )
    tls: bool = setting(True, "Connect with TLS (turn off only on a test broker).", True)
    ca_file: Path | None = setting(
        None,
        "CA certificate the broker's certificate must chain to (default: the system's).",
        "/etc/kioskguard/fleet-ca.pem",
        strict=False,  # a path is text in TOML and in the environment
    )
    cert_file: Path | None = setting(
        None,
        "Client certificate, when the broker asks for one.",
        "/etc/kioskguard/kiosk.pem",
        strict=False,  # a path is text in TOML and in the environment
    )
    key_file: Path | None = setting(
        None,
        "Private key of the client certificate.",
        "/etc/kioskguard/kiosk.key",
        strict=False,  # a path is text in TOML and in the environment
    )
    topic_prefix: str = setting(
        "kioskguard/v1",
        "First levels of every fleet topic.",
        "kioskguard/v1",
        pattern=r"^[A-Za-z0-9_-]+(/[A-Za-z0-9_-]+)*$",
    )
    keepalive_s: int = setting(
        30,
        "MQTT keep-alive: the broker declares the kiosk offline after 1.5 times this.",
        30,
        ge=5,
        le=600,
    )
    reconnect_s: float = setting(
        2.0,
        "Seconds between attempts to reach the broker while it is unreachable.",
        2.0,
        ge=0.1,
        le=300,
    )
    status_interval_s: float = setting(
        60.0,
        "Seconds between status refreshes (also after every logout and command).",
        60.0,
        ge=1,
        le=3600,
    )
    ack_timeout_s: float = setting(
        60.0,
        "Seconds a published event waits for the collector's acknowledgement before it is"
        " published again.",
        60.0,
        ge=1,
        le=3600,
    )
    ack_window: int = setting(
        200,
        "Events published and not yet acknowledged by the collector, at most.",
        200,
        ge=1,
        le=10000,
    )
    command_ttl_s: float = setting(
        3600.0,
        "Admin side: a command not carried out within this many seconds expires (an offline"
        " kiosk refuses it when it comes back).",
        3600.0,
        gt=0,
        le=7 * 86400,
    )
    events_db: Path | None = setting(
        None,
        "Admin side: SQLite file `fleet collect` fills and `fleet report` reads"
        " (default: STATE_DIR/fleet-events.sqlite3).",
        "/var/lib/kioskguard/fleet-events.sqlite3",
        strict=False,  # a path is text in TOML and in the environment
    )

    @field_validator("broker")
    @classmethod
    def _host_and_port(cls, value: str) -> str:
        host, separator, port = value.rpartition(":")
        if not separator or not host or not port.isdigit() or not 1 <= int(port) <= 65535:
            raise ValueError("must be HOST:PORT with a port between 1 and 65535")
        return value

    @field_validator("site")
    @classmethod
    def _not_reserved(cls, value: str) -> str:
        if value in ("cmd", "ack"):  # agent.fleet.topics.RESERVED_SITES: topics of their own
            raise ValueError("'cmd' and 'ack' are reserved topic levels, not site names")
        return value

    @model_validator(mode="after")
    def _certificate_with_key(self) -> FleetSettings:
        if (self.cert_file is None) != (self.key_file is None):
            raise ValueError("cert_file and key_file go together: set both or neither")
        return self

    @property
    def kiosk_name(self) -> str:
        """Return the kiosk's fleet name: host, else the computer's host name made topic-safe."""
        if self.host:
            return self.host
        name = re.sub(r"[^a-z0-9_.-]", "-", socket.gethostname().split(".")[0].lower())
        return name.strip("-._") or "kiosk"

    @property
    def broker_host(self) -> str:
        return self.broker.rpartition(":")[0].strip("[]")

    @property
    def broker_port(self) -> int:
        return int(self.broker.rpartition(":")[2])


class Settings(BaseSettings):
    """Everything kioskguard reads from its configuration file and environment.

    ``Settings(**tables)`` validates the file's tables (init arguments) with the
    ``KIOSKGUARD_...`` environment over them, as pydantic-settings does for
    ``Settings.model_validate(tables)`` too (tests/conftest.py clears the variables for tests).
    """

    model_config = SettingsConfigDict(
        env_prefix=ENV_PREFIX,
        env_nested_delimiter="__",
        extra="forbid",
        validate_default=True,
        allow_inf_nan=False,
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
    fleet: FleetSettings = Field(
        default_factory=FleetSettings,
        description="The fleet: status, audit events and remote logouts over MQTT (off).",
    )

    @model_validator(mode="after")
    def _unique_profile_names(self) -> Settings:
        names = [profile.name for profile in self.profiles]
        duplicates = sorted({name for name in names if names.count(name) > 1})
        if duplicates:
            raise ValueError(f"profile names must be unique: {', '.join(duplicates)} repeated")
        return self

    @property
    def managed_user_data_dir(self) -> Path:
        """Return the managed browser's profile: browser.user_data_dir (checked and resolved by
        its validator), else STATE_DIR/browser-profile, resolved (the commands and check-config
        check it: a state_dir that is wrong is reported as such first)."""
        default = Path(os.path.realpath(self.general.state_dir / "browser-profile"))
        return self.browser.user_data_dir or default

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        """Return the sources, first wins: the environment, then the file's tables (init)."""
        return (EnvironmentSource(settings_cls), init_settings)

    def effective_profiles(self) -> list[ProfileSettings]:
        """Return the guarded profiles with their client address filled in.

        Without configured profiles, the managed browser's profile is the only one.
        """
        profiles = self.profiles or [
            # Not validated here: a bad state_dir is reported by check-config and the commands.
            ProfileSettings.model_construct(
                name="managed", user_data_dir=self.managed_user_data_dir, url=None
            )
        ]
        return [
            profile.model_copy(update={"url": profile.url or self.general.client_url})
            for profile in profiles
        ]


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


BROWSER_ALIAS = "KIOSKGUARD_BROWSER"  # the browser to use: browser.executable
_WHOLE_NUMBER = re.compile(r"^[+-]?\d+$")
_NUMBER = re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$")
_ALLOWED_BY_TYPE = {
    "bool_type": "allowed: true or false, unquoted",
    "int_type": "allowed: a whole number, unquoted",
    "float_type": "allowed: a number, unquoted",
    "string_type": "allowed: a string in quotes",
}
# The environment load_settings() reads; None: the process environment (os.environ).
_ENVIRONMENT: ContextVar[Mapping[str, str] | None] = ContextVar("environment", default=None)


def _environment_value(raw: str, annotation: Any) -> Any:
    """Given an environment string and its field's type, return the value to validate.

    Environment values are always text, so a boolean is ``true`` or ``false`` (any case) and a
    number is written in digits (``120``, ``0.5``, ``1e3``); anything else (``yes``, ``nan``,
    ``inf``, ``soon``) stays a string, which the strict model then reports as an error.
    """
    kinds = set(get_args(annotation)) or {annotation}
    text = raw.strip()
    if bool in kinds:
        return {"true": True, "false": False}.get(text.lower(), raw)
    if int in kinds and _WHOLE_NUMBER.match(text):
        return int(text)
    if float in kinds and _NUMBER.match(text):
        return float(text)
    return raw


def _typed(value: Any, annotation: Any) -> Any:
    """Given a value the environment source built for a field, return it with every text leaf
    of a boolean or number field converted by _environment_value. JSON values keep their types.
    """
    if isinstance(value, str):
        return _environment_value(value, annotation)
    model = annotation if isinstance(annotation, type) else None
    if isinstance(value, dict) and model is not None and issubclass(model, BaseModel):
        fields = model.model_fields
        return {
            key: _typed(item, fields[key].annotation) if key in fields else item
            for key, item in value.items()
        }
    return value


class EnvironmentSource(EnvSettingsSource):
    """pydantic-settings' environment source with kioskguard's two additions.

    ``KIOSKGUARD_BROWSER=/path`` (the README's short form) is taken as
    ``KIOSKGUARD_BROWSER__EXECUTABLE`` unless that is set too, instead of as the JSON of the
    ``[browser]`` table; and text values of boolean and number fields are converted by the rule
    of _environment_value, so that the strict model rejects ``yes`` or ``nan`` instead of
    pydantic's lax parsing accepting them. A value that is not valid JSON where a table or list
    is expected is passed on as text, for validation to report with the variable's name.
    """

    def _load_env_vars(self) -> Mapping[str, str | None]:
        environment = _ENVIRONMENT.get()
        variables: dict[str, str | None] = {
            (name if self.case_sensitive else name.lower()): value
            for name, value in (os.environ if environment is None else environment).items()
        }
        alias = BROWSER_ALIAS if self.case_sensitive else BROWSER_ALIAS.lower()
        if alias in variables:
            variables.setdefault(f"{alias}{self.env_nested_delimiter}executable", variables[alias])
            del variables[alias]
        return variables

    def decode_complex_value(self, field_name: str, field: FieldInfo, value: Any) -> Any:
        try:
            return super().decode_complex_value(field_name, field, value)
        except ValueError:
            return value

    def prepare_field_value(
        self, field_name: str, field: FieldInfo, value: Any, value_is_complex: bool
    ) -> Any:
        prepared = super().prepare_field_value(field_name, field, value, value_is_complex)
        return _typed(prepared, field.annotation)


def environment_origins(environment: Mapping[str, str]) -> dict[tuple[str, ...], str]:
    """Given the environment, return which variable set which field path.

    ``KIOSKGUARD_<TABLE>__<KEY>`` sets (table, key), ``KIOSKGUARD_PROFILES`` sets (profiles,),
    ``KIOSKGUARD_BROWSER`` sets (browser, executable) unless ``KIOSKGUARD_BROWSER__EXECUTABLE``
    does. Other ``KIOSKGUARD_`` names without ``__`` belong to tools and tests: not settings.
    """
    origins: dict[tuple[str, ...], str] = {}
    for name in sorted(environment, key=lambda name: name.upper() != BROWSER_ALIAS):
        if not name.upper().startswith(ENV_PREFIX):
            continue
        if name.upper() == BROWSER_ALIAS:
            origins[("browser", "executable")] = name
            continue
        path = tuple(part.lower() for part in name[len(ENV_PREFIX) :].split("__"))
        if path[0] in Settings.model_fields:
            origins[path] = name
    return origins


# What a field's pattern allows, in words: the regular expression means nothing to an admin.
_PATTERN_TEXT = {
    _URL_PATTERN: "must be an http:// or https:// address such as https://web.whatsapp.com/",
    _FLEET_NAME: "must be lower-case letters, digits, '-', '_' or '.', starting with a letter"
    " or digit, at most 63 characters",
    r"^[a-z0-9][a-z0-9_-]*$": "must be lower-case letters, digits, '-' or '_', starting with a"
    " letter or digit (e.g. front-desk)",
    r"^[A-Za-z0-9_-]+(/[A-Za-z0-9_-]+)*$": "must be topic levels of letters, digits, '-' or '_'"
    " separated by '/' (e.g. kioskguard/v1)",
}


def _known_keys_hint(location: tuple[str, ...]) -> str:
    """Given the location of an unknown key, return "; did you mean X?; allowed in [table]: ..."
    naming the keys its table does allow (empty if the table cannot be resolved)."""
    model: Any = Settings
    names: list[str] = []
    in_list = False
    for part in location[:-1]:
        if part.isdigit():
            in_list = True
            continue
        field = model.model_fields.get(part)
        if field is None:
            return ""
        model = field.annotation
        if not (isinstance(model, type) and issubclass(model, BaseModel)):
            model = next((arg for arg in get_args(model) if isinstance(arg, type)), None)
        if not (isinstance(model, type) and issubclass(model, BaseModel)):
            return ""
        names.append(part)
        in_list = False
    keys = list(model.model_fields)
    close = difflib.get_close_matches(location[-1] if location else "", keys, n=1)
    guess = f"; did you mean {close[0]}?" if close else ""
    table = ".".join(names)
    where = (f"in [[{table}]]" if in_list else f"in [{table}]") if table else "tables"
    return f"{guess}; allowed {where}: {', '.join(keys)}"


def describe_errors(
    source: str, error: ValidationError, origins: Mapping[tuple[str, ...], str] | None = None
) -> list[str]:
    """Given where the values came from and a ValidationError, return one line per problem.

    Each line reads ``SOURCE: field.path: value: what is allowed``; a value set by an
    environment variable names it as the source (``environment KIOSKGUARD_IDLE__TIMEOUT_S``).
    """
    lines = []
    for problem in error.errors():
        location = tuple(str(part) for part in problem["loc"])
        where = source
        for length in range(len(location), 0, -1):
            if location[:length] in (origins or {}):
                where = f"environment {(origins or {})[location[:length]]}"
                break
        else:  # an unknown key with keys below it: KIOSKGUARD_IDLE__X__Y makes idle.x a table
            below = [
                name for path, name in (origins or {}).items() if path[: len(location)] == location
            ]
            if location and below:
                where = f"environment {below[0]}"
        path = "".join(
            f"[{part}]" if isinstance(part, int) else f".{part}" for part in problem["loc"]
        ).lstrip(".")
        if problem["type"] == "extra_forbidden":
            allowed = "unknown key (not part of the configuration)" + _known_keys_hint(location)
        elif (
            problem["type"] == "string_pattern_mismatch"
            and problem.get("ctx", {}).get("pattern") in _PATTERN_TEXT
        ):
            allowed = _PATTERN_TEXT[problem["ctx"]["pattern"]]
        elif problem["type"] == "missing":
            allowed = "required, missing"
        else:
            allowed = problem["msg"].removeprefix("Value error, ")
            if problem["type"] in _ALLOWED_BY_TYPE:
                allowed += f"; {_ALLOWED_BY_TYPE[problem['type']]}"
        value = "-" if problem["type"] == "missing" else repr(problem["input"])
        lines.append(f"{where}: {path or '(top level)'}: {value}: {allowed}")
    return lines


def load_settings(
    path: Path | None = None,
    *,
    use_environment: bool = True,
    environment: Mapping[str, str] | None = None,
) -> Settings:
    """Given a TOML file (or none), return the settings with environment overrides applied.

    environment replaces the process environment (tests); use_environment=False ignores it
    (check-config). Booleans and numbers are strict: ``"yes"``, ``"30"`` or ``true`` for a
    number are errors (the environment's rule: see the module docstring).
    Raise ConfigError if the file cannot be read, InvalidSettings listing every problem (file
    and environment together).
    """
    data = read_toml(path) if path is not None else {}
    if not use_environment:
        environment = {}
    token = _ENVIRONMENT.set(environment)
    try:
        return Settings(**data)
    except SettingsError as exc:  # not expected: EnvironmentSource passes bad JSON on as text
        raise ConfigError(f"environment: {exc}") from exc
    except ValidationError as exc:
        source = str(path) if path is not None else "environment"
        origins = environment_origins(os.environ if environment is None else environment)
        raise InvalidSettings(describe_errors(source, exc, origins)) from exc
    finally:
        _ENVIRONMENT.reset(token)
