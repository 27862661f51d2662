"""`kioskguard uninstall [--user | --system] [--dry-run] [--files-only]`.

Stop and disable the service and remove the files `install` wrote; the configuration and the
state directory (with the audit trail) stay. Idempotent: a second run reports nothing changed.
"""

from __future__ import annotations

import argparse

from agent.install.actions import uninstall
from agent.install.command_common import add_common_arguments, options_from
from agent.install.runner import run_command
from agent.install.targets import current_installation


def configure(parser: argparse.ArgumentParser) -> None:
    """Add the command's arguments."""
    add_common_arguments(parser)


def run(arguments: argparse.Namespace) -> int:
    """Uninstall the service; return 0."""
    return uninstall(current_installation(), options_from(arguments), run_command, print)
