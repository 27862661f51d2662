"""What both ways into a browser share: the client tab's traffic log and origin matching."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field

from agent.errors import ConfigError
from agent.urls import origin_of


def same_origin(url: str, origin: str) -> bool:
    """Return True when url belongs to origin (ws/wss count as http/https); False for URLs
    without an origin."""
    url = url.replace("ws://", "http://", 1).replace("wss://", "https://", 1)
    try:
        return origin_of(url) == origin
    except ConfigError:
        return False


@dataclass
class NetworkLog:
    """What the client's page exchanged with its own origin, stamped with clock() (the clock
    the logout's deadlines use: the session service passes its own down through the driver)."""

    origin: str
    answered: list[float] = field(default_factory=list)
    failed: list[float] = field(default_factory=list)
    navigations: list[float] = field(default_factory=list)
    clock: Callable[[], float] = field(default=time.monotonic, repr=False, compare=False)

    def unlink_seen(self, since: float, until: float) -> bool | None:
        """Given the confirm click and the QR time, say whether the unpair reached the server.

        The window ends at the first main-frame navigation after the click (the client
        reloads once its unpair finished or timed out). True: the origin answered and
        nothing failed; False: a request to the origin failed or was aborted; None: no traffic.
        """
        navigations = [moment for moment in self.navigations if moment >= since]
        end = min([until, *navigations])
        if any(since <= moment <= end for moment in self.failed):
            return False
        if any(since <= moment <= end for moment in self.answered):
            return True
        return None
