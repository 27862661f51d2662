"""The one module that imports aiomqtt: a client built from the [fleet] settings.

TLS with the configured CA (or the system's), an optional client certificate, the password
read from its file, MQTT 3.1.1. Foreign errors become FleetError / ConfigError here.
"""

from __future__ import annotations

import ssl
from dataclasses import dataclass

import aiomqtt

from agent.errors import ConfigError, KioskguardError
from agent.settings import FleetSettings


class FleetError(KioskguardError):
    """The broker cannot be reached, refused us, or the connection broke."""

    default_message = "the fleet broker cannot be reached"


MqttError = aiomqtt.MqttError


@dataclass(frozen=True)
class Will:
    """The message the broker publishes for us if we vanish without saying goodbye."""

    topic: str
    payload: bytes


@dataclass(frozen=True)
class Incoming:
    """A received message: its topic, payload and whether it was retained."""

    topic: str
    payload: bytes
    retain: bool


def read_password(settings: FleetSettings) -> str | None:
    """Return the broker password from fleet.password_file (None without one).

    Raise ConfigError naming the file if it cannot be read or is empty.
    """
    if settings.password_file is None:
        return None
    try:
        password = settings.password_file.read_text(encoding="utf-8").strip()
    except FileNotFoundError:
        raise ConfigError(f"fleet.password_file {settings.password_file}: no such file") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"fleet.password_file {settings.password_file}: {exc}") from exc
    if not password:
        raise ConfigError(f"fleet.password_file {settings.password_file}: is empty")
    return password


def tls_context(settings: FleetSettings) -> ssl.SSLContext | None:
    """Return the TLS context of fleet.tls (None when off). Raise ConfigError on bad files."""
    if not settings.tls:
        return None
    try:
        context = ssl.create_default_context(
            cafile=str(settings.ca_file) if settings.ca_file else None
        )
        if settings.cert_file is not None and settings.key_file is not None:
            context.load_cert_chain(str(settings.cert_file), str(settings.key_file))
    except FileNotFoundError as exc:
        raise ConfigError(f"fleet TLS file {exc.filename}: no such file") from None
    except (OSError, ssl.SSLError) as exc:
        raise ConfigError(f"fleet TLS files (ca_file, cert_file, key_file): {exc}") from exc
    return context


def make_client(
    settings: FleetSettings,
    client_id: str,
    *,
    username: str | None,
    persistent: bool,
    will: Will | None = None,
    timeout_s: float = 10.0,
) -> aiomqtt.Client:
    """Return an unconnected client (``async with`` connects it).

    persistent: keep the session (and queued QoS 1 messages) on the broker across
    disconnections. Raise ConfigError if the password or TLS files are unusable.
    """
    return aiomqtt.Client(
        settings.broker_host,
        settings.broker_port,
        username=username,
        password=read_password(settings),
        identifier=client_id,
        protocol=aiomqtt.ProtocolVersion.V311,
        clean_session=not persistent,
        keepalive=settings.keepalive_s,
        timeout=timeout_s,
        tls_context=tls_context(settings),
        will=aiomqtt.Will(will.topic, will.payload, qos=1, retain=True) if will else None,
        max_queued_outgoing_messages=None,
    )


class Messages:
    """The client's received messages as Incoming; waiting on one may be cancelled safely
    (wait_for(anext(...)) with a timeout), unlike an async generator's."""

    def __init__(self, client: aiomqtt.Client) -> None:
        self._inner = client.messages

    def __aiter__(self) -> Messages:
        return self

    async def __anext__(self) -> Incoming:
        message = await anext(self._inner)
        payload = message.payload
        data = payload if isinstance(payload, bytes) else str(payload or "").encode()
        return Incoming(str(message.topic), data, bool(message.retain))


def messages(client: aiomqtt.Client) -> Messages:
    """Return the iterator of every message the client receives."""
    return Messages(client)


def describe(exc: BaseException) -> str:
    """Return a one-line reason for a broker error (no credentials in it)."""
    text = str(exc) or exc.__class__.__name__
    return text.splitlines()[0][:200]
