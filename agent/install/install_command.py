"""`kioskguard install [--user | --system] [--config FILE] [--dry-run] [--files-only]`.

Validate the configuration (check-config's checks; exit 2 on errors), write the service from
the package data with this installation's paths, copy FILE to the standard place if none is
there (without --config: the commented example, and say what to edit), then enable and start
the service. Idempotent: a second run reports nothing changed.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from agent.install.actions import install
from agent.install.command_common import add_common_arguments, options_from
from agent.install.runner import run_command
from agent.install.targets import current_installation


def configure(parser: argparse.ArgumentParser) -> None:
    """Add the command's arguments."""
    add_common_arguments(parser)
    parser.add_argument(
        "--config",
        type=Path,
        metavar="FILE",
        help="configuration to install; copied to the standard place unless a file is there"
        " (none there and no FILE: the commented example is written there)",
    )


def run(arguments: argparse.Namespace) -> int:
    """Install the service; return 0, or 2 when the configuration is invalid."""
    return install(current_installation(), options_from(arguments), run_command, print)
