"""One guard per profile on the machine, whatever its state directory.

`kioskguard run` holds an exclusive flock on a read-only descriptor of each guarded profile's
directory (its real path, symlinks resolved) for as long as it runs, across reloads. The anchor
is the profile itself, so two daemons with different state directories (or configuration
files) still meet there, and it needs no write: a full disk cannot stop a start. Chromium does
not flock its user data directory (it uses SingletonLock), so a running browser never blocks
the guard, and the guard never blocks the browser. `kioskguard logout` does not take this lock:
it takes the profile's logout turn (agent/browser/logout_lock.py), which waits for the daemon's
logout of that profile.

A start that finds a profile guarded is refused, naming the holder (pid, command line, uid),
when the holder runs under our own account or root, or cannot be identified: a second guard,
or the admin's. A holder under another account is not a guard of ours: flock needs only read
access to the directory, and the visitor's browser runs with that access, so a visitor could
take the lock to keep the guard away. Then the guard guards anyway, logs an error naming the
holder, and keeps trying to take the lock (``retry``): refusing would leave the profile with no
guard at all, silently for whoever does not read the log.
A profile directory that does not exist yet is not created (made by the guard's account it
could be unusable by the visitor's browser); its lock is taken by ``retry`` once it appears.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Sequence

from loguru import logger

from agent.errors import ConfigError
from agent.platform.filelock import try_lock
from agent.platform.lock_holders import Holder, describe_holders, flock_holders
from agent.settings import ProfileSettings

HolderReader = Callable[[int], list[Holder]]


class ProfileGuards:
    """The guard locks this process holds, by the profile directory's real path."""

    def __init__(self, holders: HolderReader = flock_holders) -> None:
        self.holders = holders
        self._held: dict[str, int] = {}
        self.contested: dict[str, str] = {}  # real path -> who else holds it (another account)

    def held(self) -> list[str]:
        """Return the real paths whose guard lock this process holds."""
        return sorted(self._held)

    def hold(self, profiles: Sequence[ProfileSettings]) -> None:
        """Take the guard lock of every profile, keeping those already held (a reload calls it
        before the new configuration applies, then ``keep_only``).

        Raise ConfigError naming the holder if another guard (our account, root, or a holder
        /proc does not name) holds one; the locks taken by this call are then released.
        """
        if sys.platform == "win32":
            return  # directories cannot be locked there: documented, not enforced
        wanted = {os.path.realpath(profile.user_data_dir): profile for profile in profiles}
        taken: list[str] = []
        try:
            for path, profile in wanted.items():
                if path not in self._held and self._take(path, profile):
                    taken.append(path)
        except BaseException:
            for path in taken:
                self._release(path)
            raise

    def keep_only(self, profiles: Sequence[ProfileSettings]) -> None:
        """Release the locks of profiles no longer guarded (after a reload applied)."""
        wanted = {os.path.realpath(profile.user_data_dir) for profile in profiles}
        for path in [path for path in self._held if path not in wanted]:
            self._release(path)
        for path in [path for path in self.contested if path not in wanted]:
            del self.contested[path]

    def retry(self) -> None:
        """Try again to take the locks another account held at start, or of profile
        directories that did not exist yet (see the module)."""
        for path in list(self.contested):
            descriptor = _open(path)
            if descriptor is None:
                continue
            if try_lock(descriptor):
                self._held[path] = descriptor
                del self.contested[path]
                logger.info("{}: guard lock taken (no other holder now)", path)
                continue
            if self.contested[path].startswith("nobody"):
                self.contested[path] = describe_holders(self.holders(descriptor))
                logger.error(
                    "{}: the new profile directory is locked by {}: another guard may run",
                    path,
                    self.contested[path],
                )
            os.close(descriptor)

    def guard_state(self, user_data_dir: str) -> str:
        """Return "held", "contested by ..." or "not held" for a profile directory."""
        path = os.path.realpath(user_data_dir)
        if path in self._held:
            return "held"
        if path in self.contested:
            return f"contested by {self.contested[path]}"
        return "not held"

    def release_all(self) -> None:
        for path in list(self._held):
            self._release(path)
        self.contested.clear()

    def _take(self, path: str, profile: ProfileSettings) -> bool:
        """Return True once the lock is held, False if guarding goes on without it."""
        descriptor = _open(path)
        if descriptor is None and not os.path.lexists(path):
            # Not created here: made by this account it could be unusable by the visitor's
            # browser. Until it appears (retry), a second guard of it is not refused.
            self.contested[path] = "nobody yet (the directory does not exist)"
            logger.info(
                "{}: profile {} does not exist yet; its guard lock is taken when it does",
                profile.name,
                path,
            )
            return False
        if descriptor is None:
            logger.error(
                "{}: profile {} cannot be opened to take its guard lock: a second guard of it"
                " would not be refused",
                profile.name,
                path,
            )
            return False
        if try_lock(descriptor):
            self._held[path] = descriptor
            return True
        holders = self.holders(descriptor)
        os.close(descriptor)
        named = describe_holders(holders)
        if holders and all(holder.uid not in (None, 0, os.getuid()) for holder in holders):
            self.contested[path] = named
            logger.error(
                "{}: profile {} is locked by {}, a process of another account, not a guard:"
                " guarding it anyway, and taking the lock once it is free",
                profile.name,
                path,
                named,
            )
            return False
        raise ConfigError(
            f"profile {profile.name} ({path}) is already guarded by {named}: one guard per"
            " profile; stop that one first"
        )

    def _release(self, path: str) -> None:
        descriptor = self._held.pop(path, None)
        if descriptor is not None:
            os.close(descriptor)  # closing releases the lock


def _open(path: str) -> int | None:
    try:
        return os.open(path, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
    except OSError:
        return None
