"""Where the service files go and what they run, for each platform and mode.

Linux, user mode (default): the user unit in $XDG_CONFIG_HOME/systemd/user, the configuration
in $XDG_CONFIG_HOME/kioskguard/kioskguard.toml. Linux, system mode: /etc/systemd/system, the
logind drop-in, /etc/kioskguard/kioskguard.toml. Windows: a Task Scheduler task whose XML is
kept beside the configuration (per user in %APPDATA%, machine-wide in %ProgramData%).
"""

from __future__ import annotations

import os
import sys
import sysconfig
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path, PureWindowsPath
from typing import Literal

from agent.install.runner import InstallError
from agent.platform import paths

Mode = Literal["user", "system"]
Platform = Literal["linux", "windows"]
SERVICE_NAME = "kioskguard.service"
TASK_NAME = "kioskguard"


@dataclass(frozen=True)
class Installation:
    """The kioskguard the service will run: this interpreter's, found where pip put it."""

    platform: Platform
    executable: Path  # Linux: the kioskguard script; Windows: pythonw.exe (no console window)
    environ: Mapping[str, str]
    home: Path
    root: Path = Path("/")  # system paths are under it (tests give a scratch directory)
    privileged: bool = False  # Linux: runs as root (what --guarded needs)


@dataclass(frozen=True)
class Target:
    """Where one mode's files live on one platform."""

    mode: Mode
    service_file: Path  # the unit, or the task XML handed to schtasks
    config_file: Path
    config_argument: str  # the --config value the service passes (may hold %APPDATA%)
    drop_in: Path | None = None  # logind drop-in (Linux system mode only)


def current_installation() -> Installation:
    """Return the running interpreter's kioskguard. Raise InstallError if it has none."""
    scripts = Path(sysconfig.get_path("scripts"))
    if sys.platform not in ("linux", "win32"):
        raise InstallError(
            f"kioskguard install knows Linux (systemd) and Windows (Task Scheduler), not"
            f" {sys.platform}: install the service by hand (see docs/)"
        )
    if sys.platform == "win32":
        pythonw = Path(sys.executable).with_name("pythonw.exe")
        if not pythonw.exists():
            raise InstallError(f"{pythonw} is missing: the task runs the agent without a console")
        return Installation("windows", pythonw, dict(os.environ), Path.home())
    executable = scripts / "kioskguard"
    if not executable.exists():
        raise InstallError(
            f"no kioskguard executable in {scripts}: run the install command of the kioskguard"
            " the service should run (for example ~/.local/share/kioskguard/venv/bin/kioskguard)"
        )
    return Installation(
        "linux", executable, dict(os.environ), Path.home(), privileged=os.geteuid() == 0
    )


def _directory(installation: Installation, name: str, default: Path) -> Path:
    value = installation.environ.get(name)
    if value and Path(value).is_absolute():
        return Path(value)
    return default


def _windows_directory(installation: Installation, name: str) -> Path:
    value = installation.environ.get(name)
    if not value:
        raise InstallError(f"environment variable {name} is not set: it locates kioskguard's files")
    return Path(value)


def locate(installation: Installation, mode: Mode) -> Target:
    """Given the installation and a mode, return where the files go (agent.platform.paths'
    rules, which the daemon's defaults follow too). Raise InstallError if the environment does
    not say (Windows without APPDATA, LOCALAPPDATA or ProgramData)."""
    if installation.platform == "windows":
        environ = installation.environ
        if mode == "user":
            for name in ("APPDATA", "LOCALAPPDATA"):
                _windows_directory(installation, name)
            config = paths.windows_user_config_dir(environ) / paths.CONFIG_NAME
            local = paths.windows_state_dir(environ)
            # Expanded when the task starts, for the user it runs as.
            return Target(
                mode, local / "kioskguard-task.xml", config, r"%APPDATA%\kioskguard\kioskguard.toml"
            )
        _windows_directory(installation, "ProgramData")
        data = paths.windows_machine_config_dir(environ)
        config = data / paths.CONFIG_NAME
        return Target(mode, data / "kioskguard-task.xml", config, str(config))
    if mode == "user":
        config_home = _directory(installation, "XDG_CONFIG_HOME", installation.home / ".config")
        config = config_home / "kioskguard" / "kioskguard.toml"
        unit = config_home / "systemd" / "user" / SERVICE_NAME
        return Target(mode, unit, config, str(config))
    root = installation.root
    config = root / "etc" / "kioskguard" / "kioskguard.toml"
    return Target(
        mode,
        root / "etc" / "systemd" / "system" / SERVICE_NAME,
        config,
        str(config),
        drop_in=root / "etc" / "systemd" / "logind.conf.d" / "kioskguard.conf",
    )


def windows_account(installation: Installation) -> str:
    """Given a Windows installation, return the account running it (DOMAIN\\user): the user
    a --user task runs as. Raise InstallError if the environment does not say."""
    user = installation.environ.get("USERNAME")
    if not user:
        raise InstallError("environment variable USERNAME is not set: it names the task's user")
    domain = installation.environ.get("USERDOMAIN")
    return f"{domain}\\{user}" if domain else user


def windows_machine_wide_problem(installation: Installation) -> str | None:
    """Given a Windows installation, return why a machine-wide task could not run it for every
    user (it lives in one user's profile), or None."""
    executable = PureWindowsPath(installation.executable)  # compared without case, as Windows
    for name in ("LOCALAPPDATA", "APPDATA", "USERPROFILE"):  # the most specific first
        folder = installation.environ.get(name)
        if folder and executable.is_relative_to(PureWindowsPath(folder)):
            return (
                f"{installation.executable} is inside %{name}% ({folder}), which other users"
                " cannot read: for --system install kioskguard where every user can, e.g."
                " %ProgramFiles%\\kioskguard\\venv (docs/install-windows.md), or install per user"
                " with --user"
            )
    return None
