"""The root of the configuration: ``Settings``, the tables together, the environment over
the file (sources: environment.py), and the profiles a daemon guards.
"""

from __future__ import annotations

import os
from pathlib import Path

from pydantic import Field, model_validator
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource, SettingsConfigDict

from agent.settings.environment import ENV_PREFIX, EnvironmentSource
from agent.settings.fleet import FleetSettings
from agent.settings.tables import (
    BrowserSettings,
    CheckSettings,
    ClosingTimeSettings,
    EventSettings,
    GeneralSettings,
    IdleSettings,
    LogoutSettings,
    MetricsSettings,
    ProfileSettings,
)


class Settings(BaseSettings):
    """Everything kioskguard reads from its configuration file and environment.

    ``Settings(**tables)`` validates the file's tables (init arguments) with the
    ``KIOSKGUARD_...`` environment over them, as pydantic-settings does for
    ``Settings.model_validate(tables)`` too (tests/conftest.py clears the variables for tests).
    """

    model_config = SettingsConfigDict(
        env_prefix=ENV_PREFIX,
        env_nested_delimiter="__",
        extra="forbid",
        validate_default=True,
        allow_inf_nan=False,
    )

    general: GeneralSettings = Field(
        default_factory=GeneralSettings,
        description="Where state and logs live, and which web client is guarded.",
    )
    browser: BrowserSettings = Field(
        default_factory=BrowserSettings, description="The managed kiosk browser."
    )
    profiles: list[ProfileSettings] = Field(
        default_factory=list,
        description="Browser profiles to guard (default: only the managed browser's profile).",
        json_schema_extra={
            "example": [{"name": "front-desk", "user_data_dir": "/home/kiosk/.config/chromium"}]
        },
    )
    logout: LogoutSettings = Field(default_factory=LogoutSettings, description="How a logout runs.")
    check: CheckSettings = Field(
        default_factory=CheckSettings,
        description="Periodic checks of the profiles and the managed browser.",
    )
    idle: IdleSettings = Field(
        default_factory=IdleSettings,
        description="Logout after a period without input, after a warning.",
    )
    closing_time: ClosingTimeSettings = Field(
        default_factory=ClosingTimeSettings,
        description="Logouts at fixed times (closing time), with a warning.",
    )
    events: EventSettings = Field(
        default_factory=EventSettings,
        description="Which operating-system and browser events cause a logout.",
    )
    metrics: MetricsSettings = Field(
        default_factory=MetricsSettings,
        description="Prometheus metrics for fleet monitoring (loopback only).",
    )
    fleet: FleetSettings = Field(
        default_factory=FleetSettings,
        description="The fleet: status, audit events and remote logouts over MQTT (off).",
    )

    @model_validator(mode="after")
    def _unique_profile_names(self) -> Settings:
        names = [profile.name for profile in self.profiles]
        duplicates = sorted({name for name in names if names.count(name) > 1})
        if duplicates:
            raise ValueError(f"profile names must be unique: {', '.join(duplicates)} repeated")
        return self

    @property
    def managed_user_data_dir(self) -> Path:
        """Return the managed browser's profile: browser.user_data_dir (checked and resolved by
        its validator), else STATE_DIR/browser-profile, resolved (the commands and check-config
        check it: a state_dir that is wrong is reported as such first)."""
        default = Path(os.path.realpath(self.general.state_dir / "browser-profile"))
        return self.browser.user_data_dir or default

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        """Return the sources, first wins: the environment, then the file's tables (init)."""
        # pydantic-settings passes every source by keyword, so the names stay; these are unused.
        del env_settings, dotenv_settings, file_secret_settings
        return (EnvironmentSource(settings_cls), init_settings)

    def effective_profiles(self) -> list[ProfileSettings]:
        """Return the guarded profiles with their client address filled in.

        Without configured profiles, the managed browser's profile is the only one.
        """
        profiles = self.profiles or [
            # Not validated here: a bad state_dir is reported by check-config and the commands.
            ProfileSettings.model_construct(
                name="managed", user_data_dir=self.managed_user_data_dir, url=None
            )
        ]
        return [
            profile.model_copy(update={"url": profile.url or self.general.client_url})
            for profile in profiles
        ]
