#!/usr/bin/env python3
"""Prepare this checkout to run: a virtual environment, the project, a browser, Xvfb.

Idempotent: a second run checks stamps and returns in well under five seconds.
Run with any Python >= 3.11; it uses only the standard library (and the project's own
stdlib-only browser discovery, so bootstrap and agent choose browsers by the same rules).

Exit status 0 when everything is ready, 1 with a clear message when something could not be had.
"""

from __future__ import annotations

import ctypes.util
import hashlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
VENV = ROOT / ".venv"
STATE = VENV / "kioskguard-bootstrap.json"
sys.path.insert(0, str(ROOT))

from agent.browser.discovery import (  # noqa: E402
    QUIET_ARGS,
    Browser,
    candidates,
    find_headless_shell,
    probe_version,
)

DEBIAN_BROWSER_PACKAGES = ["chromium"]
# The same build without the browser UI: closed profiles relaunch with it in a third of the time.
DEBIAN_SHELL_PACKAGES = ["chromium-headless-shell"]
# Headed browsers and X11 idle (Xvfb, xdotool, libXss), logind/GNOME tests (dbus-daemon), the
# guarded mode's display grant (xhost, x11-xserver-utils; xauth).
DEBIAN_DISPLAY_PACKAGES = ["xvfb", "xdotool", "libxss1", "dbus", "x11-xserver-utils", "xauth"]
# systemd-analyze verifies the shipped unit files (tests/platform/test_unit_verify.py).
DEBIAN_SYSTEMD_PACKAGES = ["systemd"]
# The fleet: the MQTT broker and its tools (mosquitto_passwd), promtool for the alert rules.
DEBIAN_FLEET_PACKAGES = ["mosquitto", "mosquitto-clients", "prometheus"]


def say(message: str) -> None:
    print(f"[bootstrap] {message}", flush=True)


def fail(message: str) -> None:
    print(f"[bootstrap] ERROR: {message}", file=sys.stderr, flush=True)
    raise SystemExit(1)


def venv_python() -> Path:
    return VENV / ("Scripts/python.exe" if os.name == "nt" else "bin/python")


def is_root() -> bool:
    return hasattr(os, "geteuid") and os.geteuid() == 0


def has_apt() -> bool:
    return shutil.which("apt-get") is not None


_apt_updated = False


def apt_install(packages: list[str]) -> bool:
    """Install Debian packages as root. Return True on success."""
    global _apt_updated
    environment = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    if not _apt_updated:
        say("apt-get update")
        subprocess.run(["apt-get", "update", "-qq"], env=environment, check=False)
        _apt_updated = True
    say(f"apt-get install {' '.join(packages)}")
    completed = subprocess.run(
        ["apt-get", "install", "-y", "-qq", "--no-install-recommends", *packages],
        env=environment,
        check=False,
    )
    return completed.returncode == 0


def ensure_venv() -> None:
    if venv_python().exists():
        return
    say(f"creating virtual environment {VENV}")
    try:
        venv.create(VENV, with_pip=True)
    except (subprocess.CalledProcessError, OSError) as exc:
        shutil.rmtree(VENV, ignore_errors=True)
        if is_root() and has_apt():
            minor = f"python3.{sys.version_info.minor}-venv"
            if apt_install(["python3-venv", minor]) or apt_install(["python3-venv"]):
                venv.create(VENV, with_pip=True)
                return
        fail(f"cannot create a virtual environment ({exc}); install python3-venv")


def ensure_project() -> None:
    # The versions come from constraints.txt (`make constraints`), as on every kiosk.
    digest = hashlib.sha256(
        (ROOT / "pyproject.toml").read_bytes() + (ROOT / "constraints.txt").read_bytes()
    ).hexdigest()
    state = read_state()
    if state.get("pyproject") == digest and (VENV / "bin/kioskguard").exists():
        say("project already installed (pyproject.toml and constraints.txt unchanged)")
        return
    say("installing kioskguard and its dependencies into .venv (constraints.txt)")
    pip = [str(venv_python()), "-m", "pip", "install", "--quiet", "--disable-pip-version-check"]
    constraints = ["--constraint", str(ROOT / "constraints.txt")]
    completed = subprocess.run([*pip, *constraints, "-e", f"{ROOT}[dev,simulator]"], check=False)
    if completed.returncode != 0:
        fail("pip could not install the project (see the messages above)")
    write_state(pyproject=digest)


def headless_works(browser: Browser) -> str | None:
    """Return None when the browser renders a page headless, else the reason it does not."""
    with tempfile.TemporaryDirectory(prefix="kioskguard-bootstrap-") as profile:
        command = [
            str(browser.path),
            "--headless=new",
            "--no-sandbox",
            "--disable-gpu",
            *QUIET_ARGS,
            f"--user-data-dir={profile}",
            "--dump-dom",
            "data:text/html,<p>kioskguard-ok</p>",
        ]
        try:
            completed = subprocess.run(command, capture_output=True, text=True, timeout=60)
        except (OSError, subprocess.TimeoutExpired) as exc:
            return str(exc)
    if "kioskguard-ok" in completed.stdout:
        return None
    return f"exit {completed.returncode}: {completed.stderr.strip()[-300:]}"


def choose_browser() -> tuple[Browser, str] | None:
    configured = os.environ.get("KIOSKGUARD_BROWSER")
    for candidate in candidates(configured):
        if not candidate.path.exists():
            continue
        try:
            version = probe_version(candidate.path)
        except OSError as exc:
            say(f"skipping {candidate.kind} {candidate.path}: {exc}")
            continue
        problem = headless_works(candidate)
        if problem:
            say(f"skipping {candidate.kind} {candidate.path}: cannot render headless ({problem})")
            continue
        reason = {
            "configured": "KIOSKGUARD_BROWSER names it",
            "playwright": "Playwright's bundled Chromium is present",
            "chrome": "Google Chrome is installed",
            "msedge": "Microsoft Edge is installed",
            "chromium": "a system Chromium is installed",
        }[candidate.kind]
        return Browser(candidate.kind, candidate.path, version), reason
    return None


def ensure_browser() -> None:
    state = read_state()
    recorded = state.get("browser")
    if recorded and Path(recorded["path"]).exists() and not os.environ.get("KIOSKGUARD_BROWSER"):
        say(f"browser: {recorded['kind']} {recorded['path']} ({recorded['why']})")
        return
    chosen = choose_browser()
    if chosen is None and is_root() and has_apt():
        say("no working Chromium-family browser; installing Debian's chromium")
        apt_install(DEBIAN_BROWSER_PACKAGES)
        chosen = choose_browser()
        if chosen:
            chosen = (chosen[0], "installed Debian's chromium (nothing usable was present)")
    if chosen is None:
        say("trying Playwright's own download: playwright install chromium")
        subprocess.run([str(venv_python()), "-m", "playwright", "install", "chromium"], check=False)
        chosen = choose_browser()
        if chosen:
            chosen = (chosen[0], "downloaded Playwright's Chromium (nothing usable was present)")
    if chosen is None:
        tried = "\n  ".join(f"{c.kind}: {c.path}" for c in candidates(None))
        fail(
            "no Chromium-family browser works on this machine. Tried:\n  "
            + tried
            + "\nInstall Chrome, Edge or Chromium, or set KIOSKGUARD_BROWSER to an executable."
        )
    browser, why = chosen  # type: ignore[misc]
    write_state(browser={"kind": browser.kind, "path": str(browser.path), "why": why})
    say(f"browser: {browser.kind} {browser.path} [{browser.version}] ({why})")


def ensure_headless_shell() -> None:
    """Find (on Debian, install) the headless shell of the chosen browser's own build."""
    state = read_state()
    recorded = state.get("browser")
    if not isinstance(recorded, dict):
        return
    shell = state.get("headless_shell")
    if isinstance(shell, str) and Path(shell).exists():
        say(f"headless shell: {shell} (same build as the browser)")
        return
    path = Path(recorded["path"])
    try:
        browser = Browser(str(recorded["kind"]), path, probe_version(path))
    except OSError as exc:
        say(f"WARNING: cannot read the browser's version ({exc}); no headless shell")
        return
    found = find_headless_shell(browser)
    debian_chromium = browser.kind == "chromium" and str(path).startswith("/usr/")
    if found is None and debian_chromium and is_root() and has_apt():
        apt_install(DEBIAN_SHELL_PACKAGES)
        found = find_headless_shell(browser)
    if found is None:
        say(
            "no headless shell of the browser's build: closed profiles relaunch with the browser"
            " itself (slower). Debian: apt-get install chromium-headless-shell; Playwright:"
            " playwright install chromium"
        )
        return
    write_state(headless_shell=str(found.path))
    say(f"headless shell: {found.path} [{found.version}] (same build as the browser)")


def ensure_display_tools() -> None:
    if sys.platform != "linux":
        return
    tools = ("Xvfb", "xdotool", "dbus-daemon", "xhost", "xauth")
    missing = [name for name in tools if shutil.which(name) is None]
    if ctypes.util.find_library("Xss") is None:
        missing.append("libXss")
    if not missing:
        say(
            "Xvfb, xdotool, libXss, dbus-daemon, xhost and xauth present (headed browser, idle,"
            " D-Bus and guarded-mode tests)"
        )
        return
    if is_root() and has_apt() and apt_install(DEBIAN_DISPLAY_PACKAGES):
        say(f"installed {' '.join(DEBIAN_DISPLAY_PACKAGES)}")
        return
    say(f"WARNING: {', '.join(missing)} missing; headed-browser, idle and D-Bus tests will fail")


def ensure_systemd_analyze() -> None:
    if sys.platform != "linux" or shutil.which("systemd-analyze") is not None:
        return
    if is_root() and has_apt() and apt_install(DEBIAN_SYSTEMD_PACKAGES):
        say("installed systemd (systemd-analyze verifies the unit files)")
        return
    say("WARNING: systemd-analyze missing; the unit-file verification test will fail")


def ensure_fleet_tools() -> None:
    if sys.platform != "linux":
        return
    wanted = ("mosquitto", "mosquitto_passwd", "mosquitto_pub", "promtool")
    missing = [
        name
        for name in wanted
        if shutil.which(name) is None and not Path(f"/usr/sbin/{name}").exists()
    ]
    if not missing:
        say("mosquitto, mosquitto_passwd and promtool present (fleet tests)")
        return
    if is_root() and has_apt() and apt_install(DEBIAN_FLEET_PACKAGES):
        say(f"installed {' '.join(DEBIAN_FLEET_PACKAGES)}")
        return
    say(f"WARNING: {', '.join(missing)} missing; the fleet tests will fail")


def read_state() -> dict[str, object]:
    try:
        return dict(json.loads(STATE.read_text()))
    except (OSError, ValueError):
        return {}


def write_state(**changes: object) -> None:
    state = read_state()
    state.update(changes)
    STATE.write_text(json.dumps(state, indent=2) + "\n")


def main() -> int:
    if sys.version_info < (3, 11):  # noqa: UP036 - any python3 may run this script
        fail(f"Python 3.11 or newer is needed; this is {sys.version.split()[0]}")
    ensure_venv()
    ensure_project()
    ensure_browser()
    ensure_headless_shell()
    ensure_display_tools()
    ensure_systemd_analyze()
    ensure_fleet_tools()
    say("ready")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
