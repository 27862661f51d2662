"""`kioskguard install` leads visitors into the managed browser: launcher, autostart entry,
default browser (Linux user mode), the chromium wrapper's snippet (Linux system mode)."""

from __future__ import annotations

import configparser
import os
import shlex
import subprocess
from collections.abc import Sequence
from pathlib import Path

import pytest

from agent.install.actions import Options, install, uninstall
from agent.install.fakes import FakeServiceManager
from agent.install.runner import CommandRunner, Completed, run_command
from agent.install.targets import Installation
from agent.install.visitor_entry import DESKTOP_ID, with_default_browser
from tests.install.conftest import CONFIG, require_tool

MIME = [
    "x-scheme-handler/unknown", "x-scheme-handler/about",
    "x-scheme-handler/http", "x-scheme-handler/https", "text/html",
]  # fmt: skip


def options(mode: str = "user", **flags: bool) -> Options:
    return Options(
        mode=mode,  # type: ignore[arg-type]
        config=CONFIG / "library.toml",
        dry_run=flags.get("dry_run", False),
        files_only=flags.get("files_only", False),
    )


def entry(path: Path) -> dict[str, str]:
    parser = configparser.ConfigParser(interpolation=None, strict=True)
    parser.optionxform = str  # type: ignore[assignment,method-assign]
    parser.read(path, encoding="utf-8")
    return dict(parser["Desktop Entry"])


def launcher(installation: Installation) -> Path:
    return installation.home / ".local" / "share" / "applications" / DESKTOP_ID


def config_home(installation: Installation) -> Path:
    return installation.home / ".config"


def test_the_launcher_runs_the_managed_browser_for_web_links(
    linux_installation: Installation,
) -> None:
    assert install(linux_installation, options(), FakeServiceManager(), print) == 0
    fields = entry(launcher(linux_installation))
    config = config_home(linux_installation) / "kioskguard" / "kioskguard.toml"
    assert shlex.split(fields["Exec"]) == [
        str(linux_installation.executable), "browser", "--config", str(config),
    ]  # fmt: skip
    assert fields["Type"] == "Application" and fields["Terminal"] == "false"
    assert fields["MimeType"].split(";") == [*MIME, ""]
    assert "WebBrowser" in fields["Categories"].split(";")


def test_the_launchers_command_is_a_real_kioskguard_browser_command(
    linux_installation: Installation,
) -> None:
    """The Exec= words, run with --help: the program exists and takes --config."""
    install(linux_installation, options(), FakeServiceManager(), print)
    words = shlex.split(entry(launcher(linux_installation))["Exec"])
    completed = subprocess.run(
        [*words, "--help"], capture_output=True, text=True, timeout=120, check=False
    )
    assert completed.returncode == 0, completed.stderr
    assert "--config" in completed.stdout and "--headless" in completed.stdout


def test_the_autostart_entry_starts_the_same_launcher(linux_installation: Installation) -> None:
    install(linux_installation, options(), FakeServiceManager(), print)
    autostart = entry(config_home(linux_installation) / "autostart" / DESKTOP_ID)
    assert autostart["Exec"] == entry(launcher(linux_installation))["Exec"]
    assert autostart["X-GNOME-Autostart-enabled"] == "true"


def test_xdg_settings_makes_it_the_default_browser_when_installed(
    linux_installation: Installation,
) -> None:
    manager = FakeServiceManager(xdg_settings=True)
    install(linux_installation, options(), manager, print)
    assert manager.default_browser == DESKTOP_ID
    assert not (config_home(linux_installation) / "mimeapps.list").exists()
    setting = ("xdg-settings", "set", "default-web-browser", DESKTOP_ID)
    install(linux_installation, options(), manager, print)
    assert manager.calls.count(setting) == 1  # the second run finds it set


def test_without_xdg_settings_mimeapps_list_names_the_launcher(
    linux_installation: Installation,
) -> None:
    mimeapps = config_home(linux_installation) / "mimeapps.list"
    mimeapps.parent.mkdir(parents=True)
    mimeapps.write_text(
        "[Added Associations]\nimage/png=eog.desktop;\n\n"
        "[Default Applications]\nx-scheme-handler/http=firefox.desktop\n"
        "application/pdf=evince.desktop\n"
    )
    assert install(linux_installation, options(), FakeServiceManager(), print) == 0
    parser = configparser.ConfigParser(interpolation=None)
    parser.optionxform = str  # type: ignore[assignment,method-assign]
    parser.read(mimeapps)
    defaults = dict(parser["Default Applications"])
    assert {mime: defaults[mime] for mime in MIME} == dict.fromkeys(MIME, DESKTOP_ID)
    assert defaults["application/pdf"] == "evince.desktop"
    assert dict(parser["Added Associations"]) == {"image/png": "eog.desktop;"}


def test_files_only_writes_mimeapps_list_and_runs_nothing(
    linux_installation: Installation,
) -> None:
    manager = FakeServiceManager(xdg_settings=True)
    install(linux_installation, options(files_only=True), manager, print)
    assert manager.calls == []
    text = (config_home(linux_installation) / "mimeapps.list").read_text()
    assert text == "[Default Applications]\n" + "".join(f"{m}={DESKTOP_ID}\n" for m in MIME)


def test_merging_twice_changes_nothing() -> None:
    once = with_default_browser("[Default Applications]\ntext/plain=gedit.desktop\n")
    assert with_default_browser(once) == once


def test_the_real_xdg_settings_result(
    linux_installation: Installation, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The real xdg-settings (no desktop here: its generic backend), in a scratch home: what it
    leaves is what browsers and desktops read, and it names the launcher."""
    require_tool("xdg-settings")
    home = linux_installation.home
    for name, value in {
        "HOME": home, "XDG_CONFIG_HOME": home / ".config",
        "XDG_DATA_HOME": home / ".local" / "share", "XDG_DATA_DIRS": home / ".local" / "share",
    }.items():  # fmt: skip
        monkeypatch.setenv(name, str(value))
    monkeypatch.delenv("XDG_CURRENT_DESKTOP", raising=False)
    monkeypatch.delenv("DISPLAY", raising=False)
    mimeapps = home / ".config" / "mimeapps.list"
    mimeapps.parent.mkdir(parents=True)
    mimeapps.write_text("[Default Applications]\n" + "".join(f"{m}=other.desktop\n" for m in MIME))
    other = home / ".local" / "share" / "applications" / "other.desktop"
    other.parent.mkdir(parents=True)
    other.write_text(
        "[Desktop Entry]\nType=Application\nName=Other\nExec=/bin/true %u\n"
        f"MimeType={';'.join(MIME)};\n"
    )
    before = run_command(["xdg-settings", "get", "default-web-browser"])
    assert before.stdout.strip() == "other.desktop", (before.stdout, before.stderr)
    said: list[str] = []
    runner = _real_xdg_settings(FakeServiceManager())
    assert install(linux_installation, options(), runner, said.append) == 0
    assert f"ran: xdg-settings set default-web-browser {DESKTOP_ID}" in said, "\n".join(said)
    current = run_command(["xdg-settings", "get", "default-web-browser"])
    assert current.stdout.strip() == DESKTOP_ID, (current.stdout, current.stderr)
    assert f"x-scheme-handler/http={DESKTOP_ID}" in mimeapps.read_text()
    said.clear()
    assert install(linux_installation, options(), runner, said.append) == 0
    assert said[-1] == "kioskguard install: nothing changed", "\n".join(said)


def _real_xdg_settings(fake: FakeServiceManager) -> CommandRunner:
    """Given a fake, return a runner with systemctl faked and xdg-settings real."""

    def runner(argv: Sequence[str]) -> Completed:
        return run_command(argv) if argv[0] == "xdg-settings" else fake(argv)

    return runner


def test_system_install_adds_the_chromium_snippet_and_uninstall_removes_it(
    linux_installation: Installation,
) -> None:
    snippets = linux_installation.root / "etc" / "chromium.d"
    snippets.mkdir(parents=True)
    assert install(linux_installation, options("system"), FakeServiceManager(), print) == 0
    text = (snippets / "kioskguard").read_text()
    profile = "${XDG_STATE_HOME:-$HOME/.local/state}/kioskguard/browser-profile"
    assert f'KIOSKGUARD_PROFILE="{profile}"' in text
    assert "--remote-debugging-port=9222 --remote-debugging-address=127.0.0.1" in text
    uninstall(linux_installation, options("system"), FakeServiceManager(), print)
    assert not (snippets / "kioskguard").exists()


def test_system_install_without_debian_chromium_writes_no_snippet(
    linux_installation: Installation,
) -> None:
    install(linux_installation, options("system"), FakeServiceManager(), print)
    assert not (linux_installation.root / "etc" / "chromium.d").exists()


def test_user_uninstall_removes_launcher_and_autostart(linux_installation: Installation) -> None:
    install(linux_installation, options(), FakeServiceManager(), print)
    uninstall(linux_installation, options(), FakeServiceManager(), print)
    assert not launcher(linux_installation).exists()
    assert not (config_home(linux_installation) / "autostart" / DESKTOP_ID).exists()
    assert os.path.isdir(config_home(linux_installation))
