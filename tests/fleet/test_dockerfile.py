"""The Dockerfile, read as Docker reads it (no engine here): its ENTRYPOINT and CMD, run with
this checkout's kioskguard, do what its header says; its ENV is a valid configuration; state
and audit are volumes; the metrics listen address it documents is the one it sets."""

from __future__ import annotations

import json
import os
import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest

from agent.settings import load_settings

REPOSITORY = Path(__file__).resolve().parents[2]
DOCKERFILE = REPOSITORY / "Dockerfile"


def instructions() -> list[tuple[str, str]]:
    """Return the Dockerfile's (INSTRUCTION, arguments), continuation lines joined."""
    text = re.sub(r"\\\n", " ", DOCKERFILE.read_text(encoding="utf-8"))
    found = []
    for line in text.splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            word, _, rest = line.partition(" ")
            found.append((word.upper(), rest.strip()))
    return found


def exec_form(name: str) -> list[str]:
    values = [rest for word, rest in instructions() if word == name]
    assert len(values) == 1, f"one {name}, in exec form"
    parsed = json.loads(values[0])
    assert isinstance(parsed, list) and all(isinstance(item, str) for item in parsed)
    return parsed


def environment() -> dict[str, str]:
    found: dict[str, str] = {}
    for word, rest in instructions():
        if word == "ENV":
            found.update(item.split("=", 1) for item in shlex.split(rest))
    return found


def docker_run(*arguments: str) -> subprocess.CompletedProcess[str]:
    """Run what `docker run IMAGE arguments...` runs: ENTRYPOINT + (arguments or CMD), with
    the entrypoint script from this checkout and this venv's kioskguard on PATH."""
    entrypoint = exec_form("ENTRYPOINT")
    assert entrypoint == ["/usr/local/bin/docker-entrypoint.sh"]
    copied = [rest.split() for word, rest in instructions() if word == "COPY"]
    assert ["docker-entrypoint.sh", entrypoint[0]] in copied
    argv = [str(REPOSITORY / "docker-entrypoint.sh"), *(arguments or exec_form("CMD"))]
    path = f"{Path(sys.executable).parent}:{os.environ['PATH']}"
    return subprocess.run(argv, env={**os.environ, "PATH": path}, capture_output=True,
                          text=True, timeout=120)  # fmt: skip


def test_the_default_command_is_kioskguard_run_with_the_documented_config() -> None:
    assert exec_form("CMD") == ["run", "--config", "/etc/kioskguard.toml"]
    header = DOCKERFILE.read_text(encoding="utf-8").split("\nFROM")[0]
    assert "kioskguard run --config /etc/kioskguard.toml" in re.sub(r"\s*\\\n#\s*", " ", header)
    completed = docker_run(*exec_form("CMD"), "--help")
    assert completed.returncode == 0, completed.stderr
    assert "usage: kioskguard run" in completed.stdout


@pytest.mark.parametrize("leading", [(), ("kioskguard",)])
def test_arguments_after_the_image_are_kioskguards_with_or_without_its_name(
    leading: tuple[str, ...], tmp_path: Path
) -> None:
    config = tmp_path / "kioskguard.toml"
    config.write_text(f'[general]\nstate_dir = "{tmp_path / "state"}"\n')
    completed = docker_run(*leading, "check-config", str(config))
    assert completed.returncode == 0, completed.stdout + completed.stderr
    assert f"{config}: ok" in completed.stdout


def test_state_and_audit_are_volumes_and_the_env_is_a_valid_configuration(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    env = environment()
    volumes = json.loads(next(rest for word, rest in instructions() if word == "VOLUME"))
    assert env["KIOSKGUARD_GENERAL__STATE_DIR"] in volumes
    assert str(Path(env["KIOSKGUARD_GENERAL__AUDIT_LOG"]).parent) in volumes
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    config = tmp_path / "kioskguard.toml"
    config.write_text("[metrics]\nenabled = true\n")
    settings = load_settings(config)
    assert settings.metrics.listen == "0.0.0.0:9077" and settings.metrics.allow_remote
    assert "EXPOSE 9077" in DOCKERFILE.read_text() and "-p 9077:9077" in DOCKERFILE.read_text()
    assert str(settings.general.audit_path) == env["KIOSKGUARD_GENERAL__AUDIT_LOG"]
