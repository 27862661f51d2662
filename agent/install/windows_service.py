"""The Windows service plan (`install --system --service`): the guard out of the visitor's reach.

Instead of a task that runs as the visitor (who can end it), a service under its own account:
the virtual account ``NT SERVICE\\kioskguard`` (default) or ``NT AUTHORITY\\LocalService``,
started automatically, restarted by the SCM's recovery actions, given a preshutdown timeout that
fits logout.shutdown_deadline_s, and guarded by a security descriptor (``sc sdset``) and ACLs
(``icacls``) so that Users can neither stop nor reconfigure it, nor read its configuration,
state or fleet credentials. The plan is a list of sc/reg/icacls command lines, written as a
.cmd file for the administrator to review, and run by `install --system --service` (sc.exe
config instead of create when the service exists); the service runs
``kioskguard run --windows-service`` (agent/platform/windows_service.py). The commands are
checked in faked tests only (no Windows machine), see docs/install-windows.md.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from pathlib import PureWindowsPath
from typing import Literal

from agent.install.runner import InstallError

SERVICE = "kioskguard"
ACCOUNTS = {
    "virtual": r"NT SERVICE\kioskguard",  # its own SID, made with the service: the least shared
    "localservice": r"NT AUTHORITY\LocalService",  # shared with other LocalService services
}
Account = Literal["virtual", "localservice"]
SYSTEM_SID = "*S-1-5-18"
ADMINISTRATORS_SID = "*S-1-5-32-544"
USERS_SID = "*S-1-5-32-545"
# The service's own DACL: SYSTEM and Administrators as by default; interactive users (the
# visitor) may query its status only (LC): no start/stop (RP/WP), no reconfiguring (DC),
# no user-defined controls (CR), no reading its configuration (CC) or DACL (RC).
SDDL = "D:(A;;CCLCSWRPWPDTLOCRRC;;;SY)(A;;CCDCLCSWRPWPDTLOCRSDRCWDWO;;;BA)(A;;LC;;;IU)"
RESTART_DELAYS_MS = (5000, 5000, 30000)  # the SCM's recovery actions: restart, restart, restart
RESET_FAILURES_S = 86400
PRESHUTDOWN_GRACE_S = 3.0  # beyond logout.shutdown_deadline_s: reporting, the audit line, exit


@dataclass(frozen=True)
class ServicePlan:
    """The command lines that create and lock down the service, and its preshutdown timeout."""

    commands: list[list[str]]
    preshutdown_ms: int
    account: str
    directories: list[str]  # made first, if missing: icacls needs them


def preshutdown_timeout_ms(shutdown_deadline_s: float) -> int:
    """Given logout.shutdown_deadline_s, return the preshutdown timeout in milliseconds: the
    deadline plus a grace, so the final logout fits before the SCM moves on."""
    return int((shutdown_deadline_s + PRESHUTDOWN_GRACE_S) * 1000)


def service_settings(config: bytes) -> tuple[PureWindowsPath, float]:
    """Given the configuration's TOML, return the managed profile the visitor's browser and
    the service share, and logout.shutdown_deadline_s.

    Raise InstallError if browser.user_data_dir is missing: the default lies in the account's
    own profile, which the visitor's browser cannot use.
    """
    try:
        data = tomllib.loads(config.decode("utf-8"))
    except (UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise InstallError(f"the configuration cannot be read as TOML: {exc}") from exc
    profile = data.get("browser", {}).get("user_data_dir")
    if not profile:
        raise InstallError(
            "--service needs browser.user_data_dir in the configuration: a directory the"
            " visitor's browser and the service share, e.g."
            r" C:\ProgramData\kioskguard-browser\profile (docs/install-windows.md)"
        )
    deadline = float(data.get("logout", {}).get("shutdown_deadline_s", 4.0))
    return PureWindowsPath(profile), deadline


def _grant(principal: str, rights: str) -> str:
    return f"{principal}:(OI)(CI){rights}"


def service_plan(
    executable: PureWindowsPath,
    config_file: PureWindowsPath,
    config: bytes,
    account: Account = "virtual",
) -> ServicePlan:
    """Given the interpreter the service runs, its configuration file and text, return the plan.

    The configuration directory (with the fleet password) is readable by the service and
    writable by administrators only; the state directory (audit trail, logs) is the service's;
    the shared profile is the visitor's and the service's. Raise InstallError as
    service_settings does.
    """
    profile, deadline = service_settings(config)
    name = ACCOUNTS[account]
    data_dir = config_file.parent
    state_dir = data_dir / "state"
    binary = f'"{executable}" -m agent run --windows-service --config "{config_file}"'
    environment = rf"KIOSKGUARD_GENERAL__STATE_DIR={state_dir}\0KIOSKGUARD_IDLE__SOURCE=browser"
    actions = "/".join(f"restart/{delay}" for delay in RESTART_DELAYS_MS)
    owners = [_grant(SYSTEM_SID, "F"), _grant(ADMINISTRATORS_SID, "F")]
    commands = [
        ["sc.exe", "create", SERVICE, "binPath=", binary, "start=", "auto", "obj=", name,
         "DisplayName=", "kioskguard"],
        ["sc.exe", "description", SERVICE,
         "Logs shared kiosks out of WhatsApp Web (idle, closing time, logoff, shutdown)"],
        ["sc.exe", "failure", SERVICE, "reset=", str(RESET_FAILURES_S), "actions=", actions],
        ["sc.exe", "failureflag", SERVICE, "1"],
        ["sc.exe", "sidtype", SERVICE, "unrestricted"],
        ["sc.exe", "sdset", SERVICE, SDDL],
        ["reg", "add", rf"HKLM\SYSTEM\CurrentControlSet\Services\{SERVICE}", "/v",
         "Environment", "/t", "REG_MULTI_SZ", "/d", environment, "/f"],
        ["icacls", str(data_dir), "/inheritance:r", "/grant:r", *owners, _grant(name, "RX")],
        ["icacls", str(state_dir), "/inheritance:r", "/grant:r", *owners, _grant(name, "M")],
        ["icacls", str(profile), "/grant", _grant(USERS_SID, "M"), _grant(name, "M")],
    ]  # fmt: skip
    return ServicePlan(
        commands, preshutdown_timeout_ms(deadline), name, [str(state_dir), str(profile)]
    )


def registration_commands(plan: ServicePlan, exists: bool) -> list[list[str]]:
    """Given the plan and whether the service exists, return its commands to run: an existing
    service is reconfigured (sc.exe config takes create's options), not created again."""
    first, *rest = plan.commands
    if exists:
        first = ["sc.exe", "config", *first[2:]]
    return [first, *rest]


def removal_commands() -> list[list[str]]:
    """Return the command lines that stop and delete the service (its files stay)."""
    return [["sc.exe", "stop", SERVICE], ["sc.exe", "delete", SERVICE]]


def service_script(plan: ServicePlan) -> bytes:
    """Given the plan, return it as a .cmd file for the administrator to review and run."""
    lines = [
        "@echo off",
        "rem kioskguard as a Windows service (written by kioskguard install --system --service)",
        "rem Review before running from an elevated prompt; see docs/install-windows.md.",
        *(f'if not exist "{folder}" mkdir "{folder}"' for folder in plan.directories),
        *(" ".join(_quoted(word) for word in command) for command in plan.commands),
        f"rem Preshutdown timeout {plan.preshutdown_ms} ms: ChangeServiceConfig2W"
        " (SERVICE_CONFIG_PRESHUTDOWN_INFO), which sc.exe does not set.",
    ]
    return ("\r\n".join(lines) + "\r\n").encode("utf-8")


def _quoted(word: str) -> str:
    """Given one argument, return it as cmd.exe reads it (quoted when it holds spaces)."""
    if not any(character in word for character in ' ()&;"'):
        return word
    return '"' + word.replace('"', '\\"') + '"'
