"""Loading: find the configuration file, read its TOML, and validate it with the environment
over it, every problem reported at once (InvalidSettings).
"""

from __future__ import annotations

import os
import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from pydantic import ValidationError
from pydantic_settings import SettingsError

from agent.errors import ConfigError
from agent.platform import paths
from agent.settings.describe import InvalidSettings, describe_errors
from agent.settings.environment import _ENVIRONMENT
from agent.settings.model import Settings
from agent.settings.origins import environment_origins


def default_config_file() -> Path | None:
    """Return the configuration file used when none is named, if it exists: the system
    service's $CONFIGURATION_DIRECTORY/kioskguard.toml (/etc/kioskguard), else the user's
    $XDG_CONFIG_HOME/kioskguard/kioskguard.toml (~/.config/kioskguard/kioskguard.toml); on
    Windows the user's %APPDATA%, else the machine's %ProgramData% (agent.platform.paths)."""
    return next((path for path in paths.config_candidates(os.environ) if path.is_file()), None)


def read_toml(path: Path) -> dict[str, Any]:
    """Given a TOML file, return its tables. Raise ConfigError if missing, unreadable, or bad."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError as exc:
        raise ConfigError(f"{path}: no such file") from exc
    except IsADirectoryError as exc:
        raise ConfigError(f"{path}: is a directory, not a configuration file") from exc
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: cannot be read: {exc}") from exc
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: TOML syntax error: {exc}") from exc


def load_settings(
    path: Path | None = None,
    *,
    use_environment: bool = True,
    environment: Mapping[str, str] | None = None,
) -> Settings:
    """Given a TOML file (or none), return the settings with environment overrides applied.

    environment replaces the process environment (tests); use_environment=False ignores it
    (check-config). Booleans and numbers are strict: ``"yes"``, ``"30"`` or ``true`` for a
    number are errors (the environment's rule: see the module docstring).
    Raise ConfigError if the file cannot be read, InvalidSettings listing every problem (file
    and environment together).
    """
    data = read_toml(path) if path is not None else {}
    if not use_environment:
        environment = {}
    token = _ENVIRONMENT.set(environment)
    try:
        return Settings(**data)
    except SettingsError as exc:  # not expected: EnvironmentSource passes bad JSON on as text
        raise ConfigError(f"environment: {exc}") from exc
    except ValidationError as exc:
        source = str(path) if path is not None else "environment"
        origins = environment_origins(os.environ if environment is None else environment)
        raise InvalidSettings(describe_errors(source, exc, origins)) from exc
    finally:
        _ENVIRONMENT.reset(token)
