"""The ``kioskguard`` command line: a thin dispatcher.

Each command lives in its own module exposing ``configure(parser)`` and ``run(args) -> int``;
modules are imported only when their command runs, so ``kioskguard --help`` stays fast.
Exit codes: 0 success, 1 failure, 2 bad input or configuration, 3 local-only logout.
An operating-system error nothing below handled (a file that cannot be written, say) is a
failure (1) with its message, not a traceback.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence
from types import ModuleType

from agent import __version__
from agent.errors import ConfigError, KioskguardError

# command -> (module, one-line help)
COMMANDS: dict[str, tuple[str, str]] = {
    "status": ("agent.commands.status", "show whether a profile holds a linked session"),
    "logout": ("agent.commands.logout", "log a profile out of the client and verify it"),
    "browser": ("agent.commands.browser", "open the managed kiosk browser for visitors"),
    "run": ("agent.daemon.command", "run the daemon (schedule, idle, events)"),
    "check-config": ("agent.daemon.check_config", "validate a configuration file"),
    "print-config": ("agent.daemon.print_config", "print the commented example configuration"),
    "simulator": ("agent.simulator.command", "serve the WhatsApp Web simulator and phone"),
    "demo": ("agent.demo", "walk through the problem and the fix against the simulator"),
    "install": ("agent.install.install_command", "install and start the service (unit or task)"),
    "uninstall": ("agent.install.uninstall_command", "stop and remove the installed service"),
    "fleet": ("agent.fleet.command", "the fleet console: status, batch logout, audit report"),
}
# Modules that only an optional extra installs -> the extra (see pyproject.toml).
OPTIONAL_MODULES = {"segno": "simulator"}


def load_command(name: str) -> ModuleType:
    """Given a command name, import its module. Raise KioskguardError if it needs an extra that
    this installation lacks."""
    try:
        return importlib.import_module(COMMANDS[name][0])
    except ModuleNotFoundError as exc:
        extra = OPTIONAL_MODULES.get((exc.name or "").partition(".")[0])
        if extra is None:
            raise
        raise KioskguardError(
            f"needs the optional package {exc.name}, which this installation lacks:"
            f" pip install 'kioskguard[{extra}]'"
        ) from exc


def build_parser(argv: Sequence[str]) -> argparse.ArgumentParser:
    """Return the parser, with the chosen command's own arguments configured."""
    parser = argparse.ArgumentParser(
        prog="kioskguard",
        description="Log shared PCs out of WhatsApp Web, verify the unlink, keep an audit trail.",
    )
    parser.add_argument("--version", action="version", version=f"kioskguard {__version__}")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    chosen = next((word for word in argv if word in COMMANDS), None)
    for name, (_module, help_text) in COMMANDS.items():
        subparser = subparsers.add_parser(name, help=help_text, description=help_text)
        subparser.set_defaults(_command_parser=subparser)  # its usage, for unknown options
        if name == chosen:
            load_command(name).configure(subparser)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Parse ``argv``, run the command, and return its exit code."""
    arguments = list(sys.argv[1:] if argv is None else argv)
    chosen = next((word for word in arguments if word in COMMANDS), None)
    try:
        parser = build_parser(arguments)
    except KioskguardError as exc:
        print(f"kioskguard {chosen}: {exc}", file=sys.stderr)
        return 1
    namespace, unknown = parser.parse_known_args(arguments)
    if unknown:  # the command's own usage and name, not the top level's
        command_parser = getattr(namespace, "_command_parser", None) or parser
        command_parser.error(f"unrecognized arguments: {' '.join(unknown)}")
    if namespace.command is None:
        parser.print_help()
        return 2
    module = load_command(namespace.command)
    try:
        return int(module.run(namespace))
    except ConfigError as exc:
        print(f"kioskguard {namespace.command}: {exc}", file=sys.stderr)
        return 2
    except KioskguardError as exc:
        print(f"kioskguard {namespace.command}: {exc}", file=sys.stderr)
        return 1
    except OSError as exc:
        print(f"kioskguard {namespace.command}: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130
