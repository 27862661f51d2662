"""The daemon's clock: the configured time zone; the real clock lives in agent/clock.py."""

from __future__ import annotations

from datetime import tzinfo
from zoneinfo import ZoneInfo

from tzlocal import get_localzone

from agent.clock import SystemClock as SystemClock  # re-exported: the daemon's imports


def resolve_timezone(name: str | None) -> tzinfo:
    """Given an IANA zone name or None, return that zone or the system's local zone."""
    return ZoneInfo(name) if name else get_localzone()
