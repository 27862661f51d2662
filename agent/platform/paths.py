"""Where kioskguard keeps its configuration and its state, by each platform's conventions.

One set of rules for the daemon's defaults (agent.settings), the one-shot commands' default
--config and the installer (agent.install.targets):

- Linux: configuration in $CONFIGURATION_DIRECTORY/kioskguard.toml (the system service's
  /etc/kioskguard) or $XDG_CONFIG_HOME/kioskguard/kioskguard.toml (~/.config/...); state in
  $STATE_DIRECTORY (/var/lib/kioskguard) or $XDG_STATE_HOME/kioskguard (~/.local/state/...).
- Windows, platformdirs' rules read from the same environment variables the scheduled task
  expands (so the task and the daemon cannot disagree): the user's configuration in
  %APPDATA%\\kioskguard\\kioskguard.toml, the machine-wide one (`install --system`) in
  %ProgramData%\\kioskguard\\kioskguard.toml; state in %LOCALAPPDATA%\\kioskguard. The daemon runs
  as the logged-on user in both modes (the task's principal), and %ProgramData% is not writable
  by users, so state is per user in both.
"""

from __future__ import annotations

import sys
from collections.abc import Mapping
from pathlib import Path

APP = "kioskguard"
CONFIG_NAME = "kioskguard.toml"


def _windows_home(environ: Mapping[str, str]) -> Path:
    return Path(environ.get("USERPROFILE") or Path.home())


def _first(environ: Mapping[str, str], name: str) -> str:
    """Given $NAME, return its first entry (systemd passes colon-separated lists)."""
    return environ.get(name, "").split(":")[0]


def _windows(environ: Mapping[str, str], name: str, fallback: Path) -> Path:
    value = environ.get(name)
    return Path(value) if value else fallback


def windows_user_config_dir(environ: Mapping[str, str]) -> Path:
    """Given the environment, return %APPDATA%\\kioskguard."""
    return _windows(environ, "APPDATA", _windows_home(environ) / "AppData" / "Roaming") / APP


def windows_machine_config_dir(environ: Mapping[str, str]) -> Path:
    """Given the environment, return %ProgramData%\\kioskguard."""
    return _windows(environ, "ProgramData", Path("C:/ProgramData")) / APP


def windows_state_dir(environ: Mapping[str, str]) -> Path:
    """Given the environment, return %LOCALAPPDATA%\\kioskguard."""
    return _windows(environ, "LOCALAPPDATA", _windows_home(environ) / "AppData" / "Local") / APP


def state_dir(environ: Mapping[str, str], platform: str | None = None) -> Path:
    """Given the environment and sys.platform (default: this one), return the state directory."""
    if (platform or sys.platform) == "win32":
        return windows_state_dir(environ)
    systemd_made = _first(environ, "STATE_DIRECTORY")
    if systemd_made:
        return Path(systemd_made)
    base = environ.get("XDG_STATE_HOME") or str(Path.home() / ".local" / "state")
    return Path(base) / APP


def config_candidates(environ: Mapping[str, str], platform: str | None = None) -> list[Path]:
    """Given the environment and sys.platform, return the configuration files to look for, in
    order: the first that exists is read when no --config is given."""
    if (platform or sys.platform) == "win32":
        return [
            windows_user_config_dir(environ) / CONFIG_NAME,
            windows_machine_config_dir(environ) / CONFIG_NAME,
        ]
    systemd_made = _first(environ, "CONFIGURATION_DIRECTORY")
    base = environ.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
    candidates = [Path(systemd_made) / CONFIG_NAME] if systemd_made else []
    return [*candidates, Path(base) / APP / CONFIG_NAME]
