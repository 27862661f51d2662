"""The daemon's side of the fleet: status, audit events and commands, beside the daemon.

The link never sits in a logout's path: the outcome hook only appends to the on-disk outbox
(agent/fleet/outbox.py), and the network work runs in its own task that reconnects forever.
A command is carried out through the daemon like any other trigger (Trigger.FLEET), in its
own task, so a slow logout never holds up a ping. Commands that are malformed, expired or not
addressed to this kiosk are refused with an event and a reply; nobody is logged out.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import json
from collections.abc import Awaitable, Callable, Iterable, Mapping, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, get_args

from loguru import logger

from agent import __version__
from agent.audit import audit_line
from agent.clock import Clock, SystemClock
from agent.errors import ConfigError, KioskguardError
from agent.fleet.connection import (
    BrokerError,
    Refused,
    describe,
    make_client,
    startup_problems,
)
from agent.fleet.outbox import Outbox
from agent.fleet.ports import (
    ClientFactory,
    FleetDaemon,
    FleetMetricsSink,
    Incoming,
    MqttClient,
    Will,
)
from agent.fleet.topics import (
    BadCommand,
    Command,
    CommandKind,
    KioskTopics,
    encode,
    iso,
    new_id,
    parse_command,
)
from agent.outcome import Linked, Outcome, Result, Trigger
from agent.privacy import scrub
from agent.settings import FleetSettings, Settings


def summarize(outcomes: Sequence[Outcome]) -> str:
    """Given a command's logout outcomes, return verified, local_only, failed or nothing_to_do."""
    results = {outcome.result for outcome in outcomes}
    if Result.FAILED in results:
        return "failed"
    if Result.LOCAL_ONLY in results:
        return "local_only"
    if Result.LOGGED_OUT in results:
        return "verified"
    return "nothing_to_do"


def outcome_summary(outcome: Outcome, at: str) -> dict[str, Any]:
    """Return the part of an outcome the fleet shows (no account, no free text beyond scrub)."""
    return {
        "profile": outcome.profile,
        "trigger": outcome.trigger.value,
        "result": outcome.result.value,
        "verified": outcome.verified,
        "local_only": outcome.result is Result.LOCAL_ONLY,
        "path": outcome.path.value,
        "duration_ms": outcome.duration_ms,
        "error": scrub(outcome.error) if outcome.error else None,
        "at": at,
    }


def logout_event(outcome: Outcome, at: str, command_id: str | None = None) -> dict[str, Any]:
    """Given an outcome, return the fields of its `logout` event (the audit line; the fleet
    command that asked for it, if any)."""
    line = json.loads(audit_line(outcome, datetime.fromisoformat(at)))
    return {"outcome": line, **({"command_id": command_id} if command_id else {})}


def queue_event(outbox: Outbox, topics: KioskTopics, clock: Clock, kind: str, **fields: Any) -> str:
    """Store one audit event of this kind, dated by clock, in the outbox; return its id."""
    event_id = new_id(topics.host)
    message = {
        "id": event_id,
        "kind": kind,
        "site": topics.site,
        "host": topics.host,
        "at": iso(clock.now()),
        **fields,
    }
    outbox.put(event_id, topics.events, message)
    return event_id


def outbox_path(settings: Settings) -> Path:
    """Return the kiosk's outbox file (the daemon's and the logout command's)."""
    return settings.general.state_dir / "fleet-outbox.sqlite3"


def queue_outcome(settings: Settings, outcome: Outcome, clock: Clock | None = None) -> str:
    """Given a logout run outside the daemon (`kioskguard logout`), queue its event in the
    kiosk's outbox, where the daemon's link publishes it like its own (the broker need not be
    up); return the event id. Raise ConfigError if the outbox cannot be opened."""
    fleet = settings.fleet
    topics = KioskTopics(fleet.topic_prefix, fleet.site, fleet.kiosk_name)
    clock = clock or SystemClock(UTC)
    outbox = Outbox(outbox_path(settings), clock)
    try:
        at = iso(clock.now())
        return queue_event(outbox, topics, clock, "logout", **logout_event(outcome, at))
    finally:
        outbox.close()


def queue_guard_gap(settings: Settings, gap: dict[str, Any], clock: Clock | None = None) -> str:
    """Given the gap the guard was not running (agent/daemon/guard_gap.py, told at start),
    queue its guard_gap event in the kiosk's outbox; return the event id. Raise ConfigError
    if the outbox cannot be opened."""
    fleet = settings.fleet
    topics = KioskTopics(fleet.topic_prefix, fleet.site, fleet.kiosk_name)
    clock = clock or SystemClock(UTC)
    outbox = Outbox(outbox_path(settings), clock)
    try:
        return queue_event(outbox, topics, clock, "guard_gap", gap=gap)
    finally:
        outbox.close()


def presence(topics: KioskTopics, online: bool, reason: str | None = None) -> bytes:
    """Return a presence payload: online, or offline with why (stopped, shutdown: the kiosk
    said so as it stopped; lost: the broker's last will) and since when (absent in the will,
    which the broker sends later: the collector notes when it heard it)."""
    message: dict[str, Any] = {"online": online, "site": topics.site, "host": topics.host}
    if reason is not None:
        message["reason"] = reason
    if reason != "lost":
        message["at"] = datetime.now(UTC).isoformat(timespec="milliseconds")
    return encode(message)


def refusal_hint(exc: Refused, fleet: FleetSettings, topics: KioskTopics) -> str:
    """Return the log line for a refused publish, naming the likely cause."""
    text = f"the broker refused {exc.topic}: {exc.reason} (reason code {exc.code})"
    user = fleet.username or topics.host
    if exc.code == NOT_AUTHORIZED and user != topics.host:
        text += (
            f"; the broker's ACL lets user {user!r} write only under its own"
            f" <site>/<user name>/ topics, and fleet.host is {topics.host!r}: make fleet.host"
            " equal to the broker user name"
        )
    elif exc.code == NOT_AUTHORIZED:
        text += f"; check the ACL gives user {user!r} site {topics.site!r} (`fleet acl`)"
    return text


NOT_AUTHORIZED = 135
OUTBOX_POLL_S = 2.0  # rows a manual `kioskguard logout` queued are seen within this


class FleetLink:
    """One kiosk's connection to the fleet broker."""

    def __init__(
        self,
        settings: Settings,
        metrics: FleetMetricsSink | None = None,
        clock: Clock | None = None,
        connect: ClientFactory = make_client,
    ) -> None:
        """Prepare the link (clock: the real one when None; connect: makes its MQTT client).
        Raise ConfigError if the password, TLS files or outbox are unusable."""
        self.clock = clock or SystemClock(UTC)
        self._connect = connect
        self.fleet = settings.fleet
        self.topics = KioskTopics(self.fleet.topic_prefix, self.fleet.site, self.fleet.kiosk_name)
        problems = startup_problems(self.fleet)  # configuration errors at start-up, exit 2
        if problems:  # the same list check-config prints
            raise ConfigError(problems[0])
        self.outbox = Outbox(outbox_path(settings), self.clock)
        self.metrics = metrics
        self.daemon: FleetDaemon | None = None
        self.linked: dict[str, str] = {}
        self.last_outcome: dict[str, Any] | None = None
        self.stop_reason: str | None = None  # stopped | shutdown: set as the daemon stops
        self.refusal = self.outbox.refusal()
        self._wake = asyncio.Event()
        self._status_due = asyncio.Event()
        self._tasks: set[asyncio.Task[None]] = set()
        self._awaiting: dict[str, float] = {}  # published, not yet stored: id -> monotonic time
        self._running: dict[str, asyncio.Future[dict[str, Any]]] = {}  # commands under way
        self._fleet_commands: list[str] = []  # ids of the logout commands being carried out
        self._report_outbox()

    # -- hooks the daemon calls (synchronous, local, never blocking) -----------------------

    def record_outcome(self, outcome: Outcome) -> None:
        """Queue an audit event for the outcome and refresh the status (outcome hook)."""
        at = iso(self.clock.now())
        summary = outcome_summary(outcome, at)
        command_id = self._fleet_commands[-1] if outcome.trigger is Trigger.FLEET else None
        if outcome.trigger is Trigger.FLEET and not self._fleet_commands:
            logger.warning("fleet: a fleet logout outside any command; reported without one")
        self.emit("logout", **logout_event(outcome, at, command_id))
        self.last_outcome = summary
        if outcome.result in (Result.LOGGED_OUT, Result.NOTHING_TO_DO, Result.LOCAL_ONLY):
            self.linked[outcome.profile] = Linked.NOT_LINKED.value
        self._status_due.set()

    def emit(self, kind: str, **fields: Any) -> str:
        """Queue one audit event of this kind; return its id."""
        event_id = queue_event(self.outbox, self.topics, self.clock, kind, **fields)
        self._wake.set()
        self._report_outbox()
        return event_id

    def _report_outbox(self) -> None:
        if self.metrics is not None:
            self.metrics.set_outbox(self.outbox.count(), self.outbox.oldest_age_s())

    # -- the connection ----------------------------------------------------------------------

    async def run(self, daemon: FleetDaemon) -> None:
        """Keep connected to the broker until cancelled: status, events, commands."""
        self.daemon = daemon
        await self.refresh_linked()
        watcher = asyncio.create_task(self._watch_outbox())
        warned = ""
        try:
            while True:
                try:
                    await self._session()
                except asyncio.CancelledError:
                    raise
                except (BrokerError, OSError, TimeoutError) as exc:
                    reason = describe(exc)
                    if reason != warned:
                        logger.warning(
                            "fleet: broker {} unreachable ({}); {} event(s) wait on disk",
                            self.fleet.broker,
                            reason,
                            self.outbox.count(),
                        )
                    warned = reason
                except Exception as exc:  # the link must never take the daemon down
                    logger.opt(exception=exc).error("fleet: link failed; reconnecting")
                self._set_connected(False)
                await self.clock.sleep(self.fleet.reconnect_s)
        finally:
            watcher.cancel()
            await asyncio.gather(watcher, return_exceptions=True)

    async def _watch_outbox(self) -> None:
        """Keep the outbox gauges current, connected or not, and notice rows another process
        (a manual `kioskguard logout`) queued."""
        while True:
            await self.clock.sleep(OUTBOX_POLL_S)
            self._report_outbox()
            if self.outbox.count() > len(self._awaiting):
                self._wake.set()

    def _set_connected(self, connected: bool) -> None:
        if self.metrics is not None:
            self.metrics.set_connected(connected)

    async def _session(self) -> None:
        will = presence(self.topics, False, "lost")
        client = self._connect(
            self.fleet,
            f"kioskguard-{self.topics.host}",
            username=self.fleet.username or self.topics.host,
            persistent=True,  # the broker keeps commands sent while we are away
            will=Will(self.topics.presence, will),
        )
        async with client:
            self._set_connected(True)
            logger.info("fleet: connected to {} as {}", self.fleet.broker, self.topics.host)
            online = presence(self.topics, True)
            await self._publish_checked(client, self.topics.presence, online, retain=True)
            await self._publish_status(client)
            for topic in (*self.topics.commands, self.topics.ack):
                await client.subscribe(topic)
            workers = [
                asyncio.create_task(self._drain(client)),
                asyncio.create_task(self._status_loop(client)),
            ]
            try:
                async for message in client.messages():
                    if message.topic == self.topics.ack:
                        self._on_ack(message.payload)
                    else:
                        self._spawn(self._on_command(message))
            finally:
                for worker in workers:
                    worker.cancel()
                await asyncio.gather(*workers, return_exceptions=True)
                await self._publish_offline(client)

    async def _publish_offline(self, client: MqttClient) -> None:
        """As the session ends: when the daemon stops, the retained presence says why
        (stopped or shutdown) and since when, instead of the will's "lost"; otherwise (a
        reload, a reconnect) a passing offline note, as before."""
        reason = self.stop_reason
        payload = presence(self.topics, False, reason)
        with contextlib.suppress(Exception):
            async with asyncio.timeout(2.0):
                await client.publish(self.topics.presence, payload, retain=reason is not None)

    def _spawn(self, coroutine: Any) -> None:
        task = asyncio.create_task(coroutine)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _drain(self, client: MqttClient) -> None:
        """Publish the outbox, oldest first, keeping at most fleet.ack_window events between
        the publish and the collector's acknowledgement; publish again those the collector
        has not acknowledged within fleet.ack_timeout_s (a broker may drop them: a full queue).

        Rows go out as soon as they are queued, without waiting for earlier rows' PUBACKs (the
        broker keeps one client's order), so a command's reply never queues behind the logout
        event published a moment before it. A new session publishes every row again.
        """
        in_flight: dict[str, asyncio.Task[None]] = {}
        self._awaiting.clear()
        window, timeout = self.fleet.ack_window, self.fleet.ack_timeout_s
        cursor = 0  # the last outbox row published in this session

        def start(event_id: str, topic: str, payload: bytes) -> None:
            task = asyncio.create_task(self._send(client, event_id, topic, payload))
            in_flight[event_id] = task
            task.add_done_callback(functools.partial(self._settled, in_flight, event_id))

        try:
            while True:
                self._wake.clear()
                now = self.clock.monotonic()
                expired = []  # _awaiting is in publishing order: the expired come first
                for event_id, sent in self._awaiting.items():
                    if now - sent < timeout:
                        break
                    expired.append(event_id)
                room = window - len(in_flight) - (len(self._awaiting) - len(expired))
                if room > 0 and expired:
                    again = expired[:room]
                    for event_id in again:
                        del self._awaiting[event_id]  # acknowledged meanwhile: just forgotten
                    for event_id, topic, payload in self.outbox.rows(again):
                        start(event_id, topic, payload)
                        room -= 1
                if room > 0:
                    for seq, event_id, topic, payload in self.outbox.after(cursor, room):
                        cursor = seq
                        if event_id not in in_flight and event_id not in self._awaiting:
                            start(event_id, topic, payload)
                oldest = next(iter(self._awaiting.values()), None)
                pause = OUTBOX_POLL_S if oldest is None else oldest + timeout - now
                # asyncio.timeout, not wait_for: Python 3.11's wait_for loses a cancellation
                # that comes as the event is set, and this loop would then never end.
                with contextlib.suppress(TimeoutError):
                    async with asyncio.timeout(min(max(pause, 0.05), OUTBOX_POLL_S)):
                        await self._wake.wait()
        finally:
            for task in in_flight.values():
                task.cancel()

    def _settled(
        self, in_flight: dict[str, asyncio.Task[None]], event_id: str, task: asyncio.Task[None]
    ) -> None:
        in_flight.pop(event_id, None)
        if task.cancelled():
            return
        if task.exception() is not None:  # the session ends and reconnects; the row stays
            logger.debug("fleet: event {} not acknowledged: {}", event_id, task.exception())
            return
        self._wake.set()  # room in the window

    async def _send(self, client: MqttClient, event_id: str, topic: str, payload: bytes) -> None:
        # Taken or refused, the row stays until the collector acknowledges it; either way it
        # is published again after fleet.ack_timeout_s.
        await self._publish_checked(client, topic, payload)
        self._awaiting.pop(event_id, None)  # to the end: _awaiting stays in publishing order
        self._awaiting[event_id] = self.clock.monotonic()

    async def _publish_checked(
        self, client: MqttClient, topic: str, payload: bytes, retain: bool = False
    ) -> bool:
        """Publish; return False if the broker refused it (logged once per cause, counted,
        remembered in the outbox for `fleet status`)."""
        try:
            await client.publish(topic, payload, retain=retain)
        except Refused as exc:
            if self.metrics is not None:
                self.metrics.count_refused()
            text = refusal_hint(exc, self.fleet, self.topics)
            if text != self.refusal:
                logger.error("fleet: {}; the events stay in the outbox", text)
                self.refusal = text
                self.outbox.note_refusal(text)
                self._status_due.set()
            return False
        if self.refusal is not None and not retain:
            logger.info("fleet: the broker takes this kiosk's events again")
            self.refusal = None
            self.outbox.note_refusal(None)
        return True

    def _on_ack(self, payload: bytes) -> None:
        """Forget the events the collector says it stored."""
        try:
            data = json.loads(payload)
        except ValueError:
            logger.warning("fleet: ignored an acknowledgement that is not JSON")
            return
        ids = data.get("ids") if isinstance(data, dict) else None
        if not isinstance(ids, list):
            logger.warning("fleet: ignored an acknowledgement without ids")
            return
        stored = [event_id for event_id in ids if isinstance(event_id, str)]
        self.outbox.acknowledged(stored)
        for event_id in stored:
            self._awaiting.pop(event_id, None)
        self._report_outbox()
        self._wake.set()
        if not self._awaiting and self.outbox.count() == 0:
            self._status_due.set()  # the status shows the outbox emptied

    async def _status_loop(self, client: MqttClient) -> None:
        while True:
            with contextlib.suppress(TimeoutError):  # asyncio.timeout: see _drain
                async with asyncio.timeout(self.fleet.status_interval_s):
                    await self._status_due.wait()
            self._status_due.clear()
            await self.refresh_linked()
            await self._publish_status(client)

    async def refresh_linked(self) -> None:
        """Read whether each profile holds a session (skipping profiles being logged out).

        While a profile's browser runs with a proven endpoint, the client tab's own keys
        (SessionService.linked_now: plain CDP, no tab opened, bounded): the disk lags a link or
        a logout by seconds. Otherwise, or if the page cannot be read, the offline probe. Through
        Daemon.linked_now: a session read live is remembered, in case it never reaches the disk.
        """
        if self.daemon is None:
            return
        for profile in self.daemon.profiles:
            if self.daemon.coordinator.busy(profile.name):
                continue  # its outcome tells soon; do not read a page being logged out
            try:
                async with asyncio.timeout(10.0):
                    state = await self.daemon.linked_now(profile)
            except (KioskguardError, TimeoutError):
                state = Linked.UNKNOWN
            self.linked[profile.name] = state.value

    def status(self) -> dict[str, Any]:
        """Return the retained status message of this kiosk."""
        names = [profile.name for profile in self.daemon.profiles] if self.daemon else []
        return {
            "site": self.topics.site,
            "host": self.topics.host,
            "version": __version__,
            "profiles": [
                {"name": name, "linked": self.linked.get(name, Linked.UNKNOWN.value)}
                for name in names
            ],
            "last_outcome": self.last_outcome,
            "pending_events": self.outbox.count(),
            "oldest_pending_s": round(self.outbox.oldest_age_s(), 1),
            "refused": self.refusal,
            "at": iso(self.clock.now()),
        }

    async def _publish_status(self, client: MqttClient) -> None:
        await self._publish_checked(client, self.topics.status, encode(self.status()), True)

    # -- commands ----------------------------------------------------------------------------

    async def _on_command(self, message: Incoming) -> None:
        try:
            reply = await self._carry_out(message)
        except Exception as exc:  # a bad command must never take the daemon down
            logger.opt(exception=exc).error("fleet: command handling failed")
            reply = None
        if reply is not None:
            self.outbox.put(reply["reply_id"], self.topics.replies, reply)
            self._wake.set()

    def _reply(
        self, command_id: str | None, kind: str, result: str, **fields: Any
    ) -> dict[str, Any]:
        return {
            "reply_id": new_id(self.topics.host),
            "command_id": command_id,
            "kind": kind,
            "result": result,
            "site": self.topics.site,
            "host": self.topics.host,
            "at": iso(self.clock.now()),
            "repeated": False,
            **fields,
        }

    def _refuse(self, reason: str, command_id: str | None, kind: str = "?") -> dict[str, Any]:
        logger.warning("fleet: command {} refused: {}", command_id or "(no id)", reason)
        self.emit("command_refused", command_id=command_id, reason=reason)
        return self._reply(command_id, kind, "refused", reason=reason)

    async def _carry_out(self, message: Incoming) -> dict[str, Any] | None:
        if message.topic not in self.topics.commands:
            return self._refuse(f"wrongly addressed: topic {message.topic}", None)
        try:
            command = parse_command(message.payload)
        except BadCommand as exc:
            return self._refuse(exc.reason, exc.command_id)
        if not command.addressed_to(self.topics.site, self.topics.host):
            reason = f"wrongly addressed: target {command.target} on {message.topic}"
            return self._refuse(reason, command.id, command.kind)
        if command.expired(self.clock.now()):
            reason = f"expired at {command.expires_at.isoformat(timespec='seconds')}"
            return self._refuse(reason, command.id, command.kind)
        done = self.outbox.done_reply(command.id)
        if done is not None:
            logger.info("fleet: command {} already carried out; replying again", command.id)
            return done | {"reply_id": new_id(self.topics.host), "repeated": True}
        running = self._running.get(command.id)
        if running is not None:  # QoS 1 delivered it again while the first copy runs
            logger.info("fleet: command {} is under way; its reply is repeated", command.id)
            first = await asyncio.shield(running)
            return first | {"reply_id": new_id(self.topics.host), "repeated": True}
        future: asyncio.Future[dict[str, Any]] = asyncio.get_running_loop().create_future()
        self._running[command.id] = future
        try:
            reply = await self._execute(command)
        except BaseException as exc:
            future.set_exception(exc)
            future.exception()  # retrieved: a copy waiting on it gets it, nobody else must
            raise
        finally:
            self._running.pop(command.id, None)
        future.set_result(reply)
        if reply["result"] != "refused":
            self.outbox.remember(command.id, reply)
            self.emit(
                "command", command_id=command.id, command=command.kind, result=reply["result"]
            )
        return reply

    async def _execute(self, command: Command) -> dict[str, Any]:
        """Given a valid command for this kiosk, carry it out through its kind's handler and
        return the reply; a kind without one is refused (never a default action)."""
        assert self.daemon is not None
        logger.info("fleet: command {} ({}) from {}", command.id, command.kind, command.target)
        handler = HANDLERS.get(command.kind)
        if handler is None:
            return self._refuse(f"unknown kind {command.kind!r}", command.id, command.kind)
        return await handler(self, command)

    async def _ping(self, command: Command) -> dict[str, Any]:
        return self._reply(command.id, "ping", "pong", version=__version__)

    async def _logout(self, command: Command) -> dict[str, Any]:
        assert self.daemon is not None
        profiles = self.daemon.profiles
        if command.profile is not None:
            profiles = [profile for profile in profiles if profile.name == command.profile]
            if not profiles:
                reason = f"unknown profile {command.profile!r}"
                return self._refuse(reason, command.id, command.kind)
        self._fleet_commands.append(command.id)
        try:
            outcomes = await self.daemon.logout_linked(Trigger.FLEET, profiles)
        finally:
            self._fleet_commands.remove(command.id)
        at = iso(self.clock.now())
        self._status_due.set()
        return self._reply(
            command.id,
            "logout",
            summarize(outcomes),
            outcomes=[outcome_summary(outcome, at) for outcome in outcomes],
        )

    async def close(self) -> None:
        """Cancel the command tasks still running and close the outbox."""
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        self.outbox.close()


Handler = Callable[[FleetLink, Command], Awaitable[dict[str, Any]]]


def check_handlers(handlers: Mapping[str, Handler], kinds: Iterable[str]) -> None:
    """Given the handler table and the command kinds the model accepts, return if each kind
    has exactly one handler. Raise TypeError naming the kinds missing or extra."""
    missing, extra = set(kinds) - set(handlers), set(handlers) - set(kinds)
    if missing or extra:
        raise TypeError(
            f"fleet command handlers: missing {sorted(missing)}, extra {sorted(extra)}"
            " (agent/fleet/topics.py CommandKind and agent/fleet/kiosk.py HANDLERS differ)"
        )


# One handler per command kind; checked against the model's literal when this module loads.
HANDLERS: dict[str, Handler] = {
    "ping": FleetLink._ping,
    "logout": FleetLink._logout,
}
check_handlers(HANDLERS, get_args(CommandKind))
