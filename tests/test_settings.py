"""The configuration model: files, environment overrides, rejected keys, shipped examples."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic_settings import BaseSettings

from agent.errors import ConfigError
from agent.settings import InvalidSettings, Settings, load_settings

CONFIG = Path(__file__).resolve().parents[1] / "config"


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "kioskguard.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_environment_override_wins_over_the_file(tmp_path: Path, monkeypatch) -> None:
    path = write(tmp_path, "[idle]\ntimeout_s = 300\nwarning_s = 20\n")
    monkeypatch.setenv("KIOSKGUARD_IDLE__TIMEOUT_S", "120")
    settings = load_settings(path)
    assert settings.idle.timeout_s == 120
    assert settings.idle.warning_s == 20  # the rest of the table still comes from the file


def test_unknown_key_is_rejected_with_its_path(tmp_path: Path) -> None:
    path = write(tmp_path, "[idle]\ntimeout_s = 300\ntimeuot_s = 30\n")
    with pytest.raises(InvalidSettings) as caught:
        load_settings(path)
    assert caught.value.problems == [
        f"{path}: idle.timeuot_s: 30: unknown key (not part of the configuration)"
        "; did you mean timeout_s?; allowed in [idle]: enabled, timeout_s, source, poll_s,"
        " warning_s, desktop_notification"
    ]


def test_unknown_environment_key_is_rejected(monkeypatch) -> None:
    monkeypatch.setenv("KIOSKGUARD_IDLE__TIMEOUT", "5")
    with pytest.raises(InvalidSettings, match=r"idle\.timeout: '5': unknown key"):
        load_settings()


def test_every_problem_is_reported_not_just_the_first(tmp_path: Path) -> None:
    text = '[idle]\ntimeout_s = 0.5\n[[closing_time.times]]\ndays = "monday"\ntime = "24:00"\n'
    with pytest.raises(InvalidSettings) as caught:
        load_settings(write(tmp_path, text))
    fields = [problem.split(": ")[1] for problem in caught.value.problems]
    assert fields == ["idle.timeout_s", "closing_time.times[0].days", "closing_time.times[0].time"]


def test_metrics_must_listen_on_loopback(tmp_path: Path) -> None:
    path = write(tmp_path, '[metrics]\nlisten = "0.0.0.0:9108"\n')
    with pytest.raises(InvalidSettings, match="must be a loopback address"):
        load_settings(path)


def test_duplicate_profile_names_are_rejected(tmp_path: Path) -> None:
    entry = '[[profiles]]\nname = "desk"\nuser_data_dir = "/tmp/p"\n'
    with pytest.raises(InvalidSettings, match="desk repeated"):
        load_settings(write(tmp_path, entry * 2))


def test_unknown_timezone_is_rejected(tmp_path: Path) -> None:
    with pytest.raises(InvalidSettings, match="IANA time zone"):
        load_settings(write(tmp_path, '[closing_time]\ntimezone = "Europe/Atlantis"\n'))


def test_missing_file_is_a_config_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="no such file"):
        load_settings(tmp_path / "absent.toml")


def test_toml_syntax_error_names_the_line(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="line 2"):
        load_settings(write(tmp_path, "[idle]\ntimeout_s = = 3\n"))


def test_without_profiles_the_managed_profile_is_guarded(tmp_path: Path) -> None:
    settings = load_settings(write(tmp_path, f'[general]\nstate_dir = "{tmp_path}"\n'))
    (profile,) = settings.effective_profiles()
    assert profile.name == "managed"
    assert profile.user_data_dir == tmp_path / "browser-profile"
    assert profile.url == "https://web.whatsapp.com/"


def test_library_example_closes_at_eight_and_on_sunday_at_five() -> None:
    settings = load_settings(CONFIG / "library.toml")
    times = [(entry.days, entry.time) for entry in settings.closing_time.times]
    assert times == [("mon-sat", "20:00"), ("sun", "17:00")]
    assert settings.idle.timeout_s == 300


def test_hotel_example_logs_out_at_every_logoff_after_three_idle_minutes() -> None:
    settings = load_settings(CONFIG / "hotel.toml")
    assert settings.events.on_logoff is True
    assert settings.idle.timeout_s == 180
    assert settings.closing_time.times == []


def test_settings_is_pydantic_settings_with_the_environment_over_init_tables(monkeypatch) -> None:
    monkeypatch.setenv("KIOSKGUARD_IDLE__TIMEOUT_S", "120")
    monkeypatch.setenv("KIOSKGUARD_BROWSER", "/opt/chrome/chrome")
    settings = Settings(idle={"timeout_s": 300, "warning_s": 20})
    assert isinstance(settings, BaseSettings)
    assert (settings.idle.timeout_s, settings.idle.warning_s) == (120, 20)
    assert settings.browser.executable == Path("/opt/chrome/chrome")


def test_unknown_key_error_names_the_keys_its_table_allows(tmp_path: Path) -> None:
    path = write(tmp_path, '[[closing_time.times]]\ntime = "20:00"\nday = "mon"\n[idel]\nx = 1\n')
    with pytest.raises(InvalidSettings) as caught:
        load_settings(path, use_environment=False)
    assert sorted(caught.value.problems) == [
        f"{path}: closing_time.times[0].day: 'mon': unknown key (not part of the configuration)"
        "; did you mean days?; allowed in [[closing_time.times]]: days, time",
        f"{path}: idel: {{'x': 1}}: unknown key (not part of the configuration)"
        "; did you mean idle?; allowed tables: general, browser, profiles, logout, check, idle,"
        " closing_time, events, metrics, fleet",
    ]


def test_a_url_that_is_not_http_is_explained_in_words_not_as_a_pattern(tmp_path: Path) -> None:
    path = write(tmp_path, '[general]\nclient_url = "ftp://x"\n')
    with pytest.raises(InvalidSettings) as caught:
        load_settings(path, use_environment=False)
    assert caught.value.problems == [
        f"{path}: general.client_url: 'ftp://x': must be an http:// or https:// address such as"
        " https://web.whatsapp.com/"
    ]
