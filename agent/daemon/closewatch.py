"""Know at once that a profile's browser closed: wait on the process that holds its lock.

The browser holding a profile is the PID in its SingletonLock (agent/browser/locks.py, LIVE:
a browser of this computer, by its executable's name). The wait itself is the platform's
(agent/platform/procwatch.py: pidfd on Linux, polling elsewhere). Before the wait starts, the
lock is read once more: the PID is still the lock's holder, so a number reused by another process
in between is never waited on. A browser that exits leaves its SingletonLock behind when it
dies hard; read_lock reports it STALE (no browser running), and the cold logout clears it.

On Windows the lock (``lockfile``) names no PID: no wait, and the daemon's browser poll
(check.browser_poll_s) is what sees the close.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from agent.browser.locks import LockState, ProfileLock, read_lock
from agent.platform.procwatch import ProcessWaiter
from agent.settings import ProfileSettings

LockReader = Callable[[Path], ProfileLock]


class LockedBrowserExit:
    """A BrowserExitWatch (agent/daemon/ports.py) on the SingletonLock's PID."""

    def __init__(self, waiter: ProcessWaiter, read: LockReader = read_lock) -> None:
        self.waiter = waiter
        self.name = waiter.name
        self._read = read

    async def wait_closed(self, profile: ProfileSettings) -> bool:
        """Given a profile, return True once the browser holding it now has exited; False at
        once if no live browser of this computer holds it (nothing to wait on).

        Raise ConfigError if the user data dir is not a directory; OSError if the OS refuses
        the wait.
        """
        lock = self._read(profile.user_data_dir)
        if lock.state is not LockState.LIVE or lock.pid is None:
            return False
        pid = lock.pid

        def still_meant() -> bool:
            again = self._read(profile.user_data_dir)
            return again.state is LockState.LIVE and again.pid == pid

        return await self.waiter.wait_exit(pid, still_meant)
