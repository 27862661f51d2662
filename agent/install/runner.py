"""The one seam through which install and uninstall run external commands (systemctl, schtasks).

``CommandRunner`` is what the installer calls; ``run_command`` is the real one, and
``agent.install.fakes.FakeServiceManager`` stands in for it in tests.
"""

from __future__ import annotations

import subprocess
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

from agent.errors import KioskguardError


class InstallError(KioskguardError):
    default_message = "the service could not be installed"


@dataclass(frozen=True)
class Completed:
    """What a finished command returned."""

    returncode: int
    stdout: str = ""
    stderr: str = ""


class CommandRunner(Protocol):
    def __call__(self, argv: Sequence[str]) -> Completed:
        """Given a command line, run it and return how it ended. Raise InstallError if it
        cannot be started at all."""
        ...


def run_command(argv: Sequence[str]) -> Completed:
    """Given a command line, run it (no shell, output captured) and return how it ended.

    Raise InstallError if the program is missing or cannot be started.
    """
    try:
        completed = subprocess.run(
            list(argv), capture_output=True, text=True, check=False, timeout=120
        )
    except FileNotFoundError as exc:
        raise InstallError(
            f"{argv[0]} not found: this machine has no running service manager to register"
            " kioskguard with; --files-only writes the files without it"
        ) from exc
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise InstallError(f"{' '.join(argv)} could not run: {exc}") from exc
    return Completed(completed.returncode, completed.stdout, completed.stderr)
