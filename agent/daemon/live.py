"""What the daemon last saw in each profile's running page, for when the disk has not caught up.

Chromium keeps localStorage writes in memory and commits them to its LevelDB about five seconds
later; a browser closed within that window (SIGTERM, a visitor's quick close) never writes the
session at all, although the phone lists the device. The offline probe then finds nothing
stored, and "nothing to do" would be a success report the agent did not see.

So while a profile's browser runs, the daemon reads the client tab's own keys (the browser
watch, every check.browser_poll_s, and the fleet's status reading) and remembers the last reading
here. When a later logout of that profile finds nothing to do from the disk (the offline probe
found no keys, or a cold relaunch found the QR) although the last live reading said linked,
settle() turns it into local_only: the live session never reached the disk, so no logout can
reach it on this PC, and the device may still be listed on the phone. Keys on disk are not proof
that they are the live session's: a removal Chromium never stored leaves an older session's keys
(measured in the fleet tests), which the cold relaunch then shows as the QR.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from agent.outcome import LOCAL_ONLY_NOTE, Linked, LogoutPath, Outcome, Result


@dataclass(frozen=True)
class LiveReading:
    """One reading of a running browser's client tab: linked or not, when, and the disk then."""

    linked: Linked
    at: datetime
    on_disk: bool  # the offline probe said LINKED at the time of this reading (for the notes)


class LiveMemory:
    """The last live reading per profile name (kept in memory only: a restart forgets it)."""

    def __init__(self) -> None:
        self._last: dict[str, LiveReading] = {}

    def seen(self, profile: str, reading: LiveReading) -> bool:
        """Remember the reading; return True when it is news worth logging (the page holds a
        session, after no reading or one that said otherwise)."""
        news = reading.linked is Linked.LINKED and self.unflushed(profile) is None
        self._last[profile] = reading
        return news

    def last(self, profile: str) -> LiveReading | None:
        """Return the last live reading of the profile, None if none since the last logout."""
        return self._last.get(profile)

    def unflushed(self, profile: str) -> LiveReading | None:
        """Return the last reading if it said linked: a session the disk may not have (or an
        older one). None otherwise."""
        reading = self._last.get(profile)
        return reading if reading is not None and reading.linked is Linked.LINKED else None

    def forget(self, profile: str) -> None:
        """Drop the profile's reading (its logout reported; a new reading starts afresh)."""
        self._last.pop(profile, None)

    def settle(self, outcome: Outcome) -> Outcome:
        """Given a logout's outcome, return it, made local_only if it found nothing to do while
        the last live reading said linked and the logout did not read the live page itself (the
        offline probe or a cold relaunch: the disk's verdict); forget the reading once a logout
        reported. A logout that found the keys on disk ran and verified as usual: it is kept, and
        so is a warm logout's own reading of the page.
        """
        reading = self.unflushed(outcome.profile)
        if outcome.result is not Result.FAILED:
            self.forget(outcome.profile)
        if (
            reading is None
            or outcome.result is not Result.NOTHING_TO_DO
            or outcome.path is LogoutPath.WARM
        ):
            return outcome
        outcome.result = Result.LOCAL_ONLY
        outcome.verified = False
        outcome.device_unlinked = None
        outcome.state_before = Linked.LINKED
        outcome.error = (
            f"the session was live at {reading.at:%H:%M:%S} but never reached the disk (the"
            " browser closed before Chromium stored it): nothing on this PC to log out"
        )
        stored = "keys of another session" if reading.on_disk else "no keys"
        outcome.notes.append(
            f"the page held the session keys at {reading.at:%H:%M:%S}; the disk held {stored}"
        )
        outcome.notes.append(LOCAL_ONLY_NOTE)
        return outcome
