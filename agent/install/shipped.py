"""The service definitions, example configurations and docs shipped inside the package.

The wheel carries the repository's top-level config/ directory as the data directory
agent/shipped (pip always unpacks it to disk) and docs/*.md as agent/shipped/docs; run from a
source checkout (an editable install), the files are read from config/ and docs/ themselves.
"""

from __future__ import annotations

from pathlib import Path

import agent
from agent.install.runner import InstallError

USER_UNIT = "systemd/kioskguard.service"
SYSTEM_UNIT = "systemd/kioskguard-system.service"
LOGIND_DROP_IN = "systemd/logind-kioskguard.conf"
WINDOWS_TASK = "windows/kioskguard-task.xml"
GUARDED_UNIT = "systemd/kioskguard-guarded.service"
GUARDED_POLICIES = "chromium/kioskguard-guarded.json"
GUARDED_GRANT = "desktop/kioskguard-guarded-grant.desktop"
GUARDED_LAUNCHER = "desktop/kioskguard-guarded-browser.desktop"
LINUX_GUIDE = "install-linux.md"  # what the units' Documentation= names


def shipped_root() -> Path:
    """Return the directory holding the shipped files. Raise InstallError if there is none."""
    package = Path(agent.__file__).resolve().parent
    for candidate in (package / "shipped", package.parent / "config"):
        if (candidate / USER_UNIT).is_file():
            return candidate
    raise InstallError(
        "this kioskguard installation lacks its service files (agent/shipped in the package,"
        " or config/ in a checkout): reinstall it from the wheel"
    )


def shipped_text(relative: str) -> str:
    """Given a path under config/ (e.g. "systemd/kioskguard.service"), return its text.

    Raise InstallError if the file is missing.
    """
    entry = shipped_root() / relative
    if not entry.is_file():
        raise InstallError(f"shipped file {relative} is missing from this installation")
    return entry.read_text(encoding="utf-8")


def documentation(name: str) -> Path:
    """Given a file name under docs/ (e.g. "install-linux.md"), return its installed copy.

    Raise InstallError if this installation lacks it.
    """
    root = shipped_root()
    for candidate in (root / "docs" / name, root.parent / "docs" / name):
        if candidate.is_file():
            return candidate
    raise InstallError(f"documentation {name} is missing from this installation")
