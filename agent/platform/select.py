"""Pick the idle source that fits this computer, or the one the configuration names.

auto order: Linux GNOME (its idle monitor is on the session bus), X11 (DISPLAY and libXss),
logind IdleHint; Windows GetLastInputInfo; macOS HIDIdleTime. The session layer's page-input idle
("browser") is not an OS source: it comes in as a fallback callable and answers whenever the
OS source cannot tell (or is the only source when nothing else is available).
"""

from __future__ import annotations

import os
import sys
from collections.abc import Awaitable, Callable, Mapping
from pathlib import Path

from loguru import logger

from agent.errors import ConfigError, PlatformUnavailable
from agent.platform.base import CallableIdleSource, ChainedIdleSource, IdleSource

PREFERENCES = ("auto", "gnome", "x11", "logind", "windows", "macos", "browser")
AUTO_ORDER: Mapping[str, tuple[str, ...]] = {
    "linux": ("gnome", "x11", "logind"),
    "win32": ("windows",),
    "darwin": ("macos",),
}
Fallback = IdleSource | Callable[[], Awaitable[float | None]]


def session_bus_address(environment: Mapping[str, str], uid: int) -> str | None:
    """Return $DBUS_SESSION_BUS_ADDRESS, else the systemd user bus socket if it exists."""
    if environment.get("DBUS_SESSION_BUS_ADDRESS"):
        return environment["DBUS_SESSION_BUS_ADDRESS"]
    runtime = environment.get("XDG_RUNTIME_DIR") or f"/run/user/{uid}"
    socket_path = Path(runtime) / "bus"
    return f"unix:path={socket_path}" if socket_path.exists() else None


async def open_source(name: str, environment: Mapping[str, str]) -> IdleSource:
    """Given a source name, return it opened. Raise PlatformUnavailable saying what is missing."""
    if name == "gnome":
        from agent.platform.gnome import GnomeIdleSource

        address = session_bus_address(environment, getattr(os, "getuid", lambda: 0)())
        if address is None:
            raise PlatformUnavailable("no session bus: DBUS_SESSION_BUS_ADDRESS is not set")
        return await GnomeIdleSource.connect(address)
    if name == "x11":
        from agent.platform.x11 import X11IdleSource

        return X11IdleSource(environment.get("DISPLAY", ""))
    if name == "logind":
        from agent.platform.logind import Logind

        logind = await Logind.connect(
            environment.get("DBUS_SYSTEM_BUS_ADDRESS"), environment.get("XDG_SESSION_ID")
        )
        return logind.idle_source(owns_connection=True)
    if name == "windows":
        from agent.platform.windows import WindowsIdleSource

        return WindowsIdleSource()
    if name == "macos":
        from agent.platform.macos import MacIdleSource

        return MacIdleSource()
    raise ConfigError(f"unknown idle source {name!r}")


def _as_source(fallback: Fallback) -> IdleSource:
    if isinstance(fallback, IdleSource):
        return fallback
    return CallableIdleSource("browser", fallback)


async def pick_idle_source(
    preference: str = "auto",
    *,
    fallback: Fallback | None = None,
    environment: Mapping[str, str] | None = None,
    platform: str | None = None,
) -> IdleSource:
    """Given a preference (auto, gnome, x11, logind, windows, macos, browser), return a source.

    With a fallback (the session layer's page-input idle), the OS source is chained with it.
    Raise ConfigError for an unknown preference, PlatformUnavailable naming what is missing if
    the preferred source (or, for auto, every source and the fallback) is unavailable.
    """
    if preference not in PREFERENCES:
        raise ConfigError(f"idle source must be one of {', '.join(PREFERENCES)}: {preference!r}")
    environment = os.environ if environment is None else environment
    fallback_source = None if fallback is None else _as_source(fallback)
    if preference == "browser":
        if fallback_source is None:
            raise PlatformUnavailable("idle source 'browser' needs the page-input idle callable")
        return fallback_source
    if preference == "auto":
        candidates = AUTO_ORDER.get(platform or sys.platform, ())
    else:
        candidates = (preference,)
    reasons: list[str] = []
    for name in candidates:
        try:
            source = await open_source(name, environment)
        except PlatformUnavailable as exc:
            reasons.append(f"{name}: {exc}")
            continue
        logger.debug("idle source: {}", name)
        return source if fallback_source is None else ChainedIdleSource([source, fallback_source])
    if preference != "auto":
        raise PlatformUnavailable(f"idle source {preference!r} is not available: {reasons[0]}")
    if fallback_source is not None:
        logger.info("no OS idle source ({}); using page input only", "; ".join(reasons))
        return fallback_source
    tried = "; ".join(reasons) or f"none known for platform {platform or sys.platform!r}"
    raise PlatformUnavailable(f"no idle source is available ({tried})")
