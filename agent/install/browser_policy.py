"""The Windows browser policies that keep visitors on the guarded profile (Chrome and Edge).

Values live under HKLM\\SOFTWARE\\Policies\\Google\\Chrome and
HKLM\\SOFTWARE\\Policies\\Microsoft\\Edge. What each enforces, from Google's Chrome Enterprise
policy list and Microsoft's "Microsoft Edge browser policy documentation":

- ``UserDataDir`` (REG_SZ; Windows and macOS only): the browser uses this directory whether or
  not ``--user-data-dir`` is given; ``${local_app_data}`` and ``${user_name}`` are expanded per
  user. Read at browser start (a restart applies it).
- ``RemoteDebuggingAllowed`` (REG_DWORD 1): the ``--remote-debugging-port`` the agent relies on
  stays allowed (0 would switch it off and blind the guard).
- ``IncognitoModeAvailability`` (Chrome) / ``InPrivateModeAvailability`` (Edge), REG_DWORD:
  0 available, 1 disabled, 2 forced (Edge documents "forced" as unsupported on Windows).
- ``BrowserGuestModeEnabled`` (REG_DWORD): 0 hides guest browsing.

``install --system`` writes them as a .reg file next to the task definition and imports it with
``reg import``; the same file can be imported by hand or turned into a GPO.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

PrivateMode = Literal["available", "disabled", "forced"]
PRIVATE_MODE_VALUES: dict[str, int] = {"available": 0, "disabled": 1, "forced": 2}
CHROME_KEY = r"HKEY_LOCAL_MACHINE\SOFTWARE\Policies\Google\Chrome"
EDGE_KEY = r"HKEY_LOCAL_MACHINE\SOFTWARE\Policies\Microsoft\Edge"
# The daemon's default managed profile on Windows (%LOCALAPPDATA%\kioskguard\browser-profile),
# in the policies' own variable syntax, expanded by the browser for each user.
DEFAULT_PROFILE = r"${local_app_data}\kioskguard\browser-profile"
Value = str | int  # REG_SZ or REG_DWORD


@dataclass(frozen=True)
class KioskPolicy:
    """What the admin chooses (the defaults suit a library or hotel PC)."""

    user_data_dir: str = DEFAULT_PROFILE
    private_mode: PrivateMode = "disabled"
    guest_mode: bool = False


def policy_values(policy: KioskPolicy) -> dict[str, dict[str, Value]]:
    """Given the admin's choices, return every registry key with its values."""
    private = PRIVATE_MODE_VALUES[policy.private_mode]
    common: dict[str, Value] = {
        "UserDataDir": policy.user_data_dir,
        "RemoteDebuggingAllowed": 1,
        "BrowserGuestModeEnabled": int(policy.guest_mode),
    }
    return {
        CHROME_KEY: {**common, "IncognitoModeAvailability": private},
        EDGE_KEY: {**common, "InPrivateModeAvailability": private},
    }


def _reg_value(value: Value) -> str:
    if isinstance(value, int):
        return f"dword:{value:08x}"
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def reg_text(policy: KioskPolicy) -> str:
    """Given the admin's choices, return the .reg file (regedit's version 5 format) setting them."""
    lines = ["Windows Registry Editor Version 5.00", ""]
    for key, values in policy_values(policy).items():
        lines.append(f"[{key}]")
        lines.extend(f'"{name}"={_reg_value(value)}' for name, value in values.items())
        lines.append("")
    return "\r\n".join(lines) + "\r\n"


def reg_bytes(policy: KioskPolicy) -> bytes:
    """Given the admin's choices, return the .reg file as reg.exe and regedit read it (UTF-16
    with its byte order mark)."""
    return reg_text(policy).encode("utf-16")
