"""The one module that imports aiomqtt: a client built from the [fleet] settings.

TLS with the configured CA (or the system's), an optional client certificate, the password
read from its file, MQTT 5. Version 5 because only its PUBACK carries a reason code: Debian's
Mosquitto 2.0.11, measured, acknowledges an ACL-denied QoS 1 publish with reason code 0 under
3.1.1 (the message is dropped) and with 135 "Not authorized" under 5 (16 "No matching
subscribers" for an allowed one nobody reads). aiomqtt's publish() ignores that code, so
AiomqttClient.publish reads it from paho's callback. aiomqtt's errors become BrokerError here
(no MqttError leaves this module); bad password or TLS files ConfigError.
"""

from __future__ import annotations

import asyncio
import contextlib
import ssl
from collections.abc import Iterator
from types import TracebackType
from typing import Any

import aiomqtt
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties

from agent.errors import ConfigError, KioskguardError
from agent.fleet.ports import Incoming as Incoming  # re-exported: where callers found them
from agent.fleet.ports import Will as Will
from agent.settings import FleetSettings


class FleetError(KioskguardError):
    """The broker cannot be reached, refused us, or the connection broke."""

    default_message = "the fleet broker cannot be reached"


class BrokerError(FleetError):
    """The connection to the broker could not be made, broke, or a PUBACK never came."""

    default_message = "the connection to the fleet broker failed"


class Refused(FleetError):
    """The broker answered a publish with a failure reason code (MQTT 5): the message is gone.

    code: the reason code (135 Not authorized, 151 Quota exceeded ...); reason: its name.
    """

    default_message = "the broker refused the message"

    def __init__(self, topic: str, code: int, reason: str) -> None:
        super().__init__(f"the broker refused a message on {topic}: {reason} (reason code {code})")
        self.topic = topic
        self.code = code
        self.reason = reason


SESSION_NEVER_EXPIRES = 0xFFFFFFFF


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
    for field in ("ca_file", "cert_file", "key_file"):
        path = getattr(settings, field)
        if path is not None and not path.exists():
            raise ConfigError(f"fleet.{field} {path}: no such file")
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


def startup_problems(settings: FleetSettings) -> list[str]:
    """Given [fleet] settings, return what makes the kiosk's link refuse to start (each as
    ConfigError says it): the password file and the TLS files. `kioskguard run` raises the
    first (FleetLink), `check-config` and `install` list them all."""
    problems = []
    for check in (read_password, tls_context):
        try:
            check(settings)
        except ConfigError as exc:
            problems.append(str(exc))
    return problems


def make_client(
    settings: FleetSettings,
    client_id: str,
    *,
    username: str | None,
    persistent: bool,
    will: Will | None = None,
    timeout_s: float = 10.0,
) -> AiomqttClient:
    """Return an unconnected client (``async with`` connects it).

    persistent: keep the session (and queued QoS 1 messages) on the broker across
    disconnections (MQTT 5: clean start off, a session that never expires). Raise ConfigError
    if the password or TLS files are unusable.
    """
    properties = Properties(PacketTypes.CONNECT)  # type: ignore[no-untyped-call]
    properties.SessionExpiryInterval = SESSION_NEVER_EXPIRES if persistent else 0
    client = aiomqtt.Client(
        settings.broker_host,
        settings.broker_port,
        username=username,
        password=read_password(settings),
        identifier=client_id,
        protocol=aiomqtt.ProtocolVersion.V5,
        clean_start=not persistent,
        properties=properties,
        keepalive=settings.keepalive_s,
        timeout=timeout_s,
        tls_context=tls_context(settings),
        will=aiomqtt.Will(will.topic, will.payload, qos=1, retain=True) if will else None,
        max_queued_outgoing_messages=None,
    )
    return AiomqttClient(client)


@contextlib.contextmanager
def _converted() -> Iterator[None]:
    """Turn aiomqtt's errors raised inside into BrokerError (same text)."""
    try:
        yield
    except aiomqtt.MqttError as exc:
        raise BrokerError(str(exc) or exc.__class__.__name__) from exc


class AiomqttClient:
    """The MqttClient on aiomqtt: QoS 1, each PUBACK's reason code read, errors converted."""

    def __init__(self, client: aiomqtt.Client) -> None:
        self._client = client
        self._acks: dict[int, asyncio.Future[tuple[int, str]]] = {}  # message id -> PUBACK
        paho = client._client  # aiomqtt keeps paho's client here; its own callback stays first
        inner = paho.on_publish

        def on_publish(*arguments: Any) -> None:
            if inner is not None:
                inner(*arguments)
            _client, _userdata, mid, reason_code, _properties = arguments
            future = self._acks.pop(mid, None)
            if future is not None and not future.done():
                future.set_result((int(reason_code.value), str(reason_code.getName())))

        paho.on_publish = on_publish

    async def __aenter__(self) -> AiomqttClient:
        """Connect. Raise BrokerError if the broker cannot be reached or refuses us."""
        with _converted():
            await self._client.__aenter__()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        """Disconnect."""
        with _converted():
            await self._client.__aexit__(exc_type, exc, traceback)

    async def subscribe(self, topic: str) -> None:
        """Subscribe at QoS 1. Raise BrokerError if the connection broke."""
        with _converted():
            await self._client.subscribe(topic, qos=1)

    async def unsubscribe(self, topic: str) -> None:
        """Drop a subscription. Raise BrokerError if the connection broke."""
        with _converted():
            await self._client.unsubscribe(topic)

    async def publish(
        self, topic: str, payload: bytes, *, retain: bool = False, timeout_s: float = 30.0
    ) -> int:
        """Publish at QoS 1 and wait for the broker's PUBACK; return its reason code (0 or 16).

        Raise Refused if the reason code is a failure (135 Not authorized: the ACL dropped it),
        BrokerError if the connection broke or no PUBACK came within timeout_s.
        """
        info = self._client._client.publish(topic, payload, 1, retain)
        if info.rc != 0:
            raise BrokerError(str(aiomqtt.MqttCodeError(info.rc, "Could not publish message")))
        future: asyncio.Future[tuple[int, str]] = asyncio.get_running_loop().create_future()
        self._acks[info.mid] = future  # the PUBACK is read by the event loop, so never before
        try:
            async with asyncio.timeout(timeout_s):  # not wait_for: it can lose a cancellation
                code, reason = await future
        except TimeoutError:
            raise BrokerError(f"no PUBACK within {timeout_s:g} s") from None
        finally:
            self._acks.pop(info.mid, None)
        if code >= 0x80:
            raise Refused(topic, code, reason)
        return code

    def messages(self) -> Messages:
        """Return the iterator of every message the client receives."""
        return Messages(self._client)


class Messages:
    """The client's received messages as Incoming; waiting on one may be cancelled safely
    (wait_for(anext(...)) with a timeout), unlike an async generator's. Raise BrokerError
    when the connection breaks."""

    def __init__(self, client: aiomqtt.Client) -> None:
        self._inner = client.messages

    def __aiter__(self) -> Messages:
        return self

    async def __anext__(self) -> Incoming:
        with _converted():
            message = await anext(self._inner)
        payload = message.payload
        data = payload if isinstance(payload, bytes) else str(payload or "").encode()
        return Incoming(str(message.topic), data, bool(message.retain))


def describe(exc: BaseException) -> str:
    """Return a one-line reason for a broker error (no credentials in it)."""
    text = str(exc) or exc.__class__.__name__
    return text.splitlines()[0][:200]
