"""Error description: a pydantic ValidationError as one line per problem, naming the source
(file or environment variable), the field, the value and what is allowed.
"""

from __future__ import annotations

import difflib
from collections.abc import Mapping
from typing import Any, get_args

from pydantic import BaseModel, ValidationError
from pydantic_core import ErrorDetails

from agent.errors import ConfigError
from agent.settings.fields import _URL_PATTERN
from agent.settings.fleet import _FLEET_NAME
from agent.settings.model import Settings


class InvalidSettings(ConfigError):
    """The configuration was read but breaks the model; ``problems`` lists every error."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        super().__init__("\n".join(problems))


_ALLOWED_BY_TYPE = {
    "bool_type": "allowed: true or false, unquoted",
    "int_type": "allowed: a whole number, unquoted",
    "float_type": "allowed: a number, unquoted",
    "string_type": "allowed: a string in quotes",
}


# What a field's pattern allows, in words: the regular expression means nothing to an admin.
_PATTERN_TEXT = {
    _URL_PATTERN: "must be an http:// or https:// address such as https://web.whatsapp.com/",
    _FLEET_NAME: "must be lower-case letters, digits, '-', '_' or '.', starting with a letter"
    " or digit, at most 63 characters",
    r"^[a-z0-9][a-z0-9_-]*$": "must be lower-case letters, digits, '-' or '_', starting with a"
    " letter or digit (e.g. front-desk)",
    r"^[A-Za-z0-9_-]+(/[A-Za-z0-9_-]+)*$": "must be topic levels of letters, digits, '-' or '_'"
    " separated by '/' (e.g. kioskguard/v1)",
}


def _known_keys_hint(location: tuple[str, ...]) -> str:
    """Given the location of an unknown key, return "; did you mean X?; allowed in [table]: ..."
    naming the keys its table does allow (empty if the table cannot be resolved)."""
    model: Any = Settings
    names: list[str] = []
    in_list = False
    for part in location[:-1]:
        if part.isdigit():
            in_list = True
            continue
        field = model.model_fields.get(part)
        if field is None:
            return ""
        model = field.annotation
        if not (isinstance(model, type) and issubclass(model, BaseModel)):
            model = next((arg for arg in get_args(model) if isinstance(arg, type)), None)
        if not (isinstance(model, type) and issubclass(model, BaseModel)):
            return ""
        names.append(part)
        in_list = False
    keys = list(model.model_fields)
    close = difflib.get_close_matches(location[-1] if location else "", keys, n=1)
    guess = f"; did you mean {close[0]}?" if close else ""
    table = ".".join(names)
    where = (f"in [[{table}]]" if in_list else f"in [{table}]") if table else "tables"
    return f"{guess}; allowed {where}: {', '.join(keys)}"


def _source_of(
    location: tuple[str, ...], source: str, origins: Mapping[tuple[str, ...], str]
) -> str:
    """Given a problem's location, return where its value came from: the environment variable
    that set it (or a table above it, or a key below it), else source."""
    for length in range(len(location), 0, -1):
        if location[:length] in origins:
            return f"environment {origins[location[:length]]}"
    # an unknown key with keys below it: KIOSKGUARD_IDLE__X__Y makes idle.x a table
    below = [name for path, name in origins.items() if path[: len(location)] == location]
    if location and below:
        return f"environment {below[0]}"
    return source


def _allowed(problem: ErrorDetails, location: tuple[str, ...]) -> str:
    """Given one pydantic problem, return what is allowed there, in the admin's words."""
    if problem["type"] == "extra_forbidden":
        return "unknown key (not part of the configuration)" + _known_keys_hint(location)
    if (
        problem["type"] == "string_pattern_mismatch"
        and problem.get("ctx", {}).get("pattern") in _PATTERN_TEXT
    ):
        return _PATTERN_TEXT[problem["ctx"]["pattern"]]
    if problem["type"] == "missing":
        return "required, missing"
    allowed = problem["msg"].removeprefix("Value error, ")
    if problem["type"] in _ALLOWED_BY_TYPE:
        allowed += f"; {_ALLOWED_BY_TYPE[problem['type']]}"
    return allowed


def describe_errors(
    source: str, error: ValidationError, origins: Mapping[tuple[str, ...], str] | None = None
) -> list[str]:
    """Given where the values came from and a ValidationError, return one line per problem.

    Each line reads ``SOURCE: field.path: value: what is allowed``; a value set by an
    environment variable names it as the source (``environment KIOSKGUARD_IDLE__TIMEOUT_S``).
    """
    lines = []
    for problem in error.errors():
        location = tuple(str(part) for part in problem["loc"])
        where = _source_of(location, source, origins or {})
        path = "".join(
            f"[{part}]" if isinstance(part, int) else f".{part}" for part in problem["loc"]
        ).lstrip(".")
        value = "-" if problem["type"] == "missing" else repr(problem["input"])
        lines.append(f"{where}: {path or '(top level)'}: {value}: {_allowed(problem, location)}")
    return lines
