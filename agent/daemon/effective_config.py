"""`kioskguard print-config --effective`: what the daemon would run with, as TOML.

The built-in defaults, the file and the KIOSKGUARD_* environment merged (load_settings), every
value written out, secrets masked: a value whose key names a password, secret or token (not a
*_file path to one), and the password of a URL's user:password@ part. Unset values (None) are
comments, since TOML has no null. Without masked values, the output reads back as the same
settings.
"""

from __future__ import annotations

import re
from typing import Any

from agent.daemon.print_config import toml_value
from agent.settings import Settings

MASK = "********"
_SECRET_KEY = re.compile(r"password|passphrase|secret|token", re.IGNORECASE)
_PATH_KEY = re.compile(r"_(file|dir|path)$")
_URL_PASSWORD = re.compile(r"(?P<head>[a-z][a-z0-9+.-]*://[^/:@\s]*:)[^/@\s]+(?P<tail>@)", re.I)


def masked(key: str, value: Any) -> Any:
    """Given a key and its JSON value, return it with secrets replaced by MASK (recursively)."""
    if isinstance(value, dict):
        return {name: masked(name, item) for name, item in value.items()}
    if isinstance(value, list):
        return [masked(key, item) for item in value]
    if value is not None and _SECRET_KEY.search(key) and not _PATH_KEY.search(key):
        return MASK
    if isinstance(value, str):
        return _URL_PASSWORD.sub(rf"\g<head>{MASK}\g<tail>", value)
    return value


def _is_table_list(value: Any) -> bool:
    return isinstance(value, list) and bool(value) and all(isinstance(i, dict) for i in value)


def _keys(data: dict[str, Any]) -> list[str]:
    """Given a table's values, return its key = value lines (None as a comment)."""
    lines = []
    for key, value in data.items():
        if isinstance(value, dict) or _is_table_list(value):
            continue
        lines.append(f"# {key}: not set" if value is None else f"{key} = {toml_value(value)}")
    return lines


def _tables(path: str, data: dict[str, Any]) -> list[str]:
    """Given a dotted path and a table's values, return its subtables and arrays of tables."""
    lines: list[str] = []
    for key, value in data.items():
        name = f"{path}.{key}" if path else key
        if isinstance(value, dict):
            lines += ["", f"[{name}]", *_keys(value), *_tables(name, value)]
        elif _is_table_list(value):
            for item in value:
                lines += ["", f"[[{name}]]", *_keys(item), *_tables(name, item)]
    return lines


def render_effective(settings: Settings, source: str) -> str:
    """Given merged settings and where they came from, return them as TOML, secrets masked."""
    data = masked("", settings.model_dump(mode="json"))
    header = [
        "# kioskguard's effective configuration (`kioskguard print-config --effective`):",
        f"# built-in defaults, {source} and KIOSKGUARD_* environment variables, merged.",
        f"# Secrets are shown as {MASK}.",
    ]
    top = _keys(data)
    return "\n".join([*header, *(["", *top] if top else []), *_tables("", data)]) + "\n"
