"""`kioskguard check-config` and `kioskguard print-config`."""

from __future__ import annotations

from pathlib import Path

import pytest

from agent.cli import main
from agent.settings import load_settings

EXAMPLE = Path(__file__).resolve().parents[2] / "config" / "kioskguard.example.toml"


def test_check_config_lists_every_error_and_exits_2(tmp_path: Path, capsys) -> None:
    path = tmp_path / "bad.toml"
    path.write_text("[idle]\ntimeout_s = 0.5\nbogus = true\n[logout]\nretries = 9\n")
    assert main(["check-config", str(path)]) == 2
    lines = capsys.readouterr().err.splitlines()
    assert lines == [
        f"{path}: logout.retries: 9: Input should be less than or equal to 5",
        f"{path}: idle.timeout_s: 0.5: Input should be greater than or equal to 1",
        f"{path}: idle.bogus: True: unknown key (not part of the configuration)"
        "; allowed in [idle]: enabled, timeout_s, source, poll_s, warning_s,"
        " desktop_notification",
        f"{path}: 3 errors",
    ]


def test_check_config_accepts_a_valid_file_with_a_summary(capsys) -> None:
    assert main(["check-config", str(EXAMPLE)]) == 0
    assert capsys.readouterr().out.startswith(f"{EXAMPLE}: ok (profiles: front-desk;")


def test_check_config_reports_a_syntax_error_with_its_line(tmp_path: Path, capsys) -> None:
    path = tmp_path / "broken.toml"
    path.write_text("[idle]\n\n[events\n")
    assert main(["check-config", str(path)]) == 2
    error = capsys.readouterr().err
    assert error.startswith(f"{path}: TOML syntax error")
    assert "line 3" in error


def test_check_config_of_a_missing_file_exits_2(tmp_path: Path, capsys) -> None:
    assert main(["check-config", str(tmp_path / "absent.toml")]) == 2
    assert capsys.readouterr().err.strip() == f"{tmp_path / 'absent.toml'}: no such file"


def test_check_config_ignores_environment_overrides(monkeypatch, capsys) -> None:
    monkeypatch.setenv("KIOSKGUARD_IDLE__TIMEOUT_S", "1")
    assert main(["check-config", str(EXAMPLE)]) == 0


def test_print_config_equals_the_committed_example(capsys) -> None:
    assert main(["print-config"]) == 0
    assert capsys.readouterr().out == EXAMPLE.read_text(encoding="utf-8")


def test_the_example_configuration_is_valid() -> None:
    settings = load_settings(EXAMPLE, use_environment=False)
    assert settings.closing_time.times[0].time == "20:00"


@pytest.mark.parametrize("name", ["library.toml", "hotel.toml"])
def test_shipped_configurations_pass_check_config(name: str, capsys) -> None:
    assert main(["check-config", str(EXAMPLE.parent / name)]) == 0


def test_check_config_names_the_relaunch_limit_and_headless_shell_fields(
    tmp_path: Path, capsys
) -> None:
    path = tmp_path / "bad.toml"
    path.write_text('[logout]\nparallel_launches = 0\n[browser]\nheadless_shell = "maybe"\n')
    assert main(["check-config", str(path)]) == 2
    err = capsys.readouterr().err
    assert f"{path}: logout.parallel_launches: 0: Input should be greater than or equal to 1" in err
    assert f"{path}: browser.headless_shell: 'maybe': Input should be a valid boolean" in err


def test_check_config_names_a_state_dir_it_may_not_look_into_instead_of_a_traceback(
    tmp_path: Path, capsys, monkeypatch
) -> None:
    # As a service user, a state_dir under another user's home cannot even be stat'ed (EACCES;
    # root, which runs the tests, is never refused, so the refusal is simulated).
    locked = tmp_path / "locked"
    path = tmp_path / "site.toml"
    path.write_text(f'[general]\nstate_dir = "{locked / "state"}"\n')
    real_stat = Path.stat

    def stat(self: Path, **kwargs: object):  # type: ignore[no-untyped-def]
        if self.is_relative_to(locked):
            raise PermissionError(13, "Permission denied", str(self))
        return real_stat(self, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(Path, "stat", stat)
    assert main(["check-config", str(path)]) == 2
    err = capsys.readouterr().err
    assert "Traceback" not in err
    assert f"{path}: general.state_dir: '{locked / 'state'}': cannot be checked by " in err
    assert "Permission denied" in err


def test_check_config_refuses_a_state_dir_no_directory_can_be_made_in(
    tmp_path: Path, capsys
) -> None:
    # /proc takes no new directories, even from root (whose permission bits always say yes)
    path = tmp_path / "site.toml"
    path.write_text('[general]\nstate_dir = "/proc/kioskguard-state"\n')
    assert main(["check-config", str(path)]) == 2
    err = capsys.readouterr().err
    assert f"{path}: general.state_dir: '/proc/kioskguard-state': cannot be created" in err


def test_check_config_leaves_nothing_behind_where_it_tried_a_directory(
    tmp_path: Path, capsys
) -> None:
    path = tmp_path / "site.toml"
    path.write_text(f'[general]\nstate_dir = "{tmp_path / "state" / "kioskguard"}"\n')
    assert main(["check-config", str(path)]) == 0, capsys.readouterr().err
    assert sorted(entry.name for entry in tmp_path.iterdir()) == ["site.toml"]


def test_check_config_says_which_environment_overrides_it_did_not_apply(
    tmp_path: Path, capsys, monkeypatch
) -> None:
    path = tmp_path / "site.toml"
    path.write_text("[idle]\ntimeout_s = 300\n")
    monkeypatch.setenv("KIOSKGUARD_IDLE__TIMEOUT_S", "yes")
    assert main(["check-config", str(path)]) == 0  # the file is fine: it is what is checked
    out, err = capsys.readouterr()
    assert "idle logout after 300 s" in out and err == ""
    assert "not applied here (only the file is checked): KIOSKGUARD_IDLE__TIMEOUT_S;" in out


def test_check_config_notes_a_profile_directory_that_does_not_exist(tmp_path: Path, capsys) -> None:
    missing = tmp_path / "seat-1"
    path = tmp_path / "site.toml"
    path.write_text(f'[[profiles]]\nname = "seat-1"\nuser_data_dir = "{missing}"\n')
    assert main(["check-config", str(path)]) == 0  # a browser may make it later: not an error
    out, err = capsys.readouterr()
    assert out.startswith(f"{path}: ok (profiles: seat-1;") and err == ""
    assert (
        f"note: {path}: profiles[0].user_data_dir (seat-1): '{missing}': no such directory (yet)"
        in out
    )
    missing.mkdir()
    assert main(["check-config", str(path)]) == 0
    assert "note:" not in capsys.readouterr().out
