"""The one rule for a browser user data directory the agent may touch, below every layer.

A path names a profile the agent may probe, relaunch or create only when, symlinks resolved,
it is not ``/`` (or a drive root), not the home directory or one of its parents, not a system
directory, and is either a Chromium user data directory (recognised by what Chromium puts at
its top: ``Local State``, ``Default/``, ``Profile N/``, the ``Singleton*`` links...) or an empty
or missing directory (a fresh managed profile: ``kioskguard browser`` creates it, and Chromium
fills it at its first start). The settings model (agent/settings/), check-config and the
commands (--profile) all call ``checked_user_data_dir``.
"""

from __future__ import annotations

import contextlib
import os
import re
import sys
from pathlib import Path

from agent.errors import ConfigError

ALLOWED = (
    "allowed: a Chromium user data directory (one holding Local State, Default/, Profile N/ or"
    " SingletonLock), or an empty or missing directory the agent may create; never /, the home"
    " directory or its parents, or a system directory"
)
# What Chromium writes at the top of a user data directory, one of which is enough to know it.
MARKER_FILES = frozenset(
    {
        "Local State",
        "SingletonLock",
        "SingletonSocket",
        "SingletonCookie",
        "lockfile",  # Windows' SingletonLock
        "First Run",
        "Last Version",
        "Last Browser",
        "DevToolsActivePort",
    }
)
# What one profile (Default/, Profile N/) holds: a user data dir's child, never one itself.
PROFILE_MARKERS = frozenset({"Preferences", "Local Storage", "IndexedDB", "Secure Preferences"})
MARKER_DIRECTORIES = re.compile(r"^(Default|Profile \d+|Guest Profile|System Profile)$")
# Directories of the operating system itself (their subdirectories may hold profiles, as
# /var/lib/kioskguard/browser-profile does; pseudo file systems never do).
SYSTEM_DIRECTORIES = frozenset(
    Path(name)
    for name in (
        "/bin", "/boot", "/dev", "/etc", "/home", "/lib", "/lib32", "/lib64", "/libx32",
        "/media", "/mnt", "/opt", "/proc", "/root", "/run", "/sbin", "/snap", "/srv", "/sys",
        "/tmp", "/usr", "/usr/bin", "/usr/lib", "/usr/local", "/usr/sbin", "/usr/share", "/var",
        "/var/lib", "/var/log", "/var/tmp", "/var/cache", "/Applications", "/Library",
        "/System", "/Users", "/Volumes", "/private",
    )
)  # fmt: skip
PSEUDO_FILE_SYSTEMS = (Path("/proc"), Path("/sys"), Path("/dev"))
_WINDOWS_SYSTEM_VARIABLES = ("SYSTEMROOT", "WINDIR", "PROGRAMFILES", "PROGRAMFILES(X86)")
SHOWN_ENTRIES = 3
UNREADABLE = "cannot be looked into by this user"


class ProfilePathError(ConfigError):
    """A user data directory the agent must not touch: ``problem`` says why, in words."""

    def __init__(self, value: str, resolved: Path | None, problem: str) -> None:
        self.value, self.resolved, self.problem = value, resolved, problem
        super().__init__(f"{value!r}: {self.reason}")

    @property
    def unreadable(self) -> bool:
        """Return True when the path could not be looked into (permissions), not refused."""
        return self.problem.startswith(UNREADABLE)

    @property
    def reason(self) -> str:
        """Return the sentence after the value: ``resolves to /: is the root directory;
        allowed: ...`` (what it resolves to only when that differs from the value)."""
        differs = self.resolved is not None and str(self.resolved) != self.value
        where = f"resolves to {self.resolved}: " if differs else ""
        return f"{where}{self.problem}; {ALLOWED}"


def _homes() -> set[Path]:
    """Return the resolved home directories: this user's, and on POSIX every account's."""
    homes: set[Path] = set()
    with contextlib.suppress(RuntimeError, KeyError, OSError):  # no home known: none to protect
        homes.add(Path(os.path.realpath(Path.home())))
    if sys.platform != "win32":
        import pwd  # POSIX only

        homes.update(
            Path(os.path.realpath(entry.pw_dir))
            for entry in pwd.getpwall()
            if entry.pw_dir not in {"", "/"}
        )
    return homes


def _system_directories() -> set[Path]:
    """Return the system directories, with Windows' own where the environment names them."""
    directories = set(SYSTEM_DIRECTORIES)
    for variable in _WINDOWS_SYSTEM_VARIABLES:
        value = os.environ.get(variable)
        if value:
            directories.add(Path(os.path.realpath(value)))
    return directories


def forbidden_reason(resolved: Path) -> str | None:
    """Given a resolved absolute path, return why no profile may live there, or None."""
    if resolved == Path(resolved.anchor):
        return "is the root directory"
    homes = _homes()
    if resolved in homes:
        return "is a home directory"
    if any(resolved in home.parents for home in homes):
        return "is a parent of a home directory"
    if resolved in _system_directories():
        return "is a system directory"
    if any(resolved == root or root in resolved.parents for root in PSEUDO_FILE_SYSTEMS):
        return "is inside a pseudo file system of the kernel"
    return None


def is_chromium_user_data_dir(entries: list[str], directory: Path) -> bool:
    """Given a directory's entry names, return True when one of them is Chromium's."""
    for name in entries:
        if name in MARKER_FILES or name.startswith("Singleton"):
            return True
        if MARKER_DIRECTORIES.match(name) and (directory / name).is_dir():
            return True
    return False


def content_reason(resolved: Path) -> str | None:
    """Given a resolved path, return why its content is not a profile's, or None (a profile,
    an empty directory or a missing one)."""
    try:
        if not resolved.exists():
            return None
        if not resolved.is_dir():
            return "is a file, not a directory"
        entries = sorted(os.listdir(resolved))
    except OSError as exc:
        return f"{UNREADABLE}: {exc.strerror or exc}"
    if not entries or is_chromium_user_data_dir(entries, resolved):
        return None
    if PROFILE_MARKERS & set(entries):
        return (
            "is one browser profile, not a user data directory (it holds"
            f" {', '.join(sorted(PROFILE_MARKERS & set(entries)))}): name the directory above"
            f" it, {resolved.parent}"
        )
    shown = ", ".join(entries[:SHOWN_ENTRIES]) + (", ..." if len(entries) > SHOWN_ENTRIES else "")
    return f"is not a Chromium user data directory and not empty (it holds {shown})"


def checked_user_data_dir(value: str | os.PathLike[str]) -> Path:
    """Given a user data directory as written (a string or a path), return it resolved.

    Raise ProfilePathError if it is empty, or resolves to a place the rule forbids (see the
    module docstring). Nothing is created or written.
    """
    text = os.fspath(value)
    if not text.strip():
        raise ProfilePathError(text, None, "is empty")
    if text.startswith("~"):  # neither the shell nor TOML expanded it: a directory named "~"
        raise ProfilePathError(text, None, "starts with ~, which is not expanded: write it out")
    try:
        resolved = Path(os.path.realpath(text))
    except (OSError, ValueError) as exc:
        raise ProfilePathError(text, None, f"cannot be resolved: {exc}") from exc
    problem = forbidden_reason(resolved) or content_reason(resolved)
    if problem is not None:
        raise ProfilePathError(text, resolved, problem)
    return resolved
