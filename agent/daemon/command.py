"""`kioskguard run [--config FILE]`: wire the real seams into the Daemon and run it.

The session layer (agent.session.service) and the OS integration (agent.platform) are
imported here only, lazily. OS facilities that are missing degrade with a warning (no logind:
no shutdown/sleep events, SIGTERM still logs out); an idle source named explicitly in the
configuration that cannot be opened is a configuration error (exit 2).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import sys
from collections.abc import AsyncIterator
from pathlib import Path
from typing import TYPE_CHECKING

from loguru import logger

from agent.audit import audit, configure_logging
from agent.daemon.clock import SystemClock, resolve_timezone
from agent.daemon.daemon import Daemon, install_signal_handlers
from agent.daemon.idle import BrowserIdleSource
from agent.daemon.metrics import Metrics
from agent.daemon.ports import IdleSource, Notifier, SessionAgent, TriggerSource
from agent.errors import ConfigError, PlatformUnavailable
from agent.settings import Settings, load_settings

if TYPE_CHECKING:
    from agent.fleet.kiosk import FleetLink


def configure(parser: argparse.ArgumentParser) -> None:
    """Add --config."""
    parser.add_argument(
        "--config", type=Path, metavar="FILE", help="TOML configuration (default: built-in)"
    )


def run(arguments: argparse.Namespace) -> int:
    """Load the configuration, set up logging and run the daemon until a signal; return 0."""
    settings = load_settings(arguments.config)
    general = settings.general
    configure_logging(
        general.log_level, general.audit_path, general.log_rotation, general.log_retention
    )
    return asyncio.run(serve(settings))


async def serve(settings: Settings) -> int:
    """Build the real seams, run the Daemon until stopped, release everything; return 0."""
    from agent.session.service import SessionService

    service = SessionService(settings)
    fleet = _fleet(settings)
    async with _idle_source(settings, service) as idle_source:
        daemon = Daemon(
            settings,
            service,
            SystemClock(resolve_timezone(settings.closing_time.timezone)),
            idle_source=idle_source,
            trigger_sources=await _trigger_sources(settings),
            notifier=_notifier(),
            metrics=_metrics(settings),
            hooks=[audit, *([fleet.record_outcome] if fleet else [])],
        )
        remove_signal_handlers = install_signal_handlers(daemon)
        service_manager = asyncio.create_task(_tell_service_manager(daemon))
        fleet_link = asyncio.create_task(fleet.run(daemon)) if fleet else None
        try:
            return await daemon.run()
        finally:
            service_manager.cancel()
            if fleet is not None and fleet_link is not None:
                fleet_link.cancel()
                await asyncio.gather(fleet_link, return_exceptions=True)
                await fleet.close()
            remove_signal_handlers()
            await service.close()


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
    return [OsTriggerSource("logind", logind.event_source(inhibitor), inhibitor)]


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
    if not settings.metrics.enabled:
        return None
    names = [profile.name for profile in settings.effective_profiles()]
    metrics = Metrics(settings.metrics.textfile, names)
    if settings.metrics.textfile is None:
        metrics.serve(settings.metrics)
    return metrics


async def _tell_service_manager(daemon: Daemon) -> None:
    """Tell systemd (Type=notify) when the daemon is ready, and feed its watchdog."""
    from agent.platform.systemd import SystemdNotifier

    try:
        notifier = SystemdNotifier()
    except ConfigError as exc:
        logger.warning("systemd notification disabled: {}", exc)
        return
    await daemon.ready.wait()
    notifier.ready()
    await notifier.keep_watchdog_fed()
