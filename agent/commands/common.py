"""Options and plumbing shared by the one-shot commands (status, logout, browser)."""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

from agent.audit import configure_logging
from agent.errors import ConfigError
from agent.session.service import default_profile
from agent.settings import ProfileSettings, Settings, load_settings
from agent.urls import origin_of


def add_profile_options(parser: argparse.ArgumentParser, json_output: bool = True) -> None:
    parser.add_argument("--config", type=Path, help="configuration file (TOML)")
    parser.add_argument(
        "--profile", type=Path, help="browser user data dir (default: the managed profile)"
    )
    parser.add_argument("--url", help="client URL (default: https://web.whatsapp.com/)")
    if json_output:
        parser.add_argument("--json", action="store_true", help="print one JSON object")


def resolve(args: argparse.Namespace, must_exist: bool = True) -> tuple[Settings, ProfileSettings]:
    """Return the settings and the profile the arguments name. Raise ConfigError on bad input."""
    settings = load_settings(args.config)
    if args.url is not None:
        origin_of(args.url)  # raises ConfigError naming the URL
    profile = default_profile(settings, args.profile, args.url)
    if must_exist and not profile.user_data_dir.is_dir():
        raise ConfigError(f"--profile {profile.user_data_dir}: no such directory")
    configure_logging(
        settings.general.log_level,
        settings.general.audit_path,
        settings.general.log_rotation,
        settings.general.log_retention,
    )
    return settings, profile


def emit(data: dict[str, Any], as_json: bool, human: str) -> None:
    """Print the result as one JSON object or as human-readable lines."""
    print(json.dumps(data, ensure_ascii=False) if as_json else human, flush=True)
