"""The [fleet] table: the kiosk's link to the fleet broker and the admin side's settings."""

from __future__ import annotations

import re
import socket
from pathlib import Path

from pydantic import field_validator, model_validator

from agent.settings.fields import Section, setting

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
