"""`kioskguard check-config FILE`: validate a configuration file, reporting every error at once.

Each problem is one line, ``FILE: field.path: value: what is allowed``; exit 2 when there is
any (also for a missing, unreadable or syntactically broken file), exit 0 and a summary when
the file is valid. Only the file is checked: KIOSKGUARD_ environment overrides are ignored.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from agent.errors import ConfigError
from agent.settings import InvalidSettings, Settings, load_settings


def configure(parser: argparse.ArgumentParser) -> None:
    """Add the FILE argument."""
    parser.add_argument("file", type=Path, metavar="FILE", help="the TOML file to check")


def summary(path: Path, settings: Settings) -> str:
    """Given a valid file's settings, return a one-line description of what it configures."""
    idle = (
        f"idle logout after {settings.idle.timeout_s:g} s" if settings.idle.enabled else "no idle"
    )
    closing = (
        ", ".join(f"{entry.days} {entry.time}" for entry in settings.closing_time.times)
        or "no closing time"
    )
    profiles = ", ".join(profile.name for profile in settings.effective_profiles())
    return f"{path}: ok (profiles: {profiles}; {idle}; closing time: {closing})"


def run(arguments: argparse.Namespace) -> int:
    """Check arguments.file; print the problems to stderr (exit 2) or a summary (exit 0)."""
    path: Path = arguments.file
    try:
        settings = load_settings(path, use_environment=False)
    except InvalidSettings as exc:
        for problem in exc.problems:
            print(problem, file=sys.stderr)
        count = len(exc.problems)
        print(f"{path}: {count} error{'s' if count > 1 else ''}", file=sys.stderr)
        return 2
    except ConfigError as exc:
        print(exc, file=sys.stderr)
        return 2
    print(summary(path, settings))
    return 0
