"""`kioskguard run [--config FILE]`: wire the real seams into the Daemon and run it.

The session layer (agent.session.service) and the OS integration (agent.platform) are
imported here only, lazily. OS facilities that are missing degrade with a warning (no logind:
no shutdown/sleep events, SIGTERM still logs out); an idle source named explicitly in the
configuration that cannot be opened is a configuration error (exit 2).

Exit codes: 0 stopped after its final logouts; 1 an audit line could not be written during
the run (the logouts still ran; kioskguard_audit_write_errors_total counts them); 2 bad
configuration, or another daemon already holds the state directory (the message names it).
SIGHUP re-reads the file: a valid one is applied (the daemon restarts its parts without a
logout), an invalid one is reported and the running configuration stays. Every other signal
is defined in agent/platform/signals.py (SIGUSR1 dumps the status to the log, SIGUSR2 reopens
the audit file, the rest are ignored, most of them with a log line).

One guard per profile: the daemon holds each guarded profile's guard lock
(agent/browser/profile_guard.py) for its whole life; a second daemon on a guarded profile,
whatever its state directory, is refused at start (exit 2, naming the holder). Every
RETRY_S seconds it writes what a full disk did not take (held audit lines, state.json).

``--open-socket PATH`` is the guarded desktop mode (docs/install-linux.md): the daemon runs as
its own account and opens the managed browser itself, as its own child, when a visitor's
launcher asks on that socket (agent/daemon/open_request.py).

Tamper is visible (agent/daemon/guard_gap.py): at start the gap since the last heartbeat is
told (audit line, metrics, fleet event); the heartbeat is rewritten while the process serves,
and an orderly stop records how it stopped and tells the fleet's presence why.

``--windows-service`` is the service entry (agent/platform/windows_service.py): the process
hands itself to the Service Control Manager, whose ServiceMain runs all of the above in its own
loop, with the SCM's stops and session notifications in place of signals and a session window.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import functools
import sys
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import TYPE_CHECKING

from loguru import logger

from agent.audit import configure_logging
from agent.browser.opener import Opened, open_managed
from agent.browser.profile_guard import ProfileGuards
from agent.daemon import triggers
from agent.daemon.audit_recorder import AuditRecorder
from agent.daemon.clock import SystemClock, resolve_timezone
from agent.daemon.daemon import Daemon, Reloader
from agent.daemon.guard_gap import GuardTrace, stop_record, tell_gap
from agent.daemon.idle import BrowserIdleSource
from agent.daemon.metrics import Metrics
from agent.daemon.open_request import Opener, OpenServer
from agent.daemon.ports import (
    BrowserExitWatch,
    Notifier,
    ServiceHost,
    ServiceManager,
    SessionAgent,
    TriggerSource,
)
from agent.daemon.state import StateFile, StateFileError
from agent.daemon.status_dump import StatusBoard
from agent.errors import ConfigError, PlatformUnavailable
from agent.platform.base import IdleSource, close_idle_source
from agent.platform.filelock import FileLock, LockHeld
from agent.platform.signals import SignalRouter
from agent.profile_paths import ProfilePathError, checked_user_data_dir
from agent.settings import Settings, default_config_file, load_settings

if TYPE_CHECKING:
    from agent.fleet.kiosk import FleetLink


def configure(parser: argparse.ArgumentParser) -> None:
    """Add --config."""
    parser.add_argument(
        "--config",
        type=Path,
        metavar="FILE",
        help="TOML configuration (default: ~/.config/kioskguard/kioskguard.toml if it exists,"
        " else built-in)",
    )
    parser.add_argument(
        "--open-socket",
        type=Path,
        metavar="PATH",
        help="guarded desktop mode: open the managed browser (on $DISPLAY) when a visitor's"
        " `kioskguard browser --guarded` asks on this Unix socket (e.g. /run/kioskguard/open.sock)",
    )
    parser.add_argument(
        "--windows-service",
        action="store_true",
        help="run as the Windows service the service manager starts (install --system --service"
        " registers it)",
    )


def run(arguments: argparse.Namespace) -> int:
    """Load the configuration, set up logging and run the daemon until a signal (with
    --windows-service: as the Windows service, until the SCM stops it).

    Return 0, or 1 if audit lines were lost. Raise ConfigError (exit 2) for a bad
    configuration or a state directory another daemon holds.
    """
    if getattr(arguments, "windows_service", False):
        from agent.platform.windows_service import dispatch, native_advapi32

        return dispatch(functools.partial(_run, arguments), native_advapi32())
    return _run(arguments, None)


def _run(arguments: argparse.Namespace, host: ServiceHost | None) -> int:
    """run() in the process's own loop, or (host given) in the service's."""
    config: Path | None = arguments.config or default_config_file()
    settings = load_settings(config)
    _check_managed_profile(settings)
    _configure_logging(settings)
    if arguments.config is None:
        logger.info("configuration: {}", config or "built-in defaults (no file found)")
    lock = FileLock(settings.general.state_dir / LOCK_NAME)
    try:
        lock.acquire(f"kioskguard run --config {config or '(built-in)'}")
    except LockHeld as exc:
        raise ConfigError(f"another kioskguard daemon uses this state directory: {exc}") from exc
    except OSError as exc:
        raise ConfigError(f"general.state_dir {settings.general.state_dir}: {exc}") from exc
    guards = ProfileGuards()
    try:
        guards.hold(settings.effective_profiles())
        reloader = _guarded_reloader(config, guards) if config else None
        open_socket: Path | None = getattr(arguments, "open_socket", None)
        work = serve(settings, reloader, guards, open_socket, host)
        return host.run(work) if host is not None else asyncio.run(work)
    finally:
        guards.release_all()
        lock.release()


def _check_managed_profile(settings: Settings) -> None:
    """Raise ConfigError if no profile is configured and the managed one (STATE_DIR/
    browser-profile) breaks the user data dir rule (configured ones are checked on loading)."""
    if settings.profiles or settings.browser.user_data_dir is not None:
        return
    managed = settings.general.state_dir / "browser-profile"  # as written: the error resolves it
    try:
        checked_user_data_dir(managed)
    except ProfilePathError as exc:
        if not exc.unreadable:
            raise ConfigError(f"general.state_dir: the managed profile {exc}") from exc


LOCK_NAME = "daemon.lock"
RETRY_S = 5.0  # writes a full disk did not take are tried again this often


def _guarded_reloader(config: Path, guards: ProfileGuards) -> Reloader:
    """Return the reloader: the new file, refused if a new profile is another guard's."""

    def reload() -> Settings:
        settings = load_settings(config)
        guards.hold(settings.effective_profiles())
        return settings

    return reload


def _configure_logging(settings: Settings) -> None:
    general = settings.general
    configure_logging(
        general.log_level, general.audit_path, general.log_rotation, general.log_retention
    )


async def serve(
    settings: Settings,
    reloader: Reloader | None = None,
    guards: ProfileGuards | None = None,
    open_socket: Path | None = None,
    host: ServiceHost | None = None,
) -> int:
    """Build the real seams and run the Daemon until stopped, again after each valid reload;
    with open_socket, answer the guarded mode's open requests there meanwhile; with a host
    (the Windows service), with its trigger sources and its stops too.

    Return 0, or 1 if an audit line could not be written when its logout ended. Raise
    ConfigError if open_socket cannot be listened on.
    """
    guards = guards or ProfileGuards()
    current = [settings]
    open_server = OpenServer(open_socket, _guarded_opener(current)) if open_socket else None
    if open_server is not None:
        await open_server.start()
    metrics = _metrics(settings)
    state_file = StateFile(
        settings.general.state_dir / "state.json",
        on_write_error=metrics.record_state_write_error if metrics else None,
    )
    try:
        state_file.check()
    except StateFileError as exc:
        logger.error("{}: logouts still run, but one a crash interrupts is not finished later", exc)
    recorder = AuditRecorder(metrics)
    board = StatusBoard(guards, state_file, metrics)
    trace = _guard_trace(settings, recorder, metrics)
    heartbeat = asyncio.create_task(trace.run(asyncio.sleep))
    watchdog = asyncio.create_task(_feed_watchdog())
    retries = asyncio.create_task(_retry_writes(recorder, state_file, guards))
    router = SignalRouter(status=board.dump, reopen=recorder.reopen)
    # a service's loop runs off the main thread, where no signal can be watched: the SCM stops it
    remove_signal_handlers = router.install() if host is None else (lambda: None)
    try:
        while True:
            reloaded = await _serve_once(
                settings, reloader, metrics, (recorder, board), state_file, (router, trace), host
            )
            if reloaded is None:
                break
            settings = reloaded
            current[0] = settings
            guards.keep_only(settings.effective_profiles())
            _configure_logging(settings)
            if metrics is not None:
                try:
                    metrics.reconfigure(settings.metrics)
                except ConfigError as exc:
                    logger.error("reload: {}", exc)
            logger.info("reload: configuration applied")
    finally:
        remove_signal_handlers()
        heartbeat.cancel()
        watchdog.cancel()
        retries.cancel()
        recorder.close()
        state_file.retry()
        if open_server is not None:
            await open_server.close()
    return 1 if recorder.failures else 0


def _guarded_opener(current: list[Settings]) -> Opener:
    """Return the guarded mode's opener: the managed browser on the first profile, started by
    this daemon (so its own account's child) on the current settings."""

    def open_now() -> Opened:
        from agent.session.service import SessionService

        settings = current[0]
        profile = settings.effective_profiles()[0]
        return open_managed(
            SessionService(settings).executable(),
            profile.user_data_dir,
            profile.url or settings.general.client_url,
            settings.browser.debugging_port,
            kiosk=settings.browser.kiosk_window,
        )

    return open_now


def _guard_trace(
    settings: Settings, recorder: AuditRecorder, metrics: Metrics | None
) -> GuardTrace:
    """Start the heartbeat; tell the gap since the last one (agent/daemon/guard_gap.py)."""
    clock = SystemClock(resolve_timezone(settings.closing_time.timezone))
    trace = GuardTrace(settings.general.state_dir, clock.now)
    fleet = None
    if settings.fleet.enabled:
        from agent.fleet.kiosk import queue_guard_gap

        fleet = functools.partial(queue_guard_gap, settings)
    tell_gap(trace.start(), recorder.event, metrics, fleet)
    return trace


async def _retry_writes(
    recorder: AuditRecorder, state_file: StateFile, guards: ProfileGuards
) -> None:
    """Every RETRY_S: write what a full disk did not take, take contested guard locks."""
    while True:
        await asyncio.sleep(RETRY_S)
        recorder.flush()
        state_file.retry()
        guards.retry()


async def _serve_once(
    settings: Settings,
    reloader: Reloader | None,
    metrics: Metrics | None,
    hooks: tuple[AuditRecorder, StatusBoard],
    state_file: StateFile,
    stopping: tuple[SignalRouter, GuardTrace],
    host: ServiceHost | None = None,
) -> Settings | None:
    """Run one Daemon on settings; return the new settings after a valid reload, else None."""
    router, trace = stopping
    from agent.session.service import SessionService

    service = SessionService(settings)
    preparing = asyncio.create_task(service.prepare())  # a cold logout at shutdown needs it
    fleet = _fleet(settings, metrics)
    async with _idle_source(settings, service) as idle_source:
        daemon = Daemon(
            settings,
            service,
            SystemClock(resolve_timezone(settings.closing_time.timezone)),
            idle_source=idle_source,
            trigger_sources=[
                *await _trigger_sources(settings),
                *(host.trigger_sources() if host else []),
            ],
            notifier=_notifier(),
            metrics=metrics,
            hooks=[*hooks, *([fleet.record_outcome] if fleet else [])],
            state=state_file,
            service_manager=_service_manager(),
            reloader=reloader,
            exit_watch=_exit_watch(settings),
        )
        router.attach(daemon)
        hooks[1].daemon = daemon
        session_end = _watch_session_end(daemon, host)
        fleet_link = asyncio.create_task(fleet.run(daemon)) if fleet else None
        try:
            await daemon.run()
            if daemon.reload_settings is None:  # an orderly stop: recorded, and the fleet told
                kind, cause = stop_record(
                    daemon.stop_trigger, daemon.shutdown_seen, router.stop_signal
                )
                trace.stopped(kind, cause)
                if fleet is not None:
                    fleet.stop_reason = kind
        finally:
            router.attach(None)
            hooks[1].daemon = None
            session_end()
            if fleet is not None and fleet_link is not None:
                fleet_link.cancel()
                await asyncio.gather(fleet_link, return_exceptions=True)
                await fleet.close()
            for source in daemon.trigger_sources:
                close_idle_source(source)  # releases what the source holds (any .close())
            preparing.cancel()
            await asyncio.gather(preparing, return_exceptions=True)
            await service.close()
    return daemon.reload_settings


@contextlib.asynccontextmanager
async def _idle_source(settings: Settings, agent: SessionAgent) -> AsyncIterator[IdleSource | None]:
    if not settings.idle.enabled:
        yield None
        return
    from agent.platform.base import close_idle_source
    from agent.platform.select import pick_idle_source

    fallback = BrowserIdleSource(agent, settings.effective_profiles())
    try:
        source = await pick_idle_source(settings.idle.source, fallback=fallback)
    except PlatformUnavailable as exc:
        raise ConfigError(f"idle.source: {exc}") from exc
    logger.info("idle source: {}", source.name)
    try:
        yield source
    finally:
        close_idle_source(source)


async def _trigger_sources(settings: Settings) -> list[TriggerSource]:
    events = settings.events
    wanted = any(triggers.allowed(trigger, settings) for trigger in triggers.from_source("os"))
    wanted = wanted or events.on_browser_closed  # a resume checks the state rule
    if not wanted or not sys.platform.startswith("linux"):
        return []
    from agent.platform.logind import Logind
    from agent.platform.triggers import OsTriggerSource

    try:
        logind = await Logind.connect()
    except PlatformUnavailable as exc:
        logger.warning("no logind ({}): shutdown/sleep/lock events are not watched", exc)
        return []
    inhibitor = logind.inhibitor() if events.on_shutdown or events.on_sleep else None
    source = logind.event_source(inhibitor)
    return [OsTriggerSource("logind", source, inhibitor, on_close=logind.close)]


def _exit_watch(settings: Settings) -> BrowserExitWatch | None:
    """Return the wait on each running browser's process (pidfd on Linux, else polling)."""
    if not settings.events.on_browser_closed:
        return None
    from agent.daemon.closewatch import LockedBrowserExit
    from agent.platform.procwatch import pick_waiter

    watch = LockedBrowserExit(pick_waiter())
    logger.info("browser close watch: {}", watch.name)
    return watch


def _notifier() -> Notifier:
    from agent.platform.notify import DesktopNotifier

    return DesktopNotifier()


def _fleet(settings: Settings, metrics: Metrics | None) -> FleetLink | None:
    """Return the fleet link when [fleet] is enabled (it runs beside the daemon, never in a
    logout's path). Raise ConfigError if its password, TLS or outbox files are unusable."""
    if not settings.fleet.enabled:
        return None
    from agent.fleet.kiosk import FleetLink

    return FleetLink(settings, metrics.fleet() if metrics else None)


def _metrics(settings: Settings) -> Metrics | None:
    """Return the metrics; always kept (counting), exported only if metrics.enabled."""
    names = [profile.name for profile in settings.effective_profiles()]
    metrics = Metrics(settings.metrics.textfile if settings.metrics.enabled else None, names)
    if settings.metrics.enabled and settings.metrics.textfile is None:
        metrics.serve(settings.metrics)
    return metrics


def _service_manager() -> ServiceManager | None:
    """Return systemd's notification channel (READY, STATUS, STOPPING), None if malformed."""
    from agent.platform.systemd import SystemdNotifier

    try:
        return SystemdNotifier()
    except ConfigError as exc:
        logger.warning("systemd notification disabled: {}", exc)
        return None


async def _feed_watchdog() -> None:
    """Feed systemd's watchdog (WatchdogSec) for as long as the process serves."""
    manager = _service_manager()
    if manager is not None:
        await manager.keep_watchdog_fed()  # type: ignore[attr-defined]


def _watch_session_end(daemon: Daemon, host: ServiceHost | None) -> Callable[[], None]:
    """On Windows, stop the daemon (logging out) when the session ends; return the undo. As
    the service (host given), attach the daemon to it instead: the SCM tells the session's end.

    events.on_logoff / on_shutdown decide whether that stop logs out (Daemon.allowed).
    """
    if host is not None:
        host.attach(daemon)
        return functools.partial(host.attach, None)
    if sys.platform != "win32":
        return lambda: None
    from agent.platform.windows_session import SessionEndWatcher

    try:
        watcher = SessionEndWatcher.start(asyncio.get_running_loop(), daemon)
    except PlatformUnavailable as exc:
        logger.warning("Windows logoff and shutdown are not watched: {}", exc)
        return lambda: None
    return watcher.stop
