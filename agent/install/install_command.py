"""`kioskguard install [--user | --system [--guarded]] [--config FILE] [--dry-run] [--files-only]`.

Validate the configuration (check-config's checks; exit 2 on errors), write the service from
the package data with this installation's paths, copy FILE to the standard place if none is
there (without --config: the commented example, and say what to edit), then enable and start
the service. Idempotent: a second run reports nothing changed.
"""

from __future__ import annotations

import argparse
from dataclasses import replace
from pathlib import Path

from agent.install.actions import install
from agent.install.browser_policy import PRIVATE_MODE_VALUES, KioskPolicy
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
    parser.add_argument(
        "--private-mode",
        choices=sorted(PRIVATE_MODE_VALUES),
        default="disabled",
        help="Windows --system: Chrome's incognito and Edge's InPrivate windows (default:"
        " disabled; their sessions are outside the guarded profile's sight)",
    )
    parser.add_argument(
        "--service",
        action="store_true",
        help="Windows --system: register a service under its own account (out of the visitor's"
        " reach) instead of the logon task (--files-only: write its plan for review only)",
    )
    parser.add_argument(
        "--allow-guest",
        action="store_true",
        help="Windows --system: leave the browsers' guest mode on (default: off)",
    )


def run(arguments: argparse.Namespace) -> int:
    """Install the service; return 0, or 2 when the configuration is invalid."""
    policy = KioskPolicy(private_mode=arguments.private_mode, guest_mode=arguments.allow_guest)
    options = replace(options_from(arguments), policy=policy, service=arguments.service)
    return install(current_installation(), options, run_command, print)
