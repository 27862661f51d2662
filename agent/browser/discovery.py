"""Find a Chromium-family browser to drive.

Standard library only: the bootstrap script imports this module before any dependency is
installed, so the bootstrap and the agent choose browsers by one set of rules.

Order: a configured path, Playwright's bundled Chromium, branded Chrome and Edge, then
system Chromium builds, on Linux, macOS and Windows.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from agent.errors import BrowserNotFound

# Flags every launch uses, headless or headed, by the agent, the bootstrap and the tests.
# Without the networking ones Chromium phones home at start (refused on closed networks,
# slow on kiosks); the agent never needs those services.
QUIET_ARGS = (
    "--no-first-run",
    "--no-default-browser-check",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-quic",
)


@dataclass(frozen=True)
class Browser:
    """A browser executable and where it came from (configured, playwright, chrome, ...)."""

    kind: str
    path: Path
    version: str = field(default="", compare=False)

    @property
    def branded(self) -> bool:
        """True for Chrome and Edge, which refuse to automate a default profile."""
        return self.kind in {"chrome", "msedge"}


def playwright_browsers_dir() -> Path:
    """Return where Playwright keeps its downloaded browsers on this platform."""
    override = os.environ.get("PLAYWRIGHT_BROWSERS_PATH")
    if override and override != "0":
        return Path(override).expanduser()
    if sys.platform == "win32":
        return Path(os.environ.get("LOCALAPPDATA", Path.home() / "AppData/Local")) / "ms-playwright"
    if sys.platform == "darwin":
        return Path.home() / "Library/Caches/ms-playwright"
    return Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "ms-playwright"


_BUNDLED_RELATIVE = (
    "chrome-linux64/chrome",
    "chrome-linux/chrome",
    "chrome-mac-arm64/Chromium.app/Contents/MacOS/Chromium",
    "chrome-mac/Chromium.app/Contents/MacOS/Chromium",
    "chrome-win64/chrome.exe",
    "chrome-win/chrome.exe",
)


def _bundled_paths() -> Iterator[Path]:
    root = playwright_browsers_dir()
    if not root.is_dir():
        return
    revisions = []
    for entry in root.iterdir():
        match = re.fullmatch(r"chromium-(\d+)", entry.name)
        if match:
            revisions.append((int(match.group(1)), entry))
    for _, entry in sorted(revisions, reverse=True):
        for relative in _BUNDLED_RELATIVE:
            yield entry / relative


def _windows_paths(*relatives: str) -> Iterator[Path]:
    for variable in ("LOCALAPPDATA", "PROGRAMFILES", "PROGRAMFILES(X86)"):
        base = os.environ.get(variable)
        if base:
            for relative in relatives:
                yield Path(base) / relative


def _platform_paths(kind: str) -> Iterator[Path]:
    if sys.platform == "win32":
        relatives = {
            "chrome": ("Google/Chrome/Application/chrome.exe",),
            "msedge": ("Microsoft/Edge/Application/msedge.exe",),
            "chromium": ("Chromium/Application/chrome.exe",),
        }[kind]
        yield from _windows_paths(*relatives)
        return
    if sys.platform == "darwin":
        app = {"chrome": "Google Chrome", "msedge": "Microsoft Edge", "chromium": "Chromium"}[kind]
        yield Path(f"/Applications/{app}.app/Contents/MacOS/{app}")
        yield Path.home() / f"Applications/{app}.app/Contents/MacOS/{app}"
        return
    yield from {
        "chrome": (Path("/opt/google/chrome/chrome"), Path("/usr/bin/google-chrome-stable")),
        "msedge": (Path("/opt/microsoft/msedge/msedge"), Path("/usr/bin/microsoft-edge-stable")),
        "chromium": (
            Path("/usr/bin/chromium"),
            Path("/usr/lib/chromium/chromium"),
            Path("/usr/bin/chromium-browser"),
            Path("/snap/bin/chromium"),
        ),
    }[kind]


def candidates(configured: str | os.PathLike[str] | None = None) -> Iterator[Browser]:
    """Yield every browser location worth trying, best first (existing or not)."""
    if configured:
        yield Browser("configured", Path(configured).expanduser())
    for path in _bundled_paths():
        yield Browser("playwright", path)
    for kind in ("chrome", "msedge", "chromium"):
        for path in _platform_paths(kind):
            yield Browser(kind, path)


def probe_version(path: Path, timeout: float = 15.0) -> str:
    """Given an executable, return its version line. Raise OSError if it does not run."""
    if sys.platform == "win32":
        # chrome.exe --version opens a window on Windows instead of printing.
        if not path.is_file():
            raise FileNotFoundError(path)
        return "unknown (Windows)"
    try:
        completed = subprocess.run(
            [str(path), "--version"], capture_output=True, text=True, timeout=timeout, check=False
        )
    except subprocess.TimeoutExpired as exc:
        raise OSError(f"{path} --version did not answer in {timeout:.0f} s") from exc
    output = (completed.stdout or completed.stderr).strip()
    if completed.returncode != 0 or not output:
        raise OSError(f"{path} --version exited {completed.returncode}: {output[:200]}")
    return output.splitlines()[0]


def find_browser(configured: str | os.PathLike[str] | None = None) -> Browser:
    """Return the first candidate that runs. Raise BrowserNotFound listing what was tried.

    A configured path that does not run is an error of its own: the admin asked for it.
    """
    tried: list[str] = []
    for candidate in candidates(configured):
        if not candidate.path.exists():
            if candidate.kind == "configured":
                raise BrowserNotFound(f"configured browser {candidate.path} does not exist")
            tried.append(f"{candidate.kind}: {candidate.path} (absent)")
            continue
        try:
            version = probe_version(candidate.path)
        except OSError as exc:
            if candidate.kind == "configured":
                raise BrowserNotFound(
                    f"configured browser {candidate.path} does not run: {exc}"
                ) from exc
            tried.append(f"{candidate.kind}: {candidate.path} (does not run: {exc})")
            continue
        return Browser(candidate.kind, candidate.path, version)
    raise BrowserNotFound("no usable Chromium-family browser; tried:\n  " + "\n  ".join(tried))
