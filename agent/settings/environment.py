"""The environment source: ``KIOSKGUARD_...`` variables over the file's tables.

Environment values are text: a boolean is ``true`` or ``false`` (any case), a number is
written in digits, anything else stays text for the strict model to reject with the
variable's name. ``KIOSKGUARD_BROWSER=/path`` is short for ``KIOSKGUARD_BROWSER__EXECUTABLE``.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from contextvars import ContextVar
from typing import Any, get_args

from pydantic import BaseModel
from pydantic.fields import FieldInfo
from pydantic_settings import EnvSettingsSource

ENV_PREFIX = "KIOSKGUARD_"


BROWSER_ALIAS = "KIOSKGUARD_BROWSER"  # the browser to use: browser.executable
_WHOLE_NUMBER = re.compile(r"^[+-]?\d+$")
_NUMBER = re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$")


# The environment load_settings() reads; None: the process environment (os.environ).
_ENVIRONMENT: ContextVar[Mapping[str, str] | None] = ContextVar("environment", default=None)


def _environment_value(raw: str, annotation: Any) -> Any:
    """Given an environment string and its field's type, return the value to validate.

    Environment values are always text, so a boolean is ``true`` or ``false`` (any case) and a
    number is written in digits (``120``, ``0.5``, ``1e3``); anything else (``yes``, ``nan``,
    ``inf``, ``soon``) stays a string, which the strict model then reports as an error.
    """
    kinds = set(get_args(annotation)) or {annotation}
    text = raw.strip()
    if bool in kinds:
        return {"true": True, "false": False}.get(text.lower(), raw)
    if int in kinds and _WHOLE_NUMBER.match(text):
        return int(text)
    if float in kinds and _NUMBER.match(text):
        return float(text)
    return raw


def _typed(value: Any, annotation: Any) -> Any:
    """Given a value the environment source built for a field, return it with every text leaf
    of a boolean or number field converted by _environment_value. JSON values keep their types.
    """
    if isinstance(value, str):
        return _environment_value(value, annotation)
    model = annotation if isinstance(annotation, type) else None
    if isinstance(value, dict) and model is not None and issubclass(model, BaseModel):
        fields = model.model_fields
        return {
            key: _typed(item, fields[key].annotation) if key in fields else item
            for key, item in value.items()
        }
    return value


class EnvironmentSource(EnvSettingsSource):
    """pydantic-settings' environment source with kioskguard's two additions.

    ``KIOSKGUARD_BROWSER=/path`` (the README's short form) is taken as
    ``KIOSKGUARD_BROWSER__EXECUTABLE`` unless that is set too, instead of as the JSON of the
    ``[browser]`` table; and text values of boolean and number fields are converted by the rule
    of _environment_value, so that the strict model rejects ``yes`` or ``nan`` instead of
    pydantic's lax parsing accepting them. A value that is not valid JSON where a table or list
    is expected is passed on as text, for validation to report with the variable's name.
    """

    def _load_env_vars(self) -> Mapping[str, str | None]:
        environment = _ENVIRONMENT.get()
        variables: dict[str, str | None] = {
            (name if self.case_sensitive else name.lower()): value
            for name, value in (os.environ if environment is None else environment).items()
        }
        alias = BROWSER_ALIAS if self.case_sensitive else BROWSER_ALIAS.lower()
        if alias in variables:
            variables.setdefault(f"{alias}{self.env_nested_delimiter}executable", variables[alias])
            del variables[alias]
        return variables

    def decode_complex_value(self, field_name: str, field: FieldInfo, value: Any) -> Any:
        try:
            return super().decode_complex_value(field_name, field, value)
        except ValueError:
            return value

    def prepare_field_value(
        self, field_name: str, field: FieldInfo, value: Any, value_is_complex: bool
    ) -> Any:
        prepared = super().prepare_field_value(field_name, field, value, value_is_complex)
        return _typed(prepared, field.annotation)
