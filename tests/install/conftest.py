"""Fixtures for the install tests: the repository, an installation in a scratch directory."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

from agent.install.targets import Installation

ROOT = Path(__file__).resolve().parents[2]
CONFIG = ROOT / "config"


def require_tool(name: str) -> str:
    """Return the path of a program the test needs; fail loudly (never skip) if it is missing."""
    found = shutil.which(name) or shutil.which(name, path=str(Path(sys.executable).parent))
    if found is None:
        pytest.fail(
            f"{name} is not installed: run `make bootstrap` (tools/bootstrap.py installs it)"
        )
    return found


@pytest.fixture
def linux_installation(tmp_path: Path) -> Installation:
    """This virtual environment's kioskguard, with user and system paths under tmp_path."""
    executable = Path(sys.executable).parent / "kioskguard"
    assert executable.exists(), f"{executable} missing: run make bootstrap"
    return Installation(
        "linux",
        executable,
        {"XDG_CONFIG_HOME": str(tmp_path / "home" / ".config")},
        tmp_path / "home",
        root=tmp_path / "root",
    )


@pytest.fixture
def windows_installation(tmp_path: Path) -> Installation:
    """A Windows installation (paths under tmp_path) for tests with the faked schtasks."""
    return Installation(
        "windows",
        tmp_path / "venv" / "Scripts" / "pythonw.exe",
        {
            "APPDATA": str(tmp_path / "AppData" / "Roaming"),
            "LOCALAPPDATA": str(tmp_path / "AppData" / "Local"),
            "ProgramData": str(tmp_path / "ProgramData"),
            "USERNAME": "visitor",
            "USERDOMAIN": "KIOSK-07",
        },
        tmp_path / "home",
    )


@dataclass(frozen=True)
class Dist:
    wheel: Path
    sdist: Path
    output: str  # what the build printed (stdout and stderr)


def pip_install(venv: Path, *requirements: str) -> None:
    """Install into venv with the project's constraints; fail the test with pip's output."""
    completed = subprocess.run(
        [
            str(venv / "bin/python"),
            "-m",
            "pip",
            "install",
            "--quiet",
            "--disable-pip-version-check",
            "--constraint",
            str(ROOT / "constraints.txt"),
            *requirements,
        ],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert completed.returncode == 0, completed.stdout + completed.stderr


@pytest.fixture(scope="session")
def dist(tmp_path_factory: pytest.TempPathFactory) -> Dist:
    """Build the sdist, then the wheel from the sdist (python -m build), as a release would."""
    output = tmp_path_factory.mktemp("dist")
    # PYTHONDONTWRITEBYTECODE (set by some test environments) only adds "byte-compiling is
    # disabled" notices: build as a release machine would.
    environment = {
        key: value for key, value in os.environ.items() if key != "PYTHONDONTWRITEBYTECODE"
    }
    completed = subprocess.run(
        [sys.executable, "-m", "build", "--outdir", str(output), str(ROOT)],
        capture_output=True,
        text=True,
        timeout=600,
        env=environment,
    )
    assert completed.returncode == 0, completed.stdout[-3000:] + completed.stderr[-3000:]
    (wheel,) = output.glob("kioskguard-*.whl")
    (sdist,) = output.glob("kioskguard-*.tar.gz")
    return Dist(wheel, sdist, completed.stdout + completed.stderr)
