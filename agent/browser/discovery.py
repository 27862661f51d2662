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
# Flags Playwright adds to every launch that change how a profile stores secrets: the managed
# browser is started with them too, so both ways in read the same cookies and keys.
PROFILE_COMPATIBLE_ARGS = ("--password-store=basic", "--use-mock-keychain")


@dataclass(frozen=True)
class Browser:
    """A browser executable and where it came from (configured, playwright, chrome, ...)."""

    kind: str
    path: Path
    version: str = field(default="", compare=False)


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
        shown = output.splitlines()[0][:200] if output else "printed nothing"
        raise OSError(
            f"{path} --version exited {completed.returncode} ({shown}):"
            " not a Chromium-family browser"
        )
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


# Headless shell: the same Chromium build without the browser UI. It opens a profile in about a
# third of the full browser's time and closes in half (docs/benchmarks.md), which is most of a cold
# logout's budget. Used only when it is the very same build as the browser that owns the profiles,
# so a profile is never opened by an older or newer storage format than its own.
_SHELL_NAMES = ("chromium-headless-shell", "chrome-headless-shell", "headless_shell")
_SYSTEM_SHELL_DIRS = (Path("/usr/lib/chromium"), Path("/usr/lib/chromium-browser"))


def version_number(line: str) -> str | None:
    """Given a --version line, return its a.b.c.d number, None if it has none."""
    match = re.search(r"\b\d+\.\d+\.\d+\.\d+\b", line)
    return match.group(0) if match else None


def _shell_names() -> tuple[str, ...]:
    return (
        tuple(name + ".exe" for name in _SHELL_NAMES) if sys.platform == "win32" else _SHELL_NAMES
    )


def _playwright_revision(path: Path) -> tuple[Path, str] | None:
    """Given a bundled browser's executable, return (browsers dir, revision), None if not one."""
    for ancestor in path.parents:
        match = re.fullmatch(r"chromium-(\d+)", ancestor.name)
        if match:
            return ancestor.parent, match.group(1)
    return None


def headless_shell_candidates(browser: Browser) -> Iterator[Path]:
    """Yield where a headless shell of browser's build may be, best first (existing or not)."""
    names = _shell_names()
    if browser.kind == "playwright":
        found = _playwright_revision(browser.path)
        if found is not None:
            root, revision = found
            shell_dir = root / f"chromium_headless_shell-{revision}"
            if shell_dir.is_dir():
                for platform_dir in sorted(shell_dir.iterdir()):
                    for name in names:
                        yield platform_dir / name
        return
    directories = [browser.path.parent]
    resolved = browser.path.resolve().parent
    if resolved not in directories:
        directories.append(resolved)
    if sys.platform.startswith("linux"):
        directories.extend(_SYSTEM_SHELL_DIRS)
    for directory in directories:
        for name in names:
            yield directory / name


def _is_script(path: Path) -> bool:
    try:
        with path.open("rb") as handle:
            return handle.read(2) == b"#!"
    except OSError:
        return True


def find_headless_shell(browser: Browser) -> Browser | None:
    """Return the headless shell of exactly browser's build, None if there is none.

    Playwright's shells match their browser by revision; any other shell must report the same
    a.b.c.d version as browser (so Windows, where versions cannot be read, gets none).
    """
    wanted = version_number(browser.version)
    existing = [path for path in headless_shell_candidates(browser) if path.is_file()]
    # Wrapper scripts (Debian's /usr/bin/chromium-headless-shell) last: the binary itself is
    # one process fewer to start and to stop.
    existing.sort(key=_is_script)
    for path in dict.fromkeys(existing):
        try:
            version = probe_version(path)
        except OSError:
            continue
        same_revision = browser.kind == "playwright"
        if same_revision or (wanted is not None and version_number(version) == wanted):
            return Browser("headless-shell", path, version)
    return None
