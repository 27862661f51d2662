"""What the session service learns about a profile from this computer, behind one seam.

Three questions, each answered by reading the host (files, processes, a local port):
- who holds the profile's lock (agent.browser.locks);
- the proven DevTools endpoint of the browser holding it (agent.browser.endpoint);
- what the offline probe finds stored in its files (agent.probe.probe).

SessionService asks them through a ProfileInspector; HostInspector is the real one and the
default, agent.session.fakes.FakeInspector answers from tables in unit tests. Every method may
block (a slow disk, a port that does not answer): callers on an event loop run them in a thread.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Protocol

from agent.browser.endpoint import EndpointCheck, find_endpoint
from agent.browser.locks import ProfileLock, read_lock
from agent.outcome import ProbeResult
from agent.probe.probe import probe_user_data_dir


class ProfileInspector(Protocol):
    """Reads a profile's lock, its browser's proven endpoint and its stored session."""

    def lock(self, user_data_dir: Path) -> ProfileLock:
        """Given a user data dir, return who holds its lock (see agent.browser.locks.read_lock).

        Raise ConfigError if user_data_dir exists but is not a directory."""
        ...

    def endpoint(self, user_data_dir: Path, port: int | None, timeout_s: float) -> EndpointCheck:
        """Given a profile and the configured DevTools port, return the proven endpoint of the
        browser holding it, or why there is none (see agent.browser.endpoint.find_endpoint)."""
        ...

    def stored(self, user_data_dir: Path, url: str) -> list[ProbeResult]:
        """Given a user data dir and the client's URL, return the offline probe of each of its
        profiles. Raise ProbeError if it is no browser's directory; ConfigError for a bad URL."""
        ...


class HostInspector:
    """Implements ProfileInspector on this computer's files, processes and ports."""

    def __init__(self, platform: str = sys.platform) -> None:
        self.platform = platform

    def lock(self, user_data_dir: Path) -> ProfileLock:
        return read_lock(user_data_dir, self.platform)

    def endpoint(self, user_data_dir: Path, port: int | None, timeout_s: float) -> EndpointCheck:
        return find_endpoint(user_data_dir, port, timeout_s, self.platform)

    def stored(self, user_data_dir: Path, url: str) -> list[ProbeResult]:
        return probe_user_data_dir(user_data_dir, url)
