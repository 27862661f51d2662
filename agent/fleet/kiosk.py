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
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any, Protocol

from loguru import logger

from agent import __version__
from agent.audit import audit_line
from agent.daemon.coordinator import LogoutCoordinator
from agent.daemon.ports import SessionAgent
from agent.errors import KioskguardError
from agent.fleet.connection import (
    Incoming,
    MqttError,
    Will,
    describe,
    make_client,
    messages,
    read_password,
    tls_context,
)
from agent.fleet.outbox import Outbox
from agent.fleet.topics import BadCommand, Command, KioskTopics, encode, new_id, parse_command
from agent.outcome import Linked, Outcome, Result, Trigger
from agent.privacy import scrub
from agent.settings import ProfileSettings, Settings


class FleetDaemon(Protocol):
    """What the fleet link needs from the daemon (agent.daemon.daemon.Daemon has it)."""

    profiles: list[ProfileSettings]
    agent: SessionAgent
    coordinator: LogoutCoordinator

    async def logout_linked(
        self, trigger: Trigger, profiles: Sequence[ProfileSettings] | None = None
    ) -> list[Outcome]: ...

    async def linked_now(self, profile: ProfileSettings) -> Linked: ...


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


class FleetLink:
    """One kiosk's connection to the fleet broker."""

    def __init__(self, settings: Settings) -> None:
        """Prepare the link. Raise ConfigError if the password, TLS files or outbox are unusable."""
        self.fleet = settings.fleet
        self.topics = KioskTopics(self.fleet.topic_prefix, self.fleet.site, self.fleet.kiosk_name)
        read_password(self.fleet)  # bad files are configuration errors at start-up, exit 2
        tls_context(self.fleet)
        self.outbox = Outbox(settings.general.state_dir / "fleet-outbox.sqlite3")
        self.daemon: FleetDaemon | None = None
        self.linked: dict[str, str] = {}
        self.last_outcome: dict[str, Any] | None = None
        self.connected = False
        self._wake = asyncio.Event()
        self._status_due = asyncio.Event()
        self._tasks: set[asyncio.Task[None]] = set()

    # -- hooks the daemon calls (synchronous, local, never blocking) -----------------------

    def record_outcome(self, outcome: Outcome) -> None:
        """Queue an audit event for the outcome and refresh the status (outcome hook)."""
        at = datetime.now(UTC).isoformat(timespec="milliseconds")
        summary = outcome_summary(outcome, at)
        self.emit("logout", outcome=json.loads(audit_line(outcome, datetime.fromisoformat(at))))
        self.last_outcome = summary
        if outcome.result in (Result.LOGGED_OUT, Result.NOTHING_TO_DO, Result.LOCAL_ONLY):
            self.linked[outcome.profile] = Linked.NOT_LINKED.value
        self._status_due.set()

    def emit(self, kind: str, **fields: Any) -> str:
        """Queue one audit event of this kind; return its id."""
        event_id = new_id(self.topics.host)
        message = {
            "id": event_id,
            "kind": kind,
            "site": self.topics.site,
            "host": self.topics.host,
            "at": datetime.now(UTC).isoformat(timespec="milliseconds"),
            **fields,
        }
        self.outbox.put(event_id, self.topics.events, message)
        self._wake.set()
        return event_id

    # -- the connection ----------------------------------------------------------------------

    async def run(self, daemon: FleetDaemon) -> None:
        """Keep connected to the broker until cancelled: status, events, commands."""
        self.daemon = daemon
        await self.refresh_linked()
        warned = ""
        while True:
            try:
                await self._session()
            except asyncio.CancelledError:
                raise
            except (MqttError, OSError, TimeoutError) as exc:
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
            self.connected = False
            await asyncio.sleep(self.fleet.reconnect_s)

    async def _session(self) -> None:
        offline = encode({"online": False, "site": self.topics.site, "host": self.topics.host})
        client = make_client(
            self.fleet,
            f"kioskguard-{self.topics.host}",
            username=self.fleet.username or self.topics.host,
            persistent=True,  # the broker keeps commands sent while we are away
            will=Will(self.topics.presence, offline),
        )
        async with client:
            self.connected = True
            logger.info("fleet: connected to {} as {}", self.fleet.broker, self.topics.host)
            online = {"online": True, "site": self.topics.site, "host": self.topics.host}
            await client.publish(self.topics.presence, encode(online), qos=1, retain=True)
            await self._publish_status(client)
            for topic in self.topics.commands:
                await client.subscribe(topic, qos=1)
            workers = [
                asyncio.create_task(self._drain(client)),
                asyncio.create_task(self._status_loop(client)),
            ]
            try:
                async for message in messages(client):
                    self._spawn(self._on_command(message))
            finally:
                for worker in workers:
                    worker.cancel()
                await asyncio.gather(*workers, return_exceptions=True)
                with contextlib.suppress(Exception):
                    await asyncio.wait_for(
                        client.publish(self.topics.presence, offline, qos=1, retain=True), 2.0
                    )

    def _spawn(self, coroutine: Any) -> None:
        task = asyncio.create_task(coroutine)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _drain(self, client: Any) -> None:
        """Publish the outbox, oldest first; delete each event once the broker has it.

        Rows go out as soon as they are queued, without waiting for earlier rows' PUBACKs (the
        broker keeps one client's order), so a command's reply never queues behind the logout
        event published a moment before it. A broken connection leaves only unacknowledged rows.
        """
        in_flight: dict[str, asyncio.Task[None]] = {}
        try:
            while True:
                self._wake.clear()
                for event_id, topic, payload in self.outbox.pending(limit=500):
                    if event_id not in in_flight:
                        task = asyncio.create_task(self._send(client, event_id, topic, payload))
                        in_flight[event_id] = task
                        task.add_done_callback(
                            functools.partial(self._settled, in_flight, event_id)
                        )
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
        if not in_flight and self.outbox.count() == 0:
            self._status_due.set()  # the status shows the outbox emptied
        elif self.outbox.count() > len(in_flight):
            self._wake.set()  # rows queued past the batch limit

    async def _send(self, client: Any, event_id: str, topic: str, payload: bytes) -> None:
        await client.publish(topic, payload, qos=1, timeout=30)
        self.outbox.sent(event_id)

    async def _status_loop(self, client: Any) -> None:
        while True:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._status_due.wait(), self.fleet.status_interval_s)
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
                state = await asyncio.wait_for(self.daemon.linked_now(profile), 10.0)
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
            "at": datetime.now(UTC).isoformat(timespec="milliseconds"),
        }

    async def _publish_status(self, client: Any) -> None:
        await client.publish(self.topics.status, encode(self.status()), qos=1, retain=True)

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
            "at": datetime.now(UTC).isoformat(timespec="milliseconds"),
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
        now = datetime.now(UTC)
        if command.expired(now):
            reason = f"expired at {command.expires_at.isoformat(timespec='seconds')}"
            return self._refuse(reason, command.id, command.kind)
        done = self.outbox.done_reply(command.id)
        if done is not None:
            logger.info("fleet: command {} already carried out; replying again", command.id)
            return done | {"reply_id": new_id(self.topics.host), "repeated": True}
        reply = await self._execute(command)
        if reply["result"] != "refused":
            self.outbox.remember(command.id, reply)
            self.emit(
                "command", command_id=command.id, command=command.kind, result=reply["result"]
            )
        return reply

    async def _execute(self, command: Command) -> dict[str, Any]:
        assert self.daemon is not None
        logger.info("fleet: command {} ({}) from {}", command.id, command.kind, command.target)
        if command.kind == "ping":
            return self._reply(command.id, "ping", "pong", version=__version__)
        if command.kind == "check":
            await self.refresh_linked()
            self._status_due.set()
            return self._reply(command.id, "check", "checked", profiles=self.status()["profiles"])
        profiles = self.daemon.profiles
        if command.profile is not None:
            profiles = [profile for profile in profiles if profile.name == command.profile]
            if not profiles:
                reason = f"unknown profile {command.profile!r}"
                return self._refuse(reason, command.id, command.kind)
        outcomes = await self.daemon.logout_linked(Trigger.FLEET, profiles)
        at = datetime.now(UTC).isoformat(timespec="milliseconds")
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
