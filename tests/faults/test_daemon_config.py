"""Faults in the configuration: strict types, the README's KIOSKGUARD_BROWSER, bad values.

Each case was reproduced on main first (a quoted "yes" accepted as true, a pydantic-settings
traceback for KIOSKGUARD_BROWSER) and now ends in a clear message and exit 2, never a traceback.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from agent.settings import InvalidSettings, load_settings

REPOSITORY = Path(__file__).resolve().parents[2]


def kioskguard(
    *arguments: str, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "agent", *arguments],
        cwd=REPOSITORY,
        env={**os.environ, **(env or {})},
        capture_output=True,
        text=True,
        timeout=60,
    )


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "kioskguard.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_quoted_yes_for_a_boolean_is_an_error_naming_file_field_value_and_what_is_allowed(
    tmp_path: Path,
) -> None:
    path = write(tmp_path, '[browser]\nallow_remote_cdp = "yes"\n')
    with pytest.raises(InvalidSettings) as caught:
        load_settings(path)
    assert caught.value.problems == [
        f"{path}: browser.allow_remote_cdp: 'yes': Input should be a valid boolean;"
        " allowed: true or false, unquoted"
    ]


def test_quoted_numbers_booleans_for_numbers_and_nan_are_all_reported_at_once(
    tmp_path: Path,
) -> None:
    text = (
        '[browser]\ndebugging_port = "9222"\n[idle]\ntimeout_s = true\n'
        "[logout]\ndeadline_s = nan\nretries = 1.5\n"
    )
    with pytest.raises(InvalidSettings) as caught:
        load_settings(write(tmp_path, text))
    fields = sorted(problem.split(": ")[1] for problem in caught.value.problems)
    assert fields == [
        "browser.debugging_port",
        "idle.timeout_s",
        "logout.deadline_s",
        "logout.retries",
    ]
    assert any("finite number" in problem for problem in caught.value.problems)


def test_whole_numbers_are_accepted_for_seconds(tmp_path: Path) -> None:
    settings = load_settings(write(tmp_path, "[idle]\ntimeout_s = 120\n"), use_environment=False)
    assert settings.idle.timeout_s == 120.0


def test_kioskguard_browser_names_the_executable() -> None:
    settings = load_settings(environment={"KIOSKGUARD_BROWSER": "/opt/chrome/chrome"})
    assert settings.browser.executable == Path("/opt/chrome/chrome")


def test_explicit_executable_variable_wins_over_the_short_form() -> None:
    environment = {
        "KIOSKGUARD_BROWSER": "/opt/chrome/chrome",
        "KIOSKGUARD_BROWSER__EXECUTABLE": "/usr/bin/chromium",
    }
    assert load_settings(environment=environment).browser.executable == Path("/usr/bin/chromium")


def test_environment_booleans_and_numbers_are_strict_and_name_the_variable() -> None:
    environment = {
        "KIOSKGUARD_BROWSER__ALLOW_REMOTE_CDP": "yes",
        "KIOSKGUARD_IDLE__TIMEOUT_S": "soon",
        "KIOSKGUARD_IDLE__ENABLED": "FALSE",
    }
    with pytest.raises(InvalidSettings) as caught:
        load_settings(environment=environment)
    assert caught.value.problems == [
        "environment KIOSKGUARD_BROWSER__ALLOW_REMOTE_CDP: browser.allow_remote_cdp: 'yes':"
        " Input should be a valid boolean; allowed: true or false, unquoted",
        "environment KIOSKGUARD_IDLE__TIMEOUT_S: idle.timeout_s: 'soon':"
        " Input should be a valid number; allowed: a number, unquoted",
    ]


def test_tool_variables_without_a_table_are_not_settings() -> None:
    settings = load_settings(environment={"KIOSKGUARD_TEST_OWN_XVFB": "1"})
    assert settings.browser.executable is None


@pytest.mark.parametrize("command", ["status", "logout", "run", "check-config"])
def test_every_command_accepts_kioskguard_browser_without_a_traceback(
    tmp_path: Path, command: str
) -> None:
    profile = tmp_path / "missing-profile"
    config = write(tmp_path, '[idle]\nenabled = "yes"\n')
    arguments = {
        "status": ["status", "--profile", str(profile)],
        "logout": ["logout", "--profile", str(profile)],
        "run": ["run", "--config", str(config)],
        "check-config": ["check-config", str(config)],
    }[command]
    result = kioskguard(*arguments, env={"KIOSKGUARD_BROWSER": "/usr/bin/chromium"})
    assert "Traceback" not in result.stderr and "SettingsError" not in result.stderr
    assert result.returncode == 2, result.stderr
    expected = "no such directory" if command in ("status", "logout") else "idle.enabled: 'yes'"
    assert expected in result.stderr


def test_run_without_config_reads_the_users_file(tmp_path: Path) -> None:
    home = tmp_path / "home"
    config = home / ".config" / "kioskguard" / "kioskguard.toml"
    config.parent.mkdir(parents=True)
    config.write_text('[idle]\nenabled = "yes"\n', encoding="utf-8")
    environment = {"HOME": str(home), "XDG_CONFIG_HOME": "", "CONFIGURATION_DIRECTORY": ""}
    result = kioskguard("run", env=environment)
    assert result.returncode == 2
    assert f"{config}: idle.enabled: 'yes'" in result.stderr


def test_environment_text_true_false_and_digits_are_accepted() -> None:
    environment = {
        "KIOSKGUARD_IDLE__ENABLED": "False",
        "KIOSKGUARD_IDLE__TIMEOUT_S": "120",
        "KIOSKGUARD_IDLE__POLL_S": "0.5",
        "KIOSKGUARD_BROWSER__DEBUGGING_PORT": "9333",
        "KIOSKGUARD_BROWSER__HEADLESS_COLD": "true",
        "KIOSKGUARD_LOGOUT__DEADLINE_S": "1e1",
    }
    settings = load_settings(environment=environment)
    assert settings.idle.enabled is False and settings.browser.headless_cold is True
    assert (settings.idle.timeout_s, settings.idle.poll_s) == (120.0, 0.5)
    assert settings.browser.debugging_port == 9333 and settings.logout.deadline_s == 10.0


def test_environment_nan_inf_one_and_fractions_for_whole_numbers_name_each_variable() -> None:
    environment = {
        "KIOSKGUARD_IDLE__TIMEOUT_S": "nan",
        "KIOSKGUARD_LOGOUT__DEADLINE_S": "inf",
        "KIOSKGUARD_EVENTS__ON_LOCK": "1",
        "KIOSKGUARD_LOGOUT__RETRIES": "1.5",
    }
    with pytest.raises(InvalidSettings) as caught:
        load_settings(environment=environment)
    assert sorted(caught.value.problems) == [
        "environment KIOSKGUARD_EVENTS__ON_LOCK: events.on_lock: '1':"
        " Input should be a valid boolean; allowed: true or false, unquoted",
        "environment KIOSKGUARD_IDLE__TIMEOUT_S: idle.timeout_s: 'nan':"
        " Input should be a valid number; allowed: a number, unquoted",
        "environment KIOSKGUARD_LOGOUT__DEADLINE_S: logout.deadline_s: 'inf':"
        " Input should be a valid number; allowed: a number, unquoted",
        "environment KIOSKGUARD_LOGOUT__RETRIES: logout.retries: '1.5':"
        " Input should be a valid integer; allowed: a whole number, unquoted",
    ]


def test_environment_json_that_does_not_parse_names_the_variable_not_a_traceback() -> None:
    environment = {"KIOSKGUARD_PROFILES": "desk", "KIOSKGUARD_IDLE": "off"}
    with pytest.raises(InvalidSettings) as caught:
        load_settings(environment=environment)
    assert caught.value.problems == [
        "environment KIOSKGUARD_PROFILES: profiles: 'desk': Input should be a valid list",
        "environment KIOSKGUARD_IDLE: idle: 'off':"
        " Input should be a valid dictionary or instance of IdleSettings",
    ]


def test_environment_json_for_profiles_and_closing_times_is_typed_json() -> None:
    environment = {
        "KIOSKGUARD_PROFILES": '[{"name": "desk", "user_data_dir": "/srv/desk"}]',
        "KIOSKGUARD_CLOSING_TIME__TIMES": '[{"days": "sun", "time": "17:00"}]',
        "KIOSKGUARD_CLOSING_TIME__WARN_MINUTES": "3",
    }
    settings = load_settings(environment=environment)
    assert [(p.name, p.user_data_dir) for p in settings.profiles] == [("desk", Path("/srv/desk"))]
    assert [(t.days, t.time) for t in settings.closing_time.times] == [("sun", "17:00")]
    assert settings.closing_time.warn_minutes == 3


def test_an_unknown_key_with_keys_below_it_names_the_variable() -> None:
    with pytest.raises(InvalidSettings) as caught:
        load_settings(environment={"KIOSKGUARD_IDLE__TIMEOUT__S": "120"})
    assert caught.value.problems == [
        "environment KIOSKGUARD_IDLE__TIMEOUT__S: idle.timeout: {'s': '120'}:"
        " unknown key (not part of the configuration); did you mean timeout_s?"
        "; allowed in [idle]: enabled, timeout_s, source, poll_s, warning_s,"
        " desktop_notification"
    ]
