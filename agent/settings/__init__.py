"""The configuration: one typed model, the single source of truth.

``Settings`` is a pydantic-settings ``BaseSettings``: the TOML file's tables are its init
arguments, and its environment source (``KIOSKGUARD_...`` variables, nested with ``__``:
``KIOSKGUARD_IDLE__TIMEOUT_S=120``) overrides them; ``KIOSKGUARD_BROWSER=/path`` is short for
``KIOSKGUARD_BROWSER__EXECUTABLE``. Every field carries a description and an example;
``kioskguard print-config`` turns them into the commented sample. Unknown keys are rejected, and
booleans and numbers are strict, never a guess: in the file ``"yes"`` or ``"30"`` in quotes is an
error; in the environment, where every value is text, a boolean is ``true`` or ``false`` (any
case) and a number is written in digits (``120``, ``0.5``, ``1e3``), so ``yes``, ``1``, ``nan``
or ``inf`` are errors naming the variable.

The package, by concern (as borgmatic splits its config package):

- fields.py: the documented field (``setting``), the strict table (``Section``), path defaults;
- tables.py and fleet.py: the tables, one model each; model.py: ``Settings``, the root;
- environment.py: the environment source and its text rules; origins.py: which variable set
  which field;
- describe.py: a ValidationError as one line per problem (``InvalidSettings``);
- loading.py: the default file, reading TOML, ``load_settings``.

Import from ``agent.settings``: the names below are its public interface.
"""

from agent.settings.describe import InvalidSettings, describe_errors
from agent.settings.environment import BROWSER_ALIAS, ENV_PREFIX, EnvironmentSource
from agent.settings.fields import Section, default_audit_dir, default_state_dir, setting
from agent.settings.fleet import FleetSettings
from agent.settings.loading import default_config_file, load_settings, read_toml
from agent.settings.model import Settings
from agent.settings.origins import environment_origins
from agent.settings.tables import (
    BrowserSettings,
    CheckSettings,
    ClosingTimeEntry,
    ClosingTimeSettings,
    EventSettings,
    GeneralSettings,
    IdleSettings,
    IdleSourceName,
    LogoutPath,
    LogoutSettings,
    MetricsSettings,
    ProfileSettings,
)

__all__ = [
    "BROWSER_ALIAS",
    "ENV_PREFIX",
    "BrowserSettings",
    "CheckSettings",
    "ClosingTimeEntry",
    "ClosingTimeSettings",
    "EnvironmentSource",
    "EventSettings",
    "FleetSettings",
    "GeneralSettings",
    "IdleSettings",
    "IdleSourceName",
    "InvalidSettings",
    "LogoutPath",
    "LogoutSettings",
    "MetricsSettings",
    "ProfileSettings",
    "Section",
    "Settings",
    "default_audit_dir",
    "default_config_file",
    "default_state_dir",
    "describe_errors",
    "environment_origins",
    "load_settings",
    "read_toml",
    "setting",
]
