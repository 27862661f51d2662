"""The snippet Debian's ``/usr/bin/chromium`` wrapper sources from ``/etc/chromium.d``.

The wrapper (a POSIX shell script) sources every file there before it reads its own options and
then runs ``/usr/lib/chromium/chromium $CHROMIUM_FLAGS "$@"``. Chromium keeps the *last* value of
a repeated switch, so a visitor's own ``--user-data-dir`` (after ``$CHROMIUM_FLAGS``) would win:
the snippet therefore also removes the visitor's profile, debugging and throw-away-profile
switches from the arguments before adding the guarded profile and port. What it cannot stop: a
visitor with a shell runs ``/usr/lib/chromium/chromium`` itself, past the wrapper
(docs/install-linux.md, "What a visitor can still do").
"""

from __future__ import annotations

from pathlib import PurePosixPath

from agent.install.runner import InstallError

SNIPPET_NAME = "kioskguard"
# Where the user unit's daemon keeps the managed profile unless the configuration says.
DEFAULT_PROFILE = "${XDG_STATE_HOME:-$HOME/.local/state}/kioskguard/browser-profile"
# Switches a visitor could use to leave the guarded profile or take its debugging port.
DROPPED = (
    "--user-data-dir",
    "--user-data-dir=*",
    "--remote-debugging-port=*",
    "--remote-debugging-address=*",
    "--remote-debugging-pipe",
    "--temp-profile",
    "--incognito",
    "--guest",
    "--profile-directory=*",
)


def shell_quote(word: str) -> str:
    """Given a word, return it single-quoted for a POSIX shell."""
    return "'" + word.replace("'", "'\\''") + "'"


def snippet(profile: PurePosixPath | None, port: int) -> str:
    """Given the guarded profile (None: the user unit's default under the visitor's home) and
    the managed browser's debugging port, return the snippet's text.

    Raise InstallError if the profile's path holds white space: the wrapper splits
    $CHROMIUM_FLAGS on it, so no quoting could keep such a path whole.
    """
    if profile is not None and any(character.isspace() for character in str(profile)):
        raise InstallError(
            f"browser.user_data_dir {profile}: the chromium wrapper cannot pass a path with"
            " spaces in CHROMIUM_FLAGS; choose a profile directory without spaces"
        )
    where = f'"{DEFAULT_PROFILE}"' if profile is None else shell_quote(str(profile))
    patterns = "|".join(DROPPED)
    return (
        "# Written by `kioskguard install --system`: every `chromium` started through this\n"
        "# wrapper opens kioskguard's guarded profile with its loopback debugging port, and the\n"
        "# switches that would choose another profile are dropped. Remove this file (or run\n"
        "# `kioskguard uninstall --system`) to undo it.\n"
        f"KIOSKGUARD_PROFILE={where}\n"
        'for kioskguard_argument in "$@"; do\n'
        "  shift\n"
        '  case "$kioskguard_argument" in\n'
        f"    {patterns}) ;;\n"
        '    *) set -- "$@" "$kioskguard_argument" ;;\n'
        "  esac\n"
        "done\n"
        'CHROMIUM_FLAGS="$CHROMIUM_FLAGS --user-data-dir=$KIOSKGUARD_PROFILE'
        f' --remote-debugging-port={port} --remote-debugging-address=127.0.0.1"\n'
        "unset kioskguard_argument\n"
    )
