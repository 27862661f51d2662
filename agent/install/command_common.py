"""Arguments and dispatch shared by `kioskguard install` and `kioskguard uninstall`."""

from __future__ import annotations

import argparse

from agent.install.actions import Options


def add_common_arguments(parser: argparse.ArgumentParser) -> None:
    """Add --user/--system, --dry-run and --files-only."""
    mode = parser.add_mutually_exclusive_group()
    mode.add_argument(
        "--user",
        dest="mode",
        action="store_const",
        const="user",
        help="for the desktop user running this command (default): a systemd user unit, or a"
        " task of this user's own (no elevation) reading their %%APPDATA%%",
    )
    mode.add_argument(
        "--system",
        dest="mode",
        action="store_const",
        const="system",
        help="machine-wide, as root or administrator: a system unit plus the logind drop-in, or"
        " a task for every user's logon reading %%ProgramData%%\\kioskguard\\kioskguard.toml"
        " (kioskguard itself installed where every user can read it, e.g. %%ProgramFiles%%)",
    )
    parser.set_defaults(mode="user")
    parser.add_argument(
        "--guarded",
        action="store_true",
        help="Linux, with --system, as root: the guarded desktop mode (the daemon as the"
        " kioskguard account opens the visitor's browser; docs/install-linux.md, section 6)",
    )
    parser.add_argument(
        "--dry-run", action="store_true", help="print the files and commands; change nothing"
    )
    parser.add_argument(
        "--files-only",
        action="store_true",
        help="write or remove the files but run no systemctl/schtasks (images, chroots, or a"
        " machine whose service manager is not running)",
    )


def options_from(arguments: argparse.Namespace) -> Options:
    """Given parsed arguments, return the installer's options."""
    return Options(
        mode=arguments.mode,
        config=getattr(arguments, "config", None),
        dry_run=arguments.dry_run,
        files_only=arguments.files_only,
        guarded=arguments.guarded,
    )
