"""The building blocks of the configuration's tables: the documented field, the strict table,
and the defaults that depend on where kioskguard runs.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from agent.platform import paths

_URL_PATTERN = r"^https?://[^\s/]+(/\S*)?$"


def setting(
    default: Any, description: str, example: Any, *, commented: bool = False, **constraints: Any
) -> Any:
    """Given a default, a description and an example, return a documented pydantic Field.

    A commented example is printed as a comment in the sample configuration: a system path
    (/var/...) a normal user could not write, or a value that differs from machine to machine.
    """
    extra = {"example": example, "commented": True} if commented else {"example": example}
    return Field(default, description=description, json_schema_extra=extra, **constraints)


def default_state_dir() -> Path:
    """Return the state directory: $STATE_DIRECTORY when systemd made one (the system service's
    StateDirectory=, /var/lib/kioskguard), else the per-user $XDG_STATE_HOME/kioskguard
    (~/.local/state/kioskguard); on Windows %LOCALAPPDATA%\\kioskguard (agent.platform.paths)."""
    return paths.state_dir(os.environ)


def default_audit_dir() -> Path | None:
    """Return $LOGS_DIRECTORY when systemd made one (the system service's LogsDirectory=)."""
    systemd_made = os.environ.get("LOGS_DIRECTORY", "").split(":")[0]
    return Path(systemd_made) if systemd_made else None


class Section(BaseModel):
    """A table of the configuration file: unknown keys are errors."""

    model_config = ConfigDict(
        extra="forbid", validate_default=True, allow_inf_nan=False, strict=True
    )
