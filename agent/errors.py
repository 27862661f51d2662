"""The exception tree of kioskguard.

    KioskguardError
    +-- ConfigError          bad configuration or command-line input (exit 2)
    |   +-- InvalidSettings  the configuration breaks the model; lists every problem (settings)
    +-- BrowserNotFound      no usable Chromium-family browser (lists what was tried)
    +-- ProfileBusy          the profile is held by a browser the agent cannot attach to
    +-- ProbeError           the offline probe could not read a profile
    +-- DriverError          the browser failed under automation (foreign errors wrapped here)
    |   +-- BrowserClosed    the browser (or the connection to it) went away
    |   +-- DeadlineExceeded an operation did not finish inside its deadline
    +-- PlatformUnavailable  an OS facility (idle source, logind, X11, ...) cannot be used here
    +-- LockHeld             another process holds a file lock (agent/platform/filelock.py)
    +-- StateFileError       the daemon's state file cannot be read (agent/daemon/state.py)
    +-- AuditWriteError      an audit line could not be written (agent/audit.py)
    +-- InstallError         the service could not be installed (agent/install/runner.py)
    +-- FleetError           the broker cannot be reached, refused us, or the connection broke

Not KioskguardErrors, each caught where it is raised or belonging to a test double:
    BadCommand           a fleet command the kiosk refuses; answered on MQTT (fleet/topics.py)
    LabelTableError      a ValueError: labels.toml is malformed, checked at build time
    TriggerTableError    a ValueError: the trigger table misses or adds a trigger (import time)
    UnknownTrigger       a LookupError: a trigger with no row was asked about (daemon/triggers.py)
    ApiError, SimulatorError, ConfigInputError, TooManyDevices   the simulator's (simulator/)
    BrokerUnavailable    a RuntimeError: no Mosquitto for the tests (fleet/testing.py)

Foreign exceptions (Playwright, OS, D-Bus) are converted at the seam that calls them:
``raise DriverError("...") from exc``.
"""

from __future__ import annotations


class KioskguardError(Exception):
    """Base class of every error kioskguard raises on purpose."""

    default_message = "kioskguard failed"

    def __init__(self, message: str | None = None) -> None:
        super().__init__(message or self.default_message)


class ConfigError(KioskguardError):
    default_message = "invalid configuration"


class BrowserNotFound(KioskguardError):
    default_message = "no usable Chromium-family browser was found"


class ProfileBusy(KioskguardError):
    default_message = "the browser profile is in use by a browser the agent cannot attach to"


class ProbeError(KioskguardError):
    default_message = "the browser profile could not be read"


class DriverError(KioskguardError):
    default_message = "the browser failed under automation"


class BrowserClosed(DriverError):
    default_message = "the browser (or the connection to it) went away"


class DeadlineExceeded(DriverError):
    default_message = "the operation did not finish inside its deadline"


class PlatformUnavailable(KioskguardError):
    default_message = "the operating-system facility is not available"
