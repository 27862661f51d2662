"""The daemon: decides WHEN to log out, and lets the session layer do it.

Sources of decisions: the timetable (agent/daemon/scheduler.py: linked check, browser watch,
closing time and its warning), the idle watch, trigger sources (OS events) and signals.
Recovery first: a logout a crash interrupted is finished before anything else runs. Then the
state rule (agent/daemon/staterule.py: no browser running, no session stored) is checked for
every profile, and again after a resume, on every linked check, when the browser watch or the
browser's own process exit (agent/daemon/closewatch.py) says it closed, and after every failed
try. events.on_browser_closed = false turns the rule's logouts off (a site that keeps sessions
across browser restarts on purpose); the age gauge still reports the stored sessions.

Stopping (SIGTERM, SIGINT, Windows console and session end) logs out every linked profile
within logout.shutdown_deadline_s, counted from the request: a logout already running is
joined, and whatever still runs when the deadline (plus STOP_GRACE_S) passes is interrupted
and recorded as failed, its state record kept for the next start. Stopping during the recovery
works the same way. A reload (SIGHUP) re-reads the configuration; an invalid file is reported
and the running configuration kept; a valid one ends run() with ``reload_settings`` set (no
logout), and the caller starts again with it.
"""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import Callable, Sequence
from datetime import UTC
from typing import Any

from loguru import logger

from agent.daemon import triggers
from agent.daemon.coordinator import LogoutCoordinator, OutcomeHook
from agent.daemon.idle import IdleWatch
from agent.daemon.live import LiveMemory, LiveReading
from agent.daemon.metrics import Metrics
from agent.daemon.ports import (
    BrowserExitWatch,
    Clock,
    Notifier,
    ServiceManager,
    SessionAgent,
    TriggerSource,
)
from agent.daemon.scheduler import build_scheduler
from agent.daemon.state import StateFile, StateFileError
from agent.daemon.staterule import StateRule
from agent.errors import ConfigError, KioskguardError
from agent.outcome import Linked, Outcome, ProbeResult, Trigger
from agent.platform.base import IdleSource
from agent.settings import ProfileSettings, Settings

PAGE_READ_S = 5.0  # the browser watch's reading of a running profile's disk or page
STOP_GRACE_S = 0.5  # past the shutdown deadline: interrupt what still runs and record it
Reloader = Callable[[], Settings]


class Daemon:
    """Everything `kioskguard run` does, with every side effect injected."""

    def __init__(
        self,
        settings: Settings,
        agent: SessionAgent,
        clock: Clock,
        *,
        idle_source: IdleSource | None = None,
        trigger_sources: Sequence[TriggerSource] = (),
        notifier: Notifier | None = None,
        metrics: Metrics | None = None,
        hooks: Sequence[OutcomeHook] = (),
        state: StateFile | None = None,
        service_manager: ServiceManager | None = None,
        reloader: Reloader | None = None,
        exit_watch: BrowserExitWatch | None = None,
    ) -> None:
        self.settings = settings
        self.agent = agent
        self.clock = clock
        self.profiles = settings.effective_profiles()
        self.trigger_sources = list(trigger_sources)
        self.notifier = notifier
        self.metrics = metrics
        self.service_manager = service_manager
        self.reloader = reloader
        self.reload_settings: Settings | None = None  # set when a reload ends run()
        self._reload_requested = asyncio.Event()
        self.state = state or StateFile(settings.general.state_dir / "state.json")
        all_hooks = [*hooks, *([metrics.record_outcome] if metrics else [])]
        self.live = LiveMemory()  # the last reading of each running page (agent/daemon/live.py)
        self.coordinator = LogoutCoordinator(
            agent,
            self.state,
            clock,
            retries=settings.logout.retries,
            hooks=all_hooks,
            settle=self.live.settle,
        )
        self.idle_watch: IdleWatch | None = None
        if settings.idle.enabled and idle_source is not None:
            self.idle_watch = IdleWatch(
                settings.idle,
                idle_source,
                agent,
                self.profiles,
                self.coordinator.logout,
                clock,
                deadline_s=self.deadline_for(Trigger.IDLE),
                notifier=notifier,
            )
        self.rule = StateRule(
            clock,
            self._breaks_rule,
            self._rule_logout,
            enabled=self.allowed(Trigger.BROWSER_CLOSED),
            on_age=metrics.record_unguarded_age if metrics else None,
        )
        self.exit_watch = exit_watch
        self._close_waits: dict[str, asyncio.Task[None]] = {}
        self._background: set[asyncio.Task[Any]] = set()
        for source in self.trigger_sources:
            subscribe = getattr(source, "subscribe_resume", None)
            if callable(subscribe):
                subscribe(self.resumed)
        self._browser_running: dict[str, bool] = {}
        self._last_warning: dict[str, str] = {}
        self._stop = asyncio.Event()
        self.ready = asyncio.Event()  # set once recovery is done and the timetable runs
        self._stop_trigger = Trigger.SIGNAL
        self.shutdown_seen = False  # the OS announced a shutdown (the guard gap's record)

    # -- decisions -------------------------------------------------------------------------

    def allowed(self, trigger: Trigger) -> bool:
        """Given a trigger, return whether the configuration lets it cause a logout (its flag in
        agent/daemon/triggers.py). Raise UnknownTrigger if the table has no row for it."""
        return triggers.allowed(trigger, self.settings)

    def deadline_for(self, trigger: Trigger) -> float:
        """Given a trigger, return its logout deadline (its deadline class in
        agent/daemon/triggers.py). Raise UnknownTrigger if the table has no row for it."""
        return triggers.deadline_s(trigger, self.settings)

    async def logout_linked(
        self, trigger: Trigger, profiles: Sequence[ProfileSettings] | None = None
    ) -> list[Outcome]:
        """Log out every profile whose probe says LINKED or UNKNOWN, or whose browser runs, or
        whose page last read linked while its disk did not (agent/daemon/live.py).

        A running browser may not have written the session to disk yet, so its offline probe
        is not trusted: the session layer then reads the page itself (or its logout joins).
        A closed one may never have written it: that logout finds nothing to do and is
        reported local_only (LiveMemory.settle).
        The probes count against the trigger's deadline: the logouts get what is left.

        Return the outcomes; nothing runs if the configuration disables the trigger.
        """
        if not self.allowed(trigger):
            return []
        started = self.clock.monotonic()
        deadline_s = self.deadline_for(trigger)
        chosen = list(self.profiles if profiles is None else profiles)
        probes = await asyncio.gather(*(self._probe(profile, deadline_s) for profile in chosen))
        targets = [
            profile
            for profile, probe in zip(chosen, probes, strict=True)
            if probe.linked is not Linked.NOT_LINKED
            or self.coordinator.busy(profile.name)
            or self.live.unflushed(profile.name) is not None
            or await self._running(profile)
        ]
        spent_s = self.clock.monotonic() - started
        return list(
            await asyncio.gather(
                *(
                    self.coordinator.logout(profile, trigger, deadline_s, spent_s=spent_s)
                    for profile in targets
                )
            )
        )

    async def _probe(self, profile: ProfileSettings, timeout_s: float) -> ProbeResult:
        try:
            return await asyncio.wait_for(self.agent.probe(profile), timeout_s)
        except (KioskguardError, TimeoutError) as exc:
            self._warn_once(
                f"probe {profile.name}", f"{profile.name}: probe failed: {exc or 'timed out'}"
            )
            return ProbeResult(profile.name, profile.url or "", Linked.UNKNOWN, detail=str(exc))

    async def _linked_now(self, profile: ProfileSettings) -> Linked:
        """The page's answer when the browser runs, else the probe; UNKNOWN if neither works."""
        try:
            return await asyncio.wait_for(self.linked_now(profile), 5.0)
        except (KioskguardError, TimeoutError) as exc:
            self._warn_once(
                f"probe {profile.name}", f"{profile.name}: probe failed: {exc or 'timed out'}"
            )
            return Linked.UNKNOWN

    async def _running(self, profile: ProfileSettings) -> bool:
        """Return whether the profile's browser runs: its stored data may lag behind the page."""
        try:
            return await asyncio.wait_for(self.agent.browser_running(profile), 5.0)
        except (KioskguardError, TimeoutError):
            return False

    def _warn_once(self, key: str, message: str) -> None:
        """Log a repeating problem as a warning the first time, then at debug level."""
        if self._last_warning.get(key) == message:
            logger.debug(message)
        else:
            logger.warning(message)
        self._last_warning[key] = message

    # -- scheduled work --------------------------------------------------------------------

    async def recover(self) -> list[Outcome]:
        """Finish the logouts a crash interrupted (RECOVERY); return their outcomes."""
        by_name = {profile.name: profile for profile in self.profiles}
        try:
            names = [record.profile for record in self.state.in_progress()]
            if names:
                logger.warning(
                    "started after an unclean stop: {} logout(s) left unfinished ({})",
                    len(names),
                    ", ".join(names),
                )
        except StateFileError as exc:
            logger.warning("{}; recovering every profile to be safe", exc)
            names = list(by_name)
            try:
                self.state.clear()
            except StateFileError as write_error:
                logger.error("{}", write_error)
        outcomes = []
        for name in names:
            if name not in by_name:
                logger.warning("{}: unfinished logout of a profile no longer configured", name)
                self.coordinator.record(self.state.finish, name)
                continue
            logger.info("{}: finishing a logout interrupted by a crash", name)
            outcomes.append(
                await self.coordinator.logout(
                    by_name[name], Trigger.RECOVERY, self.deadline_for(Trigger.RECOVERY)
                )
            )
        return outcomes

    async def check_linked(self) -> list[ProbeResult]:
        """Probe every profile (offline), update the metrics, and return the results.

        While a profile's browser runs, its last live page reading (the browser watch's) is the
        verdict: the disk lags a link and a logout by seconds (the metrics would say linked
        after a verified logout)."""
        results = [
            self._with_live(profile, await self._probe(profile, self.settings.logout.deadline_s))
            for profile in self.profiles
        ]
        linked = sum(result.linked is Linked.LINKED for result in results)
        if self.metrics is not None:
            self.metrics.record_check(linked, self.clock.now().timestamp())
            self.metrics.record_profiles(results, [profile.name for profile in self.profiles])
        logger.debug("check: {} of {} profiles linked", linked, len(results))
        suspects = []
        for profile, result in zip(self.profiles, results, strict=True):
            if result.linked is Linked.LINKED or self.live.unflushed(profile.name) is not None:
                suspects.append(profile)
            else:
                self.rule.note(profile.name, broken=False)
        await self.rule.check_all(suspects, "found by the linked check")
        return results

    def _with_live(self, profile: ProfileSettings, result: ProbeResult) -> ProbeResult:
        reading = self.live.last(profile.name)
        if reading is None or not self._browser_running.get(profile.name, False):
            return result
        if reading.linked is result.linked:
            return result
        detail = f"live page at {reading.at:%H:%M:%S} (stored data on disk: {result.linked.value})"
        return dataclasses.replace(result, linked=reading.linked, detail=detail)

    async def watch_browsers(self) -> list[Outcome]:
        """Log out profiles whose browser closed since the last look with a session linked
        (the state rule); return the outcomes of those tries.

        While a browser runs, read its page too (read_live): a browser closed seconds after a
        link may never write the session to disk, and only this reading knows it existed. And
        wait on its process (closewatch), so that a close is acted on at once, not at the next
        look.
        """
        closed = []
        running_now = []
        for profile in self.profiles:
            try:
                running = await self.agent.browser_running(profile)
            except KioskguardError as exc:
                message = f"{profile.name}: cannot tell whether the browser runs: {exc}"
                self._warn_once(f"browser {profile.name}", message)
                continue
            was_running = self._browser_running.get(profile.name, False)
            if was_running and not running:
                logger.info("{}: the browser closed", profile.name)
                closed.append(profile)
            elif running and not was_running:
                logger.info("{}: the browser is open", profile.name)
            if running:
                running_now.append(profile)
                self._wait_for_close(profile)
            self._browser_running[profile.name] = running
        await asyncio.gather(*(self.read_live(profile) for profile in running_now))
        if not closed:
            return []
        outcomes = await self.rule.check_all(closed, "the browser closed")
        tried = {outcome.profile for outcome in outcomes}
        await asyncio.gather(
            *(self._scrub_closed(profile) for profile in closed if profile.name not in tried)
        )
        return outcomes

    def _wait_for_close(self, profile: ProfileSettings) -> None:
        """Wait on the running browser's process (if the platform can), unless already waiting."""
        waiting = self._close_waits.get(profile.name)
        if self.exit_watch is None or (waiting is not None and not waiting.done()):
            return
        self._close_waits[profile.name] = asyncio.create_task(self._on_close(profile))

    async def _on_close(self, profile: ProfileSettings) -> None:
        """Apply the state rule the moment the profile's browser process exits."""
        assert self.exit_watch is not None
        try:
            closed = await self.exit_watch.wait_closed(profile)
        except (KioskguardError, OSError) as exc:
            message = f"{profile.name}: browser close not watched ({exc}); the poll sees it"
            self._warn_once(f"close {profile.name}", message)
            return
        if not closed:
            return
        logger.info("{}: the browser closed (its process exited)", profile.name)
        self._browser_running[profile.name] = False
        if await self.rule.check(profile, "the browser closed") is None:
            await self._scrub_closed(profile)

    async def _scrub_closed(self, profile: ProfileSettings) -> None:
        """After a close that needed no logout (the rule holds, or a retry owns the profile),
        scrub the client's leftovers from the profile's files: a warm logout's removed keys
        stay readable in LevelDB until then. A logout that ran scrubbed already."""
        if self.rule.retrying(profile.name) or self.coordinator.busy(profile.name):
            return
        try:
            notes = await self.agent.scrub_closed(profile)
        except KioskguardError as exc:
            logger.warning("{}: the closed profile was not scrubbed: {}", profile.name, exc)
            return
        for note in notes:
            logger.info("{}: {}", profile.name, note)

    async def _breaks_rule(self, profile: ProfileSettings) -> bool:
        """Return whether the profile holds a session (stored, or last seen live) while no
        browser runs. False when it cannot be told whether a browser runs (never act on a
        browser that may be the visitor's) or the probe cannot read the profile (unknown: a
        path that may be no profile at all is never relaunched for this rule)."""
        try:
            running = await asyncio.wait_for(self.agent.browser_running(profile), PAGE_READ_S)
        except (KioskguardError, TimeoutError) as exc:
            message = f"{profile.name}: cannot tell whether the browser runs: {exc or 'timeout'}"
            self._warn_once(f"browser {profile.name}", message)
            return False
        if running:
            return False
        if self.live.unflushed(profile.name) is not None:
            return True
        probe = await self._probe(profile, PAGE_READ_S)
        if probe.linked is Linked.UNKNOWN:
            message = f"{profile.name}: the state rule cannot read the profile: {probe.detail}"
            self._warn_once(f"rule {profile.name}", message)
        return probe.linked is Linked.LINKED

    async def _rule_logout(self, profile: ProfileSettings, why: str) -> Outcome:
        """One try of the state rule's cold logout: its own audit line (retries: StateRule)."""
        logger.info("{}: a session with no browser running ({}): logging out", profile.name, why)
        return await self.coordinator.logout(
            profile,
            Trigger.BROWSER_CLOSED,
            self.deadline_for(Trigger.BROWSER_CLOSED),
            retries=0,
            note=f"state rule: a session stored with no browser running ({why})",
        )

    def resumed(self) -> None:
        """The computer woke from sleep: check the state rule now (called in the loop)."""
        self._spawn(self.rule.check_all(self.profiles, "after resume from sleep"))

    def _spawn(self, work: Any) -> None:
        task = asyncio.ensure_future(work)
        self._background.add(task)
        task.add_done_callback(self._background.discard)

    async def read_live(self, profile: ProfileSettings) -> LiveReading | None:
        """Read a running profile's page (its own keys) and remember the reading (LiveMemory),
        with whether the disk holds keys then; return it. None when the page cannot be read, or
        a logout of the profile runs (its outcome tells)."""
        if self.coordinator.busy(profile.name):
            return None
        at = self.clock.now()
        try:
            linked = await asyncio.wait_for(self.agent.page_linked(profile), PAGE_READ_S)
        except (KioskguardError, TimeoutError) as exc:
            logger.debug("{}: page not read: {}", profile.name, exc or "timed out")
            return None
        if linked is None:
            return None
        on_disk = False
        if linked is Linked.LINKED:
            on_disk = (await self._probe(profile, PAGE_READ_S)).linked is Linked.LINKED
        return self._remember(profile, LiveReading(linked, at, on_disk))

    async def linked_now(self, profile: ProfileSettings) -> Linked:
        """Return the agent's linked_now (the page while the browser runs, else the probe); a
        LINKED answer from a running browser is remembered like the watch's readings (so the
        fleet's status reading counts as a session seen live)."""
        at = self.clock.now()
        state = await self.agent.linked_now(profile)
        if state is Linked.LINKED and await self._running(profile):
            probe = await self._probe(profile, PAGE_READ_S)
            self._remember(profile, LiveReading(state, at, probe.linked is Linked.LINKED))
        return state

    def _remember(self, profile: ProfileSettings, reading: LiveReading) -> LiveReading | None:
        """Keep the reading unless a logout of the profile began meanwhile; return it if kept."""
        if self.coordinator.busy(profile.name):
            return None  # the logout's outcome tells, and settles against the earlier reading
        if self.live.seen(profile.name, reading):
            logger.info(
                "{}: the page holds a session (seen {:%H:%M:%S}; keys on disk: {})",
                profile.name,
                reading.at,
                "yes" if reading.on_disk else "not yet",
            )
        return reading

    async def closing_time(self) -> list[Outcome]:
        """Log out every linked profile: it is closing time."""
        if self.metrics is not None:
            self.metrics.record_closing_time(self.clock.now().timestamp())
        return await self.logout_linked(Trigger.CLOSING_TIME)

    async def closing_warning(self) -> None:
        """Tell the visitor the session ends in warn_minutes (banner and notification)."""
        minutes = self.settings.closing_time.warn_minutes
        if self.notifier is not None:
            await self.notifier.notify("Closing soon", f"WhatsApp Web logs out in {minutes} min.")
        states = [await self._linked_now(profile) for profile in self.profiles]
        linked = [
            profile
            for profile, state in zip(self.profiles, states, strict=True)
            if state is not Linked.NOT_LINKED
        ]
        await asyncio.gather(
            *(self.agent.show_warning(profile, minutes * 60) for profile in linked),
            return_exceptions=True,
        )
        logger.info(
            "closing time in {} min: warning shown ({} of {} profile(s) linked or unknown)",
            minutes,
            len(linked),
            len(self.profiles),
        )

    # -- lifecycle -------------------------------------------------------------------------

    def request_stop(self, trigger: Trigger = Trigger.SIGNAL) -> None:
        """Ask run() to log out linked profiles and return (signal-handler safe)."""
        self.reload_settings = None  # a stop wins over a reload that has not taken effect
        self._stop_trigger = trigger
        self._stop.set()

    @property
    def stop_trigger(self) -> Trigger:
        """Return what the last stop request named (SIGNAL, or SHUTDOWN/LOGOFF on Windows)."""
        return self._stop_trigger

    def request_reload(self) -> None:
        """Ask the daemon to re-read its configuration (signal-handler safe)."""
        self._reload_requested.set()

    def _status(self, text: str) -> None:
        if self.service_manager is not None:
            self.service_manager.status(text)

    async def run(self) -> int:
        """Recover, run the timetable, watchers and trigger sources until stopped; return 0.

        On a stop request, log out every linked profile within the shutdown deadline (see the
        module docstring). On a valid reload, return 0 with ``reload_settings`` set.
        """
        self._status("finishing logouts interrupted by a crash")
        recovery = asyncio.create_task(self._recover_safely())
        stopped = asyncio.create_task(self._stop.wait())
        try:
            await asyncio.wait({recovery, stopped}, return_when=asyncio.FIRST_COMPLETED)
            if not self._stop.is_set():
                await self._guard(stopped)
        finally:
            stopped.cancel()
        if self.reload_settings is not None:
            await self.coordinator.wait_idle()  # each bounded by its own deadline
            await asyncio.gather(recovery, return_exceptions=True)
            if self.reload_settings is not None:
                return 0
        await self._shutdown(recovery)
        return 0

    async def _recover_safely(self) -> list[Outcome]:
        """recover(), then the state rule's first look at every profile (a session stored with
        no browser running: a power cut, a crash, a first install) and at the open browsers
        (their close waited on from now); a bug in either is logged: the daemon must guard the
        profiles anyway. Failed tries go on retrying in the background (StateRule)."""
        outcomes: list[Outcome] = []
        try:
            outcomes += await self.recover()
        except Exception as exc:
            logger.opt(exception=exc).error("recovery failed")
        try:
            outcomes += await self.rule.check_all(self.profiles, "found at start")
            if self.allowed(Trigger.BROWSER_CLOSED):
                await self.watch_browsers()  # the open browsers: their close is waited on now
        except Exception as exc:
            logger.opt(exception=exc).error("the state rule's start check failed")
        return outcomes

    async def _guard(self, stopped: asyncio.Task[Any]) -> None:
        """Run the timetable, watchers, trigger sources and reloads until stopped."""
        jobs: set[asyncio.Task[Any]] = set()
        scheduler = build_scheduler(self.settings, self.clock.now().tzinfo or UTC, self, jobs)
        scheduler.start()
        tasks = [asyncio.create_task(self._consume(source)) for source in self.trigger_sources]
        if self.idle_watch is not None:
            tasks.append(asyncio.create_task(self.idle_watch.run()))
        tasks.append(asyncio.create_task(self._watch_reloads()))
        if not self.rule.enabled:
            logger.warning(
                "events.on_browser_closed = false: a session stored with no browser running is"
                " kept (kioskguard_unguarded_session_age_seconds reports it)"
            )
        logger.info("kioskguard runs: {} profile(s) guarded", len(self.profiles))
        self.ready.set()
        if self.service_manager is not None:
            self.service_manager.ready()
        self._status(f"guarding {len(self.profiles)} profile(s)")
        try:
            await stopped
        finally:
            scheduler.shutdown(wait=False)
            tasks += jobs  # a job's logout goes on (shielded): the stop joins or interrupts it
            tasks += [*self._background, *self._close_waits.values()]
            await self.rule.stop()
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)

    async def _shutdown(self, recovery: asyncio.Task[list[Outcome]]) -> None:
        """Log out linked profiles within the shutdown deadline; record whatever is cut short."""
        trigger = self._stop_trigger
        deadline_s = self.settings.logout.shutdown_deadline_s
        if self.service_manager is not None:
            self.service_manager.stopping()
        self._status(f"stopping ({trigger.value}): logging out linked profiles")
        logger.info("stopping: logging out linked profiles ({})", trigger.value)
        try:
            async with asyncio.timeout(deadline_s + STOP_GRACE_S):
                await self.logout_linked(trigger)
        except TimeoutError:
            logger.warning("stopping: the shutdown deadline of {:g} s passed", deadline_s)
        await self.coordinator.interrupt_all(
            f"the daemon stopped ({trigger.value}) and the shutdown deadline of"
            f" {deadline_s:g} s passed; the next start finishes it"
        )
        recovery.cancel()
        await asyncio.gather(recovery, return_exceptions=True)

    async def _watch_reloads(self) -> None:
        """Handle each reload request: re-read, validate, and apply or keep the old settings."""
        while True:
            await self._reload_requested.wait()
            self._reload_requested.clear()
            if self.reloader is None:
                logger.warning("reload requested, but this daemon has no configuration file")
                continue
            try:
                settings = self.reloader()
                _check_reloadable(self.settings, settings)
            except ConfigError as exc:
                logger.error("reload failed; the running configuration stays:\n{}", exc)
                self._status("reload failed: the running configuration stays (see the log)")
                continue
            logger.info("reload: the new configuration is valid; applying it")
            self.reload_settings = settings
            self._stop.set()
            return

    async def _consume(self, source: TriggerSource) -> None:
        try:
            async for trigger in source.events():
                logger.info("event from {}: {}", source.name, trigger.value)
                self.shutdown_seen |= trigger is Trigger.SHUTDOWN
                await self.logout_linked(trigger)
        except KioskguardError as exc:
            logger.warning("event source {} stopped: {}", source.name, exc)
        except Exception as exc:  # one broken source must not take the daemon down
            logger.opt(exception=exc).error("event source {} failed", source.name)


def _check_reloadable(old: Settings, new: Settings) -> None:
    """Raise ConfigError if new changes what a running daemon cannot change."""
    if new.general.state_dir != old.general.state_dir:
        raise ConfigError(
            f"general.state_dir: {str(new.general.state_dir)!r}: cannot change while running"
            f" (now {str(old.general.state_dir)!r}); restart the service instead"
        )
