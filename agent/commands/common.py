"""Options and plumbing shared by the one-shot commands (status, logout, browser)."""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

from agent.audit import configure_logging
from agent.errors import ConfigError
from agent.settings import ProfileSettings, Settings, default_config_file, load_settings
from agent.urls import origin_of


def add_profile_options(parser: argparse.ArgumentParser, json_output: bool = True) -> None:
    parser.add_argument(
        "--config",
        type=Path,
        help="configuration file (TOML; default: the daemon's, if it exists:"
        " ~/.config/kioskguard/kioskguard.toml; on Windows %%APPDATA%% or %%ProgramData%%)",
    )
    parser.add_argument(
        "--profile", type=Path, help="browser user data dir (default: the managed profile)"
    )
    parser.add_argument(
        "--url", help="client URL (default: general.client_url, https://web.whatsapp.com/)"
    )
    if json_output:
        parser.add_argument("--json", action="store_true", help="print one JSON object")


def default_profile(
    settings: Settings, user_data_dir: Path | None, url: str | None
) -> ProfileSettings:
    """Return the profile a CLI call means: --profile, else the first configured or managed."""
    if user_data_dir is not None:
        return ProfileSettings(name="cli", user_data_dir=user_data_dir, url=url)
    first = settings.effective_profiles()[0]
    return first.model_copy(update={"url": url}) if url else first


def resolve(args: argparse.Namespace, must_exist: bool = True) -> tuple[Settings, ProfileSettings]:
    """Given the parsed options, return the settings and the profile they name.

    Without --config the daemon's own file is read (default_config_file), so that status and
    logout look at the profiles, client and port the daemon guards. Raise ConfigError on bad
    input, naming where the missing profile came from (--profile, the file, or the managed one).
    """
    config = args.config or default_config_file()
    settings = load_settings(config)
    if args.url is not None:
        origin_of(args.url)  # raises ConfigError naming the URL
    profile = default_profile(settings, args.profile, args.url)
    if must_exist and not profile.user_data_dir.is_dir():
        raise ConfigError(_missing_profile(args.profile, config, settings, profile))
    configure_logging(
        settings.general.log_level,
        settings.general.audit_path,
        settings.general.log_rotation,
        settings.general.log_retention,
    )
    return settings, profile


def _missing_profile(
    option: Path | None, config: Path | None, settings: Settings, profile: ProfileSettings
) -> str:
    """Given where a profile came from, return the message for its missing directory."""
    where = profile.user_data_dir
    if option is not None:
        return f"--profile {where}: no such directory"
    if settings.profiles:
        return (
            f"{config}: profiles[0].user_data_dir ({profile.name}): {where}: no such directory;"
            " fix the path, or name another with --profile"
        )
    return (
        f"{where}: no such directory: the managed browser's profile is made the first time"
        " `kioskguard browser` opens it (or name another with --profile)"
    )


def emit(data: dict[str, Any], as_json: bool, human: str) -> None:
    """Print the result as one JSON object or as human-readable lines."""
    print(json.dumps(data, ensure_ascii=False) if as_json else human, flush=True)
