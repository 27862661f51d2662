"""The guarded desktop mode's files (``kioskguard install --system --guarded``, Linux, root).

The daemon runs as the system account ``kioskguard`` and opens the visitor's browser itself
(docs/install-linux.md, section 6). Besides the unit, install writes the Chromium policies, the
visitor session's display grant (an autostart entry) and the launcher, all under the
installation's root; the configuration and the fleet password become root:kioskguard 0640.
"""

from __future__ import annotations

import re
import tomllib
from pathlib import Path, PurePosixPath

from agent.install import shipped
from agent.install.files import PlannedFile, planned_file
from agent.install.render import systemd_quote
from agent.install.targets import Installation, Mode

ACCOUNT = "kioskguard"
SECRET_MODE = 0o640
OPEN_SOCKET = "/run/kioskguard/open.sock"
UNIT_ARGUMENTS = ("--open-socket", OPEN_SOCKET)


def guarded_problem(installation: Installation, mode: Mode, dry_run: bool) -> str | None:
    """Given the installation, the mode and --dry-run, return why --guarded cannot run here
    (not Linux, not --system, not root unless dry), or None."""
    if installation.platform != "linux":
        return (
            "--guarded is the Linux guarded desktop mode (systemd, X11); on Windows see"
            " --system --service (docs/install-windows.md)"
        )
    if mode != "system":
        return "--guarded needs --system: the daemon runs as its own system account"
    if not installation.privileged and not dry_run:
        return (
            "--guarded needs root: it creates the kioskguard account, writes under /etc and"
            " /usr/share and makes the configuration root:kioskguard 0640 (--dry-run shows the"
            " plan without root)"
        )
    return None


def guarded_paths(installation: Installation) -> tuple[Path, Path, Path]:
    """Given a Linux installation, return where the Chromium policies, the display grant
    (autostart) and the launcher go, under its root."""
    root = installation.root
    return (
        root / "etc/chromium/policies/managed/kioskguard.json",
        root / "etc/xdg/autostart" / PurePosixPath(shipped.GUARDED_GRANT).name,
        root / "usr/share/applications" / PurePosixPath(shipped.GUARDED_LAUNCHER).name,
    )


def launcher_entry(template: str, executable: Path) -> str:
    """Given the shipped launcher, return it running this installation's ``kioskguard browser
    --guarded`` (the template's single Exec= line replaced)."""
    command = f"{systemd_quote(str(executable))} browser --guarded"
    return re.sub(r"(?m)^Exec=.*$", lambda _match: f"Exec={command}", template, count=1)


def guarded_files(installation: Installation) -> list[PlannedFile]:
    """Given a Linux installation, return the guarded mode's files besides the unit."""
    policies, grant, launcher = guarded_paths(installation)
    launcher_text = launcher_entry(
        shipped.shipped_text(shipped.GUARDED_LAUNCHER), installation.executable
    )
    return [
        planned_file(
            policies,
            shipped.shipped_text(shipped.GUARDED_POLICIES).encode(),
            "Chromium policies (every user)",
        ),
        planned_file(
            grant,
            shipped.shipped_text(shipped.GUARDED_GRANT).encode(),
            "display grant (the visitor session's autostart)",
        ),
        planned_file(launcher, launcher_text.encode(), "guarded browser launcher"),
    ]


def password_file(config: bytes) -> Path | None:
    """Given the configuration's TOML (check-config has checked it, and that the file exists),
    return the fleet password file it names, or None."""
    named = tomllib.loads(config.decode("utf-8")).get("fleet", {}).get("password_file")
    return Path(named) if named else None


def ownership_commands(path: Path, account: str = ACCOUNT) -> list[list[str]]:
    """Given a secret file (the configuration, the fleet password), return the commands that
    make it root:account 0640, or [] if it already is (run after the account exists)."""
    import grp  # Linux only; this module runs only on Linux

    status = path.stat()
    try:
        group = grp.getgrgid(status.st_gid).gr_name
    except KeyError:
        group = ""
    if (status.st_uid, group, status.st_mode & 0o777) == (0, account, SECRET_MODE):
        return []
    return [["chown", f"root:{account}", str(path)], ["chmod", f"{SECRET_MODE:04o}", str(path)]]
