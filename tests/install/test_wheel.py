"""The release artefacts: build the sdist and the wheel from it, install the wheel into a fresh
virtual environment outside the repository with constraints.txt, and run kioskguard from there.

Nothing here imports the checkout: every command runs from the new environment, in a directory
outside the repository, and a test checks that the package it imports is the installed one.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import tarfile
import urllib.parse
import urllib.request
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.install.conftest import CONFIG, ROOT, Dist, pip_install, require_tool

pytestmark = pytest.mark.timeout(900)


@dataclass(frozen=True)
class Venv:
    path: Path
    work: Path  # a directory outside the repository to run commands from

    @property
    def kioskguard(self) -> Path:
        return self.path / "bin" / "kioskguard"

    def run(self, *arguments: str, **environment: str) -> subprocess.CompletedProcess[str]:
        env = {
            key: value
            for key, value in os.environ.items()
            if key not in ("PYTHONPATH", "VIRTUAL_ENV") and not key.startswith("KIOSKGUARD_")
        }
        return subprocess.run(
            [str(self.kioskguard), *arguments],
            capture_output=True,
            text=True,
            cwd=self.work,
            env={**env, **environment},
            timeout=120,
        )


@pytest.fixture(scope="session")
def fresh_venv(dist: Dist, tmp_path_factory: pytest.TempPathFactory) -> Venv:
    """A new virtual environment, outside the repository, with the wheel (no extras)."""
    base = tmp_path_factory.mktemp("fresh")
    assert not base.resolve().is_relative_to(ROOT)
    subprocess.run([sys.executable, "-m", "venv", str(base / "venv")], check=True, timeout=120)
    pip_install(base / "venv", str(dist.wheel))
    (base / "work").mkdir()
    return Venv(base / "venv", base / "work")


@pytest.fixture(scope="session")
def venv_with_simulator(fresh_venv: Venv, dist: Dist) -> Venv:
    pip_install(fresh_venv.path, f"{dist.wheel}[simulator]")
    return fresh_venv


def dist_info(dist: Dist) -> str:
    """Return the wheel's .dist-info directory name (kioskguard-VERSION.dist-info)."""
    version = dist.wheel.name.split("-")[1]
    return f"kioskguard-{version}.dist-info"


def shipped_in_venv(venv: Venv) -> Path:
    (shipped,) = venv.path.glob("lib/python3*/site-packages/agent/shipped")
    return shipped


def test_wheel_holds_every_agent_module_the_shipped_files_and_the_license(dist: Dist) -> None:
    names = set(zipfile.ZipFile(dist.wheel).namelist())
    modules = {str(path.relative_to(ROOT)) for path in (ROOT / "agent").rglob("*.py")}
    assert modules - names == set(), "agent modules missing from the wheel (see setup.py)"
    shipped = {
        f"agent/shipped/{path.relative_to(CONFIG)}" for path in CONFIG.rglob("*") if path.is_file()
    }
    assert shipped - names == set()
    assert f"{dist_info(dist)}/licenses/LICENSE" in names
    assert not any(name.startswith(("tests/", "bench/", "config/", "tools/")) for name in names)


def test_build_prints_no_warnings(dist: Dist) -> None:
    # "warning.py" is a module's name in the "copying ..." lines, not a warning
    warnings = [
        line for line in dist.output.splitlines() if re.search(r"(?i)warn(?!ing\.py)", line)
    ]
    assert warnings == [], dist.output[-6000:]


def test_wheel_holds_the_docs_the_units_name(dist: Dist) -> None:
    names = set(zipfile.ZipFile(dist.wheel).namelist())
    docs = {f"agent/shipped/docs/{path.name}" for path in (ROOT / "docs").glob("*.md")}
    assert "agent/shipped/docs/install-linux.md" in docs
    assert docs - names == set()


def test_sdist_holds_the_license_and_the_config_directory(dist: Dist) -> None:
    with tarfile.open(dist.sdist) as archive:
        names = {name.split("/", 1)[1] for name in archive.getnames() if "/" in name}
    assert {
        "LICENSE",
        "pyproject.toml",
        "config/systemd/kioskguard.service",
        "config/systemd/kioskguard-system.service",
        "config/windows/kioskguard-task.xml",
        "config/library.toml",
    } <= names


def test_wheel_declares_pydantic_and_keeps_segno_in_the_simulator_extra(dist: Dist) -> None:
    metadata = zipfile.ZipFile(dist.wheel).read(f"{dist_info(dist)}/METADATA").decode()
    requires = [
        line.split(": ", 1)[1]
        for line in metadata.splitlines()
        if line.startswith("Requires-Dist: ")
    ]
    assert any(re.match(r"pydantic<3,>=2\.7|pydantic>=2\.7,<3", line) for line in requires)
    segno = [line for line in requires if line.startswith("segno")]
    assert segno and all('extra == "simulator"' in line for line in segno)
    assert "License-Expression: Apache-2.0" in metadata


def test_fresh_venv_imports_the_installed_package_not_the_checkout(fresh_venv: Venv) -> None:
    completed = subprocess.run(
        [str(fresh_venv.path / "bin/python"), "-c", "import agent; print(agent.__file__)"],
        capture_output=True,
        text=True,
        cwd=fresh_venv.work,
        timeout=60,
    )
    assert Path(completed.stdout.strip()).is_relative_to(fresh_venv.path)


def test_installed_print_config_is_the_shipped_example(fresh_venv: Venv) -> None:
    completed = fresh_venv.run("print-config")
    assert completed.returncode == 0, completed.stderr
    assert completed.stdout == (CONFIG / "kioskguard.example.toml").read_text()


def test_installed_check_config_accepts_every_shipped_example(fresh_venv: Venv) -> None:
    examples = sorted(shipped_in_venv(fresh_venv).glob("*.toml"))
    assert [path.name for path in examples] == sorted(path.name for path in CONFIG.glob("*.toml"))
    for example in examples:
        completed = fresh_venv.run("check-config", str(example))
        assert (completed.returncode, completed.stderr) == (0, ""), example
        assert completed.stdout.startswith(f"{example}: ok")


def test_installed_dry_run_user_install_names_this_venv(fresh_venv: Venv) -> None:
    config_home = fresh_venv.work / "dry-user-config"
    library = shipped_in_venv(fresh_venv) / "library.toml"
    completed = fresh_venv.run(
        "install", "--dry-run", "--user", "--config", str(library), XDG_CONFIG_HOME=str(config_home)
    )
    assert completed.returncode == 0, completed.stderr
    unit = config_home / "systemd/user/kioskguard.service"
    assert f"would write {unit} (systemd unit, new):" in completed.stdout
    config = config_home / "kioskguard/kioskguard.toml"
    assert f"    ExecStart={fresh_venv.kioskguard} run --config {config}\n" in completed.stdout
    assert "would run: systemctl --user daemon-reload" in completed.stdout
    assert not config_home.exists()


def test_installed_dry_run_system_install_names_this_venv_and_the_drop_in(fresh_venv: Venv) -> None:
    hotel = shipped_in_venv(fresh_venv) / "hotel.toml"
    completed = fresh_venv.run("install", "--dry-run", "--system", "--config", str(hotel))
    assert completed.returncode == 0, completed.stderr
    out = completed.stdout
    assert "would write /etc/systemd/system/kioskguard.service (systemd unit" in out
    assert "would write /etc/systemd/logind.conf.d/kioskguard.conf (logind drop-in" in out
    assert (
        f"    ExecStart={fresh_venv.kioskguard} run --config /etc/kioskguard/kioskguard.toml" in out
    )
    assert "    User=kioskguard" in out
    assert "would run: useradd --system --user-group" in out
    assert "would run: systemctl enable --now kioskguard.service" in out


def test_unit_written_by_the_installed_kioskguard_passes_systemd_analyze_verify(
    fresh_venv: Venv,
) -> None:
    config_home = fresh_venv.work / "user-config"
    library = shipped_in_venv(fresh_venv) / "library.toml"
    written = fresh_venv.run(
        "install",
        "--user",
        "--files-only",
        "--config",
        str(library),
        XDG_CONFIG_HOME=str(config_home),
    )
    assert written.returncode == 0, written.stderr
    runtime = fresh_venv.work / "runtime"
    runtime.mkdir(mode=0o700, exist_ok=True)
    verified = subprocess.run(
        [
            require_tool("systemd-analyze"),
            "verify",
            "--user",
            str(config_home / "systemd/user/kioskguard.service"),
        ],
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, "XDG_RUNTIME_DIR": str(runtime)},
    )
    assert (verified.returncode, verified.stdout + verified.stderr) == (0, "")
    unit = (config_home / "systemd/user/kioskguard.service").read_text()
    assert "Install (as the kiosk user" not in unit  # the template's by-hand instructions
    documentation = [
        line.split("=", 1)[1] for line in unit.splitlines() if "Documentation=" in line
    ]
    assert documentation, unit
    for uri in documentation:
        assert uri.startswith("file://"), uri
        path = Path(urllib.parse.unquote(uri.removeprefix("file://").replace("%%", "%")))
        assert path.is_file() and path.is_relative_to(shipped_in_venv(fresh_venv)), uri
    again = fresh_venv.run(
        "install",
        "--user",
        "--files-only",
        "--config",
        str(library),
        XDG_CONFIG_HOME=str(config_home),
    )
    assert again.stdout.splitlines()[-1] == "kioskguard install: nothing changed"


def test_simulator_without_its_extra_says_which_extra_to_install(
    fresh_venv: Venv, dist: Dist
) -> None:
    if list(fresh_venv.path.glob("lib/python3*/site-packages/segno")):
        pytest.fail("segno was installed without the simulator extra (test order changed?)")
    completed = fresh_venv.run("simulator", "--port", "0")
    assert completed.returncode == 1
    assert "pip install 'kioskguard[simulator]'" in completed.stderr
    assert "Traceback" not in completed.stderr


@pytest.fixture
def served_simulator(venv_with_simulator: Venv) -> Iterator[str]:
    process = subprocess.Popen(
        [str(venv_with_simulator.kioskguard), "simulator", "--port", "0"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=venv_with_simulator.work,
    )
    try:
        assert process.stdout is not None
        line = process.stdout.readline()
        match = re.match(r"simulator: serving on (http://127\.0\.0\.1:\d+/)$", line.strip())
        assert match, (
            f"simulator said {line!r}; stderr: {process.stderr.read() if process.stderr else ''}"
        )
        yield match.group(1)
    finally:
        process.terminate()
        process.wait(timeout=30)


def test_installed_simulator_serves_its_page_and_static_assets(served_simulator: str) -> None:
    with urllib.request.urlopen(served_simulator, timeout=30) as response:
        page = response.read().decode()
        assert response.status == 200
    assert "/static/app.js" in page
    with urllib.request.urlopen(served_simulator + "static/app.js", timeout=30) as response:
        script = response.read()
        assert response.status == 200
    assert script == (ROOT / "agent/simulator/static/app.js").read_bytes()
