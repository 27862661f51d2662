"""Options and plumbing shared by the one-shot commands (status, logout, browser)."""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

from agent.audit import configure_logging
from agent.errors import ConfigError
from agent.profile_paths import ProfilePathError, checked_user_data_dir
from agent.settings import ProfileSettings, Settings, default_config_file, load_settings
from agent.urls import REAL_CLIENT_ORIGIN, origin_of

OTHER_ORIGIN_FLAG = "--allow-other-origin"


def add_profile_options(parser: argparse.ArgumentParser, json_output: bool = True) -> None:
    parser.add_argument(
        "--config",
        type=Path,
        help="configuration file (TOML; default: the daemon's, if it exists:"
        " ~/.config/kioskguard/kioskguard.toml; on Windows %%APPDATA%% or %%ProgramData%%)",
    )
    parser.add_argument(
        "--profile",
        help="browser user data dir (default: the managed profile); symlinks are resolved, and"
        " it must be a Chromium user data dir or an empty or missing directory",
    )
    parser.add_argument(
        "--url",
        help="client URL (default: the profile's url, else general.client_url,"
        f" https://web.whatsapp.com/); another origin needs {OTHER_ORIGIN_FLAG}",
    )
    parser.add_argument(
        OTHER_ORIGIN_FLAG,
        action="store_true",
        help="let --url name another origin than the configured client's (the session of the"
        " configured client is then neither read nor logged out)",
    )
    if json_output:
        parser.add_argument("--json", action="store_true", help="print one JSON object")


def checked_option(value: str) -> Path:
    """Given the --profile value, return it resolved. Raise ConfigError naming the option if
    the user data dir rule (agent/profile_paths.py) refuses it."""
    try:
        return checked_user_data_dir(value)
    except ProfilePathError as exc:
        raise ConfigError(f"--profile {exc}") from exc


def default_profile(
    settings: Settings, user_data_dir: Path | None, config: Path | None = None
) -> ProfileSettings:
    """Return the profile a CLI call means: the configured one whose directory --profile
    resolves to, else an unconfigured one named ``cli``; without --profile the first configured
    profile, else the managed one (checked here: the settings model does not check it).
    Raise ConfigError if the managed profile's directory breaks the user data dir rule."""
    profiles = settings.effective_profiles()
    if user_data_dir is not None:
        configured = (p for p in profiles if p.user_data_dir == user_data_dir)
        return next(configured, None) or ProfileSettings(
            name="cli", user_data_dir=user_data_dir, url=settings.general.client_url
        )
    first = profiles[0]
    if not settings.profiles:
        try:
            checked_user_data_dir(first.user_data_dir)
        except ProfilePathError as exc:
            field = "general.state_dir"
            if settings.browser.user_data_dir is not None:
                field = "browser.user_data_dir"
            raise ConfigError(
                f"{config or 'built-in defaults'}: {field}: the managed profile {exc}"
            ) from exc
    return first


def client_url(profile: ProfileSettings, url: str | None, allow_other_origin: bool) -> str:
    """Given the profile (its url filled in) and --url, return the client URL to use.

    Raise ConfigError if --url is not http(s), or names another origin than the configured
    client's without --allow-other-origin: the session is stored under the configured origin,
    so an answer about another one ("nothing to do") would say nothing about it.
    """
    configured = profile.url or REAL_CLIENT_ORIGIN
    if url is None:
        return configured
    wanted = origin_of(url)  # raises ConfigError naming the URL
    if wanted != origin_of(configured) and not allow_other_origin:
        raise ConfigError(
            f"--url {url}: origin {wanted} is not the configured client's"
            f" ({origin_of(configured)}, profile {profile.name}): its answer would say nothing"
            f" about the session stored for the client; configure the client (general.client_url"
            f" or the profile's url), or pass {OTHER_ORIGIN_FLAG} to use this origin anyway"
        )
    return url


def resolve(args: argparse.Namespace, must_exist: bool = True) -> tuple[Settings, ProfileSettings]:
    """Given the parsed options, return the settings and the profile they name.

    Without --config the daemon's own file is read (default_config_file), so that status and
    logout look at the profiles, client and port the daemon guards. Nothing is started,
    created or written before every check passed. Raise ConfigError on bad input, naming the
    option or the file and field: a user data dir the rule of agent/profile_paths.py refuses,
    a missing one (when must_exist), a URL of another origin than the client's.
    """
    user_data_dir = checked_option(args.profile) if args.profile is not None else None
    config = args.config or default_config_file()
    settings = load_settings(config)
    profile = default_profile(settings, user_data_dir, config)
    url = client_url(profile, args.url, getattr(args, "allow_other_origin", False))
    profile = profile.model_copy(update={"url": url})
    if must_exist and not profile.user_data_dir.is_dir():
        raise ConfigError(_missing_profile(user_data_dir, config, settings, profile))
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
