"""OS integration: idle sources, OS events, the shutdown delay lock, service-manager hooks.

Each module owns one OS API and imports it lazily, so importing this package is cheap and safe
on every platform. The daemon depends only on the types re-exported here.
"""

from agent.platform.base import (
    CallableIdleSource,
    ChainedIdleSource,
    EventSource,
    IdleSource,
    OsEvent,
    ShutdownInhibitor,
    close_idle_source,
)

__all__ = [
    "CallableIdleSource",
    "ChainedIdleSource",
    "EventSource",
    "IdleSource",
    "OsEvent",
    "ShutdownInhibitor",
    "close_idle_source",
]
