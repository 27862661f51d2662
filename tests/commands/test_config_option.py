"""`--config FILE` goes after the command's name, for every command that reads a configuration
(and after a fleet subcommand too: `kioskguard fleet status --config X`)."""

from __future__ import annotations

from pathlib import Path

import pytest

from agent.cli import COMMANDS, build_parser

NO_CONFIGURATION = {"simulator", "demo", "uninstall"}  # they read no configuration file
WITH_CONFIG = sorted(set(COMMANDS) - NO_CONFIGURATION)
REQUIRED = {"fleet": ["status"], "logout": [], "status": []}


def parsed_config(argv: list[str]) -> Path | None:
    namespace, unknown = build_parser(argv).parse_known_args(argv)
    assert unknown == [], f"{argv}: {unknown} not understood"
    config: Path | None = namespace.config
    return config


@pytest.mark.parametrize("command", WITH_CONFIG)
def test_every_command_takes_config_after_its_name(command: str) -> None:
    argv = [command, *REQUIRED.get(command, []), "--config", "site.toml"]
    assert parsed_config(argv) == Path("site.toml")


@pytest.mark.parametrize("subcommand", ["status", "report", "collect"])
def test_fleet_takes_config_before_and_after_the_subcommand(subcommand: str) -> None:
    assert parsed_config(["fleet", subcommand, "--config", "a.toml"]) == Path("a.toml")
    assert parsed_config(["fleet", "--config", "a.toml", subcommand]) == Path("a.toml")
    assert parsed_config(["fleet", subcommand]) is None


def test_check_config_takes_config_or_file(capsys: pytest.CaptureFixture[str]) -> None:
    from agent.cli import main

    shipped = Path(__file__).resolve().parents[2] / "config" / "hotel.toml"
    assert main(["check-config", "--config", str(shipped)]) == 0
    assert main(["check-config"]) == 2
    assert "name one file to check" in capsys.readouterr().err
