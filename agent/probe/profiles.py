"""Find the profiles of a Chromium-family user data directory (or recognise a single profile)."""

from __future__ import annotations

import json
import re
from pathlib import Path

from agent.errors import ProbeError

LOCAL_STATE = "Local State"
_NUMBERED_PROFILE = re.compile(r"Profile (\d+)")


def is_user_data_dir(path: Path) -> bool:
    """True if path holds a browser's "Local State" or a Default profile."""
    return (path / LOCAL_STATE).is_file() or (path / "Default").is_dir()


def is_profile_dir(path: Path) -> bool:
    """True if path looks like one profile (Preferences or Local Storage, no Local State)."""
    if (path / LOCAL_STATE).exists():
        return False
    return (path / "Preferences").is_file() or (path / "Local Storage").is_dir()


def _listed_in_local_state(user_data_dir: Path) -> list[str]:
    """Return the profile names Local State's profile.info_cache lists (none if unreadable)."""
    try:
        state = json.loads((user_data_dir / LOCAL_STATE).read_text(encoding="utf-8"))
        cache = state["profile"]["info_cache"]
    except (OSError, ValueError, KeyError, TypeError):
        return []
    return [name for name in cache if isinstance(name, str)] if isinstance(cache, dict) else []


def _sort_key(name: str) -> tuple[int, int, str]:
    if name == "Default":
        return (0, 0, name)
    match = _NUMBERED_PROFILE.fullmatch(name)
    return (1, int(match.group(1)), name) if match else (2, 0, name)


def find_profiles(path: Path) -> list[Path]:
    """Given a user data dir, return its profile dirs (Default, Profile N, info_cache entries).

    Given a single profile dir, return [path]. Raise ProbeError if path is not a directory or is
    neither kind.
    """
    try:
        if not path.is_dir():
            raise ProbeError(f"{path} is not a directory")
        if is_profile_dir(path):
            return [path]
        if not is_user_data_dir(path):
            raise ProbeError(
                f"{path} is neither a browser user data dir (no 'Local State', no 'Default') "
                "nor a profile dir (no 'Preferences', no 'Local Storage')"
            )
        names = {entry.name for entry in path.iterdir() if entry.is_dir()}
    except PermissionError as exc:
        raise ProbeError(f"permission denied reading {exc.filename or path}") from exc
    wanted = {name for name in names if name == "Default" or _NUMBERED_PROFILE.fullmatch(name)}
    wanted.update(name for name in _listed_in_local_state(path) if name in names)
    return [path / name for name in sorted(wanted, key=_sort_key)]
