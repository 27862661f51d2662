"""The freedesktop files that lead a desktop visitor into the managed browser.

``kioskguard install`` (user mode, Linux) writes a launcher that runs ``kioskguard browser``
(the managed browser on the guarded profile and port), the same entry in the session's autostart
directory, and makes the launcher the default web browser: through ``xdg-settings`` when the
desktop has it, else by writing the ``[Default Applications]`` of ``mimeapps.list`` directly.
"""

from __future__ import annotations

import tomllib
from pathlib import Path, PurePosixPath

from agent.install.chromium_wrapper import SNIPPET_NAME, snippet
from agent.install.files import PlannedFile, planned_file
from agent.install.render import systemd_quote
from agent.install.runner import InstallError
from agent.install.targets import Installation, Target

DESKTOP_ID = "kioskguard-browser.desktop"
# What the launcher opens: the web schemes and HTML pages (a double click on a saved page too).
# The first two and the order are what `xdg-settings set default-web-browser` writes into the
# launcher (its MimeType= line, moved last): the same line keeps a second install unchanged.
MIME_TYPES = (
    "x-scheme-handler/unknown",
    "x-scheme-handler/about",
    "x-scheme-handler/http",
    "x-scheme-handler/https",
    "text/html",
)
DEFAULT_SECTION = "[Default Applications]"


def desktop_entry(executable: Path, config: str) -> str:
    """Given the kioskguard executable and the configuration it reads, return the launcher.

    The Exec= line quotes its words as the Desktop Entry Specification asks (the same rules as a
    unit's ExecStart= for the characters a path holds, with ``%`` doubled). A URL a visitor
    opens from another program is not passed on: the managed browser opens the client's page.
    """
    command = " ".join(systemd_quote(word) for word in (str(executable), "browser"))
    return (
        "[Desktop Entry]\n"
        "Type=Application\n"
        "Version=1.5\n"
        "Name=Web browser (guarded)\n"
        "GenericName=Web Browser\n"
        "Comment=The kiosk browser: a linked WhatsApp Web session is logged out when you leave\n"
        f"Exec={command} --config {systemd_quote(config)}\n"
        "Icon=chromium\n"
        "Terminal=false\n"
        "Categories=Network;WebBrowser;\n"
        "StartupNotify=true\n"
        f"MimeType={';'.join(MIME_TYPES)};\n"
    )


def autostart_entry(executable: Path, config: str) -> str:
    """Given the kioskguard executable and its configuration, return the autostart entry: the
    launcher, started with the desktop session (GNOME's and KDE's delay key kept short)."""
    return desktop_entry(executable, config) + "X-GNOME-Autostart-enabled=true\n"


def with_default_browser(existing: str) -> str:
    """Given a mimeapps.list's text (possibly empty), return it with the launcher as the default
    application of every MIME_TYPES entry; other lines and sections are kept as they were."""
    lines = existing.splitlines()
    wanted = {mime: f"{mime}={DESKTOP_ID}" for mime in MIME_TYPES}
    start = next((index for index, line in enumerate(lines) if line.strip() == DEFAULT_SECTION), -1)
    if start < 0:
        if lines and lines[-1].strip():
            lines.append("")
        lines.extend([DEFAULT_SECTION, *wanted.values()])
        return "\n".join(lines) + "\n"
    end = next(
        (index for index in range(start + 1, len(lines)) if lines[index].lstrip().startswith("[")),
        len(lines),
    )
    section = [
        line for line in lines[start + 1 : end] if line.partition("=")[0].strip() not in wanted
    ]
    while section and not section[-1].strip():
        section.pop()
    tail = lines[end:]
    merged = [*lines[: start + 1], *section, *wanted.values(), *([""] if tail else []), *tail]
    return "\n".join(merged) + "\n"


def _data_home(installation: Installation) -> Path:
    value = installation.environ.get("XDG_DATA_HOME")
    return (
        Path(value) if value and Path(value).is_absolute() else installation.home / ".local/share"
    )


def entry_paths(installation: Installation, target: Target) -> tuple[Path, Path]:
    """Given a Linux user-mode installation, return the launcher's and the autostart entry's
    paths (under $XDG_DATA_HOME/applications and $XDG_CONFIG_HOME/autostart)."""
    config_home = target.service_file.parents[2]  # $XDG_CONFIG_HOME/systemd/user/<unit>
    launcher = _data_home(installation) / "applications" / DESKTOP_ID
    return launcher, config_home / "autostart" / DESKTOP_ID


def mimeapps_path(target: Target) -> Path:
    """Given a Linux user-mode target, return $XDG_CONFIG_HOME/mimeapps.list."""
    return target.service_file.parents[2] / "mimeapps.list"


def snippet_path(installation: Installation) -> Path:
    """Given a Linux installation, return where the chromium wrapper's snippet goes."""
    return installation.root / "etc" / "chromium.d" / SNIPPET_NAME


def guarded_profile(config: bytes) -> tuple[PurePosixPath | None, int]:
    """Given the configuration's TOML, return the managed profile it names (None: the daemon's
    default under the visitor's home) and the debugging port. Raise InstallError if the TOML
    cannot be read (check-config has checked it before)."""
    try:
        data = tomllib.loads(config.decode("utf-8"))
    except (UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise InstallError(f"the configuration cannot be read as TOML: {exc}") from exc
    browser = data.get("browser", {})
    state_dir = data.get("general", {}).get("state_dir")
    port = int(browser.get("debugging_port", 9222))
    if browser.get("user_data_dir"):
        return PurePosixPath(browser["user_data_dir"]), port
    if state_dir:
        return PurePosixPath(state_dir) / "browser-profile", port
    return None, port


def visitor_files(installation: Installation, target: Target, config: bytes) -> list[PlannedFile]:
    """Given a Linux installation, its target and the configuration, return the files that lead
    visitors into the managed browser: the launcher and autostart entry (user mode), or the
    chromium wrapper's snippet (system mode, when Debian's /etc/chromium.d exists)."""
    if target.mode == "user":
        launcher, autostart = entry_paths(installation, target)
        argument = target.config_argument
        return [
            planned_file(
                launcher, desktop_entry(installation.executable, argument).encode(), "launcher"
            ),
            planned_file(
                autostart,
                autostart_entry(installation.executable, argument).encode(),
                "autostart entry",
            ),
        ]
    path = snippet_path(installation)
    if not path.parent.is_dir():
        return []
    profile, port = guarded_profile(config)
    return [planned_file(path, snippet(profile, port).encode(), "chromium wrapper snippet")]
