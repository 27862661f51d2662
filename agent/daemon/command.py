"""`kioskguard run [--config FILE]`: wire the real seams into the Daemon and run it.

The session layer (agent.session.service) and the OS integration (agent.platform) are
imported here only, lazily. OS facilities that are missing degrade with a warning (no logind:
no shutdown/sleep events, SIGTERM still logs out); an idle source named explicitly in the
configuration that cannot be opened is a configuration error (exit 2).

Exit codes: 0 stopped after its final logouts; 1 an audit line could not be written during
the run (the logouts still ran; kioskguard_audit_write_errors_total counts them); 2 bad
configuration, or another daemon already holds the state directory (the message names it).
SIGHUP re-reads the file: a valid one is applied (the daemon restarts its parts without a
logout), an invalid one is reported and the running configuration stays.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import sys
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import TYPE_CHECKING

from loguru import logger

from agent.audit import AuditWriteError, audit, configure_logging
from agent.daemon.clock import SystemClock, resolve_timezone
from agent.daemon.daemon import Daemon, Reloader
from agent.daemon.idle import BrowserIdleSource
from agent.daemon.metrics import Metrics
from agent.daemon.ports import IdleSource, Notifier, ServiceManager, SessionAgent, TriggerSource
from agent.daemon.state import StateFile, StateFileError
from agent.errors import ConfigError, PlatformUnavailable
from agent.outcome import Outcome, Trigger
from agent.platform.base import close_idle_source
from agent.platform.filelock import FileLock, LockHeld
from agent.platform.signals import install_handlers
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


def run(arguments: argparse.Namespace) -> int:
    """Load the configuration, set up logging and run the daemon until a signal.

    Return 0, or 1 if audit lines were lost. Raise ConfigError (exit 2) for a bad
    configuration or a state directory another daemon holds.
    """
    config: Path | None = arguments.config or default_config_file()
    settings = load_settings(config)
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
    try:
        return asyncio.run(serve(settings, (lambda: load_settings(config)) if config else None))
    finally:
        lock.release()


LOCK_NAME = "daemon.lock"


def _configure_logging(settings: Settings) -> None:
    general = settings.general
    configure_logging(
        general.log_level, general.audit_path, general.log_rotation, general.log_retention
    )


class AuditRecorder:
    """The audit hook: a line that cannot be written is logged, counted, and remembered."""

    def __init__(self, metrics: Metrics | None) -> None:
        self.metrics = metrics
        self.failures = 0

    def __call__(self, outcome: Outcome) -> None:
        try:
            audit(outcome)
        except AuditWriteError as exc:
            self.failures += 1
            logger.error("{}", exc)
            if self.metrics is not None:
                self.metrics.record_audit_error()


async def serve(settings: Settings, reloader: Reloader | None = None) -> int:
    """Build the real seams and run the Daemon until stopped, again after each valid reload.

    Return 0, or 1 if an audit line could not be written.
    """
    state_file = StateFile(settings.general.state_dir / "state.json")
    try:
        state_file.check()
    except StateFileError as exc:
        logger.error("{}: logouts still run, but one a crash interrupts is not finished later", exc)
    metrics = _metrics(settings)
    recorder = AuditRecorder(metrics)
    watchdog = asyncio.create_task(_feed_watchdog())
    router = SignalRouter()
    remove_signal_handlers = install_handlers(
        {
            "SIGTERM": router.stop,
            "SIGINT": router.stop,
            "SIGBREAK": router.stop,
            "SIGHUP": router.reload,
        }
    )
    try:
        while True:
            reloaded = await _serve_once(settings, reloader, metrics, recorder, state_file, router)
            if reloaded is None:
                break
            settings = reloaded
            _configure_logging(settings)
            if metrics is not None:
                try:
                    metrics.reconfigure(settings.metrics)
                except ConfigError as exc:
                    logger.error("reload: {}", exc)
            logger.info("reload: configuration applied")
    finally:
        remove_signal_handlers()
        watchdog.cancel()
    return 1 if recorder.failures else 0


class SignalRouter:
    """Routes signals to the Daemon that runs; one handler set for the whole process, so a
    stop that arrives while a reload swaps daemons is kept and handed to the next one."""

    def __init__(self) -> None:
        self.daemon: Daemon | None = None
        self.stop_pending = False

    def attach(self, daemon: Daemon | None) -> None:
        self.daemon = daemon
        if daemon is not None and self.stop_pending:
            daemon.request_stop(Trigger.SIGNAL)

    def stop(self) -> None:
        self.stop_pending = True
        if self.daemon is not None:
            self.daemon.request_stop(Trigger.SIGNAL)

    def reload(self) -> None:
        if self.daemon is not None:
            self.daemon.request_reload()


async def _serve_once(
    settings: Settings,
    reloader: Reloader | None,
    metrics: Metrics | None,
    recorder: AuditRecorder,
    state_file: StateFile,
    router: SignalRouter,
) -> Settings | None:
    """Run one Daemon on settings; return the new settings after a valid reload, else None."""
    from agent.session.service import SessionService

    service = SessionService(settings)
    preparing = asyncio.create_task(service.prepare())  # a cold logout at shutdown needs it
    fleet = _fleet(settings)
    async with _idle_source(settings, service) as idle_source:
        daemon = Daemon(
            settings,
            service,
            SystemClock(resolve_timezone(settings.closing_time.timezone)),
            idle_source=idle_source,
            trigger_sources=await _trigger_sources(settings),
            notifier=_notifier(),
            metrics=metrics,
            hooks=[recorder, *([fleet.record_outcome] if fleet else [])],
            state=state_file,
            service_manager=_service_manager(),
            reloader=reloader,
        )
        router.attach(daemon)
        session_end = _watch_session_end(daemon)
        fleet_link = asyncio.create_task(fleet.run(daemon)) if fleet else None
        try:
            await daemon.run()
        finally:
            router.attach(None)
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
    wanted = events.on_shutdown or events.on_sleep or events.on_lock or events.on_logoff
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


def _notifier() -> Notifier:
    from agent.platform.notify import DesktopNotifier

    return DesktopNotifier()


def _fleet(settings: Settings) -> FleetLink | None:
    """Return the fleet link when [fleet] is enabled (it runs beside the daemon, never in a
    logout's path). Raise ConfigError if its password, TLS or outbox files are unusable."""
    if not settings.fleet.enabled:
        return None
    from agent.fleet.kiosk import FleetLink

    return FleetLink(settings)


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


def _watch_session_end(daemon: Daemon) -> Callable[[], None]:
    """On Windows, stop the daemon (logging out) when the session ends; return the undo.

    events.on_logoff / on_shutdown decide whether that stop logs out (Daemon.allowed).
    """
    if sys.platform != "win32":
        return lambda: None
    from agent.platform.windows_session import SessionEndWatcher

    try:
        watcher = SessionEndWatcher.start(asyncio.get_running_loop(), daemon)
    except PlatformUnavailable as exc:
        logger.warning("Windows logoff and shutdown are not watched: {}", exc)
        return lambda: None
    return watcher.stop
