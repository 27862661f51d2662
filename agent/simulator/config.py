"""The simulator's configuration: one typed model, strict validation, clear error messages.

Every field can be changed at run time through ``POST /api/sim/config`` (JSON, strict types) and
overridden for one page through its query string (``/?layout=rail&locale=es``, text coerced).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Literal, get_args

from pydantic import BaseModel, ConfigDict, Field, ValidationError

Layout = Literal["classic", "rail"]
Locale = Literal["en", "es", "pt-BR", "id", "de", "fr"]
ConfirmVariant = Literal["plain", "still_sending", "app_lock"]
ForcedScreen = Literal["another_session", "conflict"]

LAYOUTS: tuple[str, ...] = get_args(Layout)
LOCALES: tuple[str, ...] = get_args(Locale)
CONFIRM_VARIANTS: tuple[str, ...] = get_args(ConfirmVariant)


class ConfigInputError(ValueError):
    """Bad configuration input; the message names the field and what is allowed."""


class SimConfig(BaseModel):
    """What the simulated client looks like and which faults it injects."""

    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)

    layout: Layout = Field(
        default="rail", description="classic (three-dot menu) or rail (2024+ nav)"
    )
    locale: Locale = Field(default="en", description="language of every UI string and aria-label")
    startup_delay_ms: int = Field(
        default=300,
        ge=0,
        le=60_000,
        description="startup progress bar time while a stored session is restored",
    )
    qr_delay_ms: int = Field(
        default=0,
        ge=0,
        le=60_000,
        description="progress bar time before the QR screen when no session is stored",
    )
    menu_delay_ms: int = Field(default=0, ge=0, le=60_000, description="delay before menus appear")
    notification_banner: bool = Field(default=False, description="'Turn on desktop notifications'")
    whats_new_modal: bool = Field(
        default=False, description="a modal over the chats, blocks clicks"
    )
    offline_banner: bool = Field(default=False, description="'Computer not connected' banner")
    confirm_variant: ConfirmVariant = Field(default="plain", description="logout confirmation body")
    drop_unpair: bool = Field(default=False, description="server never answers the unpair request")
    keys_survive_logout: bool = Field(default=False, description="logout leaves localStorage keys")
    force_screen: ForcedScreen | None = Field(
        default=None, description="show this screen on resume"
    )
    testids: bool = Field(default=False, description="emit data-testid attributes")
    qr_rotate_seconds: float = Field(default=20.0, gt=0, le=3600, description="QR token lifetime")


FIELDS: tuple[str, ...] = tuple(SimConfig.model_fields)
_NULL_WORDS = {"", "null", "none"}


def _describe(error: Mapping[str, Any]) -> str:
    """Given one pydantic error, return 'field: problem (got value)'."""
    field = ".".join(str(part) for part in error["loc"][:1]) or "config"
    if error["type"] == "extra_forbidden":
        return f"unknown field {field!r}; allowed fields: {', '.join(FIELDS)}"
    message = error["msg"]
    if error["type"] == "literal_error":
        message = f"must be one of {error['ctx']['expected']}"
    return f"field {field!r}: {message} (got {error['input']!r})"


def _validate(data: Mapping[str, Any], strict: bool) -> SimConfig:
    try:
        return SimConfig.model_validate(dict(data), strict=strict)
    except ValidationError as exc:
        errors = exc.errors(include_url=False)
        raise ConfigInputError("; ".join(_describe(error) for error in errors)) from None


def updated(config: SimConfig, changes: object) -> SimConfig:
    """Given a config and a JSON object of changes, return the new config.

    Raise ConfigInputError if ``changes`` is not an object, names an unknown field, or holds a
    value of the wrong type or outside the allowed range.
    """
    if not isinstance(changes, dict):
        raise ConfigInputError("the body must be a JSON object of config fields")
    return _validate({**config.model_dump(), **changes}, strict=True)


def with_overrides(config: SimConfig, query: Mapping[str, str]) -> SimConfig:
    """Given a config and query-string overrides (text), return the page's effective config.

    Parameters outside the config fields (post_logout, ...) are ignored. Raise
    ConfigInputError if a value cannot be read as its field's type.
    """
    changes: dict[str, Any] = {}
    for name, text in query.items():
        if name not in FIELDS:
            continue
        changes[name] = None if name == "force_screen" and text.lower() in _NULL_WORDS else text
    return _validate({**config.model_dump(), **changes}, strict=False)
