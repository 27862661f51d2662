"""Which ``KIOSKGUARD_...`` variable set which field: for error lines and check-config."""

from __future__ import annotations

from collections.abc import Mapping

from agent.settings.environment import BROWSER_ALIAS, ENV_PREFIX
from agent.settings.model import Settings


def environment_origins(environment: Mapping[str, str]) -> dict[tuple[str, ...], str]:
    """Given the environment, return which variable set which field path.

    ``KIOSKGUARD_<TABLE>__<KEY>`` sets (table, key), ``KIOSKGUARD_PROFILES`` sets (profiles,),
    ``KIOSKGUARD_BROWSER`` sets (browser, executable) unless ``KIOSKGUARD_BROWSER__EXECUTABLE``
    does. Other ``KIOSKGUARD_`` names without ``__`` belong to tools and tests: not settings.
    """
    origins: dict[tuple[str, ...], str] = {}
    for name in sorted(environment, key=lambda name: name.upper() != BROWSER_ALIAS):
        if not name.upper().startswith(ENV_PREFIX):
            continue
        if name.upper() == BROWSER_ALIAS:
            origins[("browser", "executable")] = name
            continue
        path = tuple(part.lower() for part in name[len(ENV_PREFIX) :].split("__"))
        if path[0] in Settings.model_fields:
            origins[path] = name
    return origins
