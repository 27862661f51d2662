"""`kioskguard check-config FILE`: validate a configuration file, reporting every error at once.

Each problem is one line, ``FILE: field.path: value: what is allowed``; exit 2 when there is
any (also for a missing, unreadable or syntactically broken file), exit 0 and a summary when
the file is valid. Only the file is checked: KIOSKGUARD_ environment overrides are ignored.
The paths the daemon writes (state directory, state file, audit file, metrics textfile) are
checked for the user running the command: run it as the user the service runs as.
"""

from __future__ import annotations

import argparse
import getpass
import os
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path

from agent.errors import ConfigError
from agent.profile_paths import ProfilePathError, checked_user_data_dir
from agent.settings import InvalidSettings, Settings, environment_origins, load_settings


def configure(parser: argparse.ArgumentParser) -> None:
    """Add the FILE argument (or --config FILE, as every other command takes it)."""
    parser.add_argument("file", type=Path, metavar="FILE", nargs="?", help="the TOML file to check")
    parser.add_argument("--config", type=Path, metavar="FILE", help="the same as FILE")


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


def _who() -> str:
    try:
        name = getpass.getuser()
    except (KeyError, OSError):
        name = "this user"
    uid = getattr(os, "getuid", None)
    return f"{name} (uid {uid()})" if uid is not None else name


def _directory_problem(directory: Path) -> str | None:
    """Return why this user could not create or write files in directory, or None."""
    existing = directory
    while not existing.exists() and existing != existing.parent:
        existing = existing.parent
    if not existing.is_dir():
        return f"{existing} is not a directory"
    if os.access(existing, os.W_OK | os.X_OK):
        if existing == directory:
            return None
        # Permission bits say nothing to root, nor of pseudo file systems (/proc, /sys): make
        # and remove an empty directory there, as the daemon's first start would.
        try:
            os.rmdir(tempfile.mkdtemp(prefix=".kioskguard-check-", dir=existing))
        except OSError as exc:
            return f"cannot be created: {existing} does not take new directories ({exc.strerror})"
        return None
    if existing == directory:
        return f"not writable by {_who()}"
    return f"cannot be created: {existing} is not writable by {_who()}"


def _file_problem(path: Path) -> str | None:
    """Return why this user could not write path (a file, created if missing), or None."""
    if path.is_dir():
        return "is a directory, not a file"
    if path.exists() and not os.access(path, os.W_OK):
        return f"{_who()} cannot write it"
    return _directory_problem(path.parent)


def _profile_problem(path: Path) -> str | None:
    """Return why the managed profile STATE_DIR/browser-profile breaks the user data dir rule
    (agent/profile_paths.py), or None; configured ones are checked by the settings model."""
    try:
        checked_user_data_dir(path)
    except ProfilePathError as exc:
        return None if exc.unreadable else f"the managed profile: {exc.reason}"
    return None


def _checked(problem_of: Callable[[Path], str | None], path: Path) -> str | None:
    """Given a check and a path, return its problem; a path this user may not even look at
    (a parent directory without search permission) is a problem too, never a traceback."""
    try:
        return problem_of(path)
    except OSError as exc:
        where = f" ({exc.filename})" if exc.filename else ""
        return f"cannot be checked by {_who()}: {exc.strerror or exc}{where}"


def path_problems(source: Path, settings: Settings) -> list[str]:
    """Given valid settings, return one line per path the daemon could not write."""
    general = settings.general
    checks: list[tuple[str, Path, str | None]] = [
        ("general.state_dir", general.state_dir, _checked(_directory_problem, general.state_dir)),
        (
            "general.state_dir",
            general.state_dir / "state.json",
            _checked(_file_problem, general.state_dir / "state.json"),
        ),
        ("general.audit_log", general.audit_path, _checked(_file_problem, general.audit_path)),
    ]
    if not settings.profiles and settings.browser.user_data_dir is None:
        managed = settings.managed_user_data_dir
        checks.append(("general.state_dir", managed, _checked(_profile_problem, managed)))
    if settings.metrics.enabled and settings.metrics.textfile is not None:
        textfile = settings.metrics.textfile
        checks.append(("metrics.textfile", textfile, _checked(_file_problem, textfile)))
    lines, seen = [], set()
    for field, path, problem in checks:
        if problem is not None and problem not in seen:
            seen.add(problem)
            lines.append(f"{source}: {field}: {str(path)!r}: {problem}")
    return lines


def fleet_problems(source: Path, settings: Settings) -> list[str]:
    """Given valid settings, return one line per fleet file `run` would refuse (the fleet
    link's own start-up checks: password_file, ca_file, cert_file, key_file)."""
    if not settings.fleet.enabled:
        return []
    from agent.fleet.connection import startup_problems

    return [f"{source}: {problem}" for problem in startup_problems(settings.fleet)]


def profile_notes(source: Path, settings: Settings) -> list[str]:
    """Given valid settings, return a note per configured profile directory that does not exist
    (yet): not an error, a browser makes it when it first runs, but a mistyped path would
    leave the daemon guarding nothing there without a word."""
    notes = []
    for index, profile in enumerate(settings.profiles):
        if not _checked(lambda path: None if path.is_dir() else "missing", profile.user_data_dir):
            continue
        notes.append(
            f"note: {source}: profiles[{index}].user_data_dir ({profile.name}):"
            f" {str(profile.user_data_dir)!r}: no such directory (yet); nothing is guarded there"
            " until a browser has used it: check the path"
        )
    return notes


def environment_notes() -> list[str]:
    """Return a note naming the KIOSKGUARD_ settings variables set here, which check-config does
    not apply but run, status and logout do (without it the summary misleads)."""
    ignored = sorted(set(environment_origins(os.environ).values()))
    if not ignored:
        return []
    return [
        f"note: not applied here (only the file is checked): {', '.join(ignored)};"
        " `kioskguard run` applies them over the file and refuses to start if one is invalid"
    ]


def run(arguments: argparse.Namespace) -> int:
    """Check arguments.file; print the problems to stderr (exit 2) or a summary (exit 0).

    Raise ConfigError if no file is named, or two different ones.
    """
    path = _file_argument(arguments)
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
    problems = path_problems(path, settings) + fleet_problems(path, settings)
    if problems:
        for problem in problems:
            print(problem, file=sys.stderr)
        count = len(problems)
        print(f"{path}: {count} error{'s' if count > 1 else ''}", file=sys.stderr)
        return 2
    print(summary(path, settings))
    for note in profile_notes(path, settings) + environment_notes():  # the file is valid
        print(note)
    return 0


def _file_argument(arguments: argparse.Namespace) -> Path:
    """Given FILE and/or --config FILE, return the file. Raise ConfigError if none or two."""
    named: set[Path] = {
        value for value in (arguments.file, getattr(arguments, "config", None)) if value
    }
    if len(named) != 1:
        raise ConfigError(
            "name one file to check: kioskguard check-config FILE (or --config FILE)"
            + (f", not {' and '.join(sorted(map(str, named)))}" if named else "")
        )
    return named.pop()
