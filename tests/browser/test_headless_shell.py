"""Finding the headless shell of the browser's own build (fake executables, no browser runs)."""

from __future__ import annotations

from pathlib import Path

import pytest

from agent.browser import discovery
from agent.browser.discovery import Browser, find_headless_shell, version_number


def fake_executable(path: Path, version_line: str, script: bool = False) -> Path:
    """Write a fake browser file whose --version answer is version_line.

    script=True starts it with #! (a wrapper, like Debian's /usr/bin/chromium-headless-shell);
    otherwise with ELF magic, as a binary would. fake_versions answers --version for both.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    head = b"#!/bin/sh\n" if script else b"\x7fELF\n"
    path.write_bytes(head + version_line.encode() + b"\n")
    path.chmod(0o755)
    return path


@pytest.fixture(autouse=True)
def fake_versions(monkeypatch: pytest.MonkeyPatch) -> None:
    """Answer --version from the fake's second line; a fake saying "broken" does not run.

    The machine's own /usr/lib/chromium stays out of these tests.
    """

    def probe_version(path: Path, timeout: float = 15.0) -> str:
        line = path.read_bytes().splitlines()[1].decode()
        if line == "broken":
            raise OSError(f"{path} --version exited 3")
        return line

    monkeypatch.setattr(discovery, "probe_version", probe_version)
    monkeypatch.setattr(discovery, "_SYSTEM_SHELL_DIRS", ())


def test_version_number_reads_the_four_part_version() -> None:
    assert version_number("Chromium 156.0.8078.79 built on Debian") == "156.0.8078.79"
    assert version_number("Google Chrome 142.0.7444.59 ") == "142.0.7444.59"
    assert version_number("unknown (Windows)") is None


def test_shell_of_the_same_version_next_to_the_browser_is_used(tmp_path: Path) -> None:
    browser = fake_executable(tmp_path / "chromium", "Chromium 156.0.8078.79 built on Debian")
    shell = fake_executable(tmp_path / "chromium-headless-shell", "Chromium 156.0.8078.79")
    found = find_headless_shell(Browser("chromium", browser, "Chromium 156.0.8078.79 built"))
    assert found is not None and found.path == shell and found.kind == "headless-shell"


def test_shell_of_another_version_is_never_used(tmp_path: Path) -> None:
    browser = fake_executable(tmp_path / "chrome", "Google Chrome 156.0.8078.79")
    fake_executable(tmp_path / "chrome-headless-shell", "Google Chrome 155.0.7999.1")
    assert find_headless_shell(Browser("chrome", browser, "Google Chrome 156.0.8078.79")) is None


def test_no_shell_when_the_browser_version_is_unknown(tmp_path: Path) -> None:
    browser = fake_executable(tmp_path / "chrome.exe", "unknown")
    fake_executable(tmp_path / "chrome-headless-shell", "Chromium 156.0.8078.79")
    assert find_headless_shell(Browser("chrome", browser, "unknown (Windows)")) is None


def test_binary_preferred_over_a_wrapper_script(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    bin_dir, lib_dir = tmp_path / "bin", tmp_path / "lib"
    browser = fake_executable(bin_dir / "chromium", "Chromium 156.0.8078.79", script=True)
    fake_executable(bin_dir / "chromium-headless-shell", "Chromium 156.0.8078.79", script=True)
    binary = fake_executable(lib_dir / "chromium-headless-shell", "Chromium 156.0.8078.79")
    monkeypatch.setattr(discovery, "_SYSTEM_SHELL_DIRS", (lib_dir,))
    found = find_headless_shell(Browser("chromium", browser, "Chromium 156.0.8078.79"))
    assert found is not None and found.path == binary


def test_playwright_shell_matches_by_revision(tmp_path: Path) -> None:
    browser = fake_executable(tmp_path / "chromium-1200/chrome-linux64/chrome", "Chromium 143.0.1")
    shell = fake_executable(
        tmp_path
        / "chromium_headless_shell-1200/chrome-headless-shell-linux64/chrome-headless-shell",
        "Chromium 143.0.7499.4",
    )
    fake_executable(
        tmp_path / "chromium_headless_shell-1100/chrome-linux/headless_shell", "Chromium 140.0.1.1"
    )
    found = find_headless_shell(Browser("playwright", browser, "Chromium 143.0.7499.4"))
    assert found is not None and found.path == shell


def test_playwright_browser_without_its_shell_gets_none(tmp_path: Path) -> None:
    browser = fake_executable(tmp_path / "chromium-1200/chrome-linux/chrome", "Chromium 143.0.1.1")
    fake_executable(
        tmp_path / "chromium_headless_shell-1100/chrome-linux/headless_shell", "Chromium 143.0.1.1"
    )
    assert find_headless_shell(Browser("playwright", browser, "Chromium 143.0.1.1")) is None


def test_shell_that_does_not_run_is_skipped(tmp_path: Path) -> None:
    browser = fake_executable(tmp_path / "chromium", "Chromium 156.0.8078.79")
    fake_executable(tmp_path / "chromium-headless-shell", "broken")
    assert find_headless_shell(Browser("chromium", browser, "Chromium 156.0.8078.79")) is None
