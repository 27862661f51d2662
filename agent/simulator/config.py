"""The simulator's configuration: one typed model, strict validation, clear error messages.

Every field can be changed at run time through ``POST /api/sim/config`` (JSON, strict types) and
overridden for one page through its query string (``/?generation=wds-2026&locale=es``, text
coerced). ``layout`` (classic | rail) is an alias kept for older callers: classic means
classic-2023, rail means rail-2024; it is read back as the generation's family.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Literal, get_args

from pydantic import BaseModel, ConfigDict, Field, ValidationError, computed_field, model_validator

Generation = Literal["classic-2021", "classic-2023", "rail-2024", "wds-2026"]
Layout = Literal["classic", "rail"]
Locale = Literal["en", "es", "pt-BR", "id", "de", "fr", "en-XA", "x-words"]
ConfirmVariant = Literal["plain", "still_sending", "app_lock"]
ForcedScreen = Literal["another_session", "conflict"]

GENERATIONS: tuple[str, ...] = get_args(Generation)
LAYOUTS: tuple[str, ...] = get_args(Layout)
# The generation each layout name stands for (the alias older callers use).
LAYOUT_GENERATIONS: dict[str, str] = {"classic": "classic-2023", "rail": "rail-2024"}
ALL_LOCALES: tuple[str, ...] = get_args(Locale)
# Pseudo-locales: no agent table holds them (accented English, invented words).
PSEUDO_LOCALES: tuple[str, ...] = ("en-XA", "x-words")
# Real languages, the ones the client ships (older callers iterate these).
LOCALES: tuple[str, ...] = tuple(code for code in ALL_LOCALES if code not in PSEUDO_LOCALES)
MAX_SEED = 2**31 - 1
CONFIRM_VARIANTS: tuple[str, ...] = get_args(ConfirmVariant)


class ConfigInputError(ValueError):
    """Bad configuration input; the message names the field and what is allowed."""


class SimConfig(BaseModel):
    """What the simulated client looks like and which faults it injects."""

    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)

    generation: Generation = Field(
        default="rail-2024",
        description="markup generation: classic-2021, classic-2023, rail-2024, wds-2026",
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
    covering_banner: bool = Field(
        default=False,
        description="'Turn on desktop notifications' laid over the chat list's header (its menu)"
        " in #side, above #pane-side, until its close button is clicked",
    )
    covering_toast_ms: int = Field(
        default=0,
        ge=0,
        le=60_000,
        description="a toast over the chat list's header for this long once the chats show",
    )
    confirm_variant: ConfirmVariant = Field(default="plain", description="logout confirmation body")
    drop_unpair: bool = Field(default=False, description="server never answers the unpair request")
    keys_survive_logout: bool = Field(default=False, description="logout leaves localStorage keys")
    force_screen: ForcedScreen | None = Field(
        default=None, description="show this screen on resume"
    )
    testids: bool = Field(default=False, description="emit data-testid attributes")
    qr_rotate_seconds: float = Field(default=20.0, gt=0, le=3600, description="QR token lifetime")
    client_api: bool = Field(
        default=True, description="the client's own modules through window.require"
    )
    mutate: int | None = Field(
        default=None, ge=0, le=MAX_SEED, description="seed of the markup mutator (None: off)"
    )
    strip_controls: bool = Field(
        default=False, description="openers, Log out item and confirm lose every evidence"
    )

    @model_validator(mode="before")
    @classmethod
    def _layout_alias(cls, data: Any) -> Any:
        """Read ``layout`` (classic | rail) as the generation it stands for."""
        if not isinstance(data, dict) or "layout" not in data:
            return data
        data = dict(data)
        layout = data.pop("layout")
        if layout not in LAYOUT_GENERATIONS:
            raise ValueError(
                f"field 'layout' must be 'classic' or 'rail' (an alias of 'generation': "
                f"classic = classic-2023, rail = rail-2024) (got {layout!r})"
            )
        generation = data.get("generation")
        if generation is None:
            data["generation"] = LAYOUT_GENERATIONS[layout]
        elif not (isinstance(generation, str) and generation.startswith(layout)):
            raise ValueError(
                f"fields 'layout' ({layout!r}) and 'generation' ({generation!r}) disagree; "
                "give only 'generation'"
            )
        return data

    @computed_field  # type: ignore[prop-decorator]
    @property
    def layout(self) -> Layout:
        """The generation's family: classic (three-dot menu) or rail (navigation rail)."""
        return "classic" if self.generation.startswith("classic") else "rail"


FIELDS: tuple[str, ...] = (*SimConfig.model_fields, "layout")
_NULL_WORDS = {"", "null", "none"}
_NULLABLE = {"force_screen", "mutate"}


def _describe(error: Mapping[str, Any]) -> str:
    """Given one pydantic error, return 'field: problem (got value)'."""
    field = ".".join(str(part) for part in error["loc"][:1]) or "config"
    if error["type"] == "value_error" and not error["loc"]:
        return str(error["ctx"]["error"])
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
    return _validate(_merged(config, changes), strict=True)


def _merged(config: SimConfig, changes: Mapping[str, Any]) -> dict[str, Any]:
    """Return the config's fields with ``changes`` applied; ``layout`` replaces the generation."""
    base = config.model_dump(exclude={"layout"})
    if "layout" in changes and "generation" not in changes:
        del base["generation"]
    return {**base, **changes}


def with_overrides(config: SimConfig, query: Mapping[str, str]) -> SimConfig:
    """Given a config and query-string overrides (text), return the page's effective config.

    Parameters outside the config fields (post_logout, ...) are ignored. Raise
    ConfigInputError if a value cannot be read as its field's type.
    """
    changes: dict[str, Any] = {}
    for name, text in query.items():
        if name not in FIELDS:
            continue
        changes[name] = None if name in _NULLABLE and text.lower() in _NULL_WORDS else text
    return _validate(_merged(config, changes), strict=False)
