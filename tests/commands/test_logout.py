"""`kioskguard logout` reporting: the outcome is printed even when the audit line is lost."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from agent import cli
from agent.audit import configure_logging
from agent.commands import logout
from agent.outcome import Outcome, Result, Trigger
from agent.settings import ProfileSettings, Settings


class LoggedOutService:
    """A SessionService whose logout always ends verified logged out."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings

    async def logout(
        self, profile: ProfileSettings, trigger: Trigger, deadline_s: float
    ) -> Outcome:
        return Outcome(
            profile=profile.name, trigger=trigger, result=Result.LOGGED_OUT, verified=True
        )

    async def close(self) -> None:
        return None


@pytest.fixture
def full_audit_disk(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """The audit file on /dev/full (every write fails with ENOSPC); return the profile dir."""
    monkeypatch.setenv("KIOSKGUARD_GENERAL__STATE_DIR", str(tmp_path / "state"))
    monkeypatch.setenv("KIOSKGUARD_GENERAL__AUDIT_LOG", "/dev/full")
    monkeypatch.setattr(logout, "SessionService", LoggedOutService)
    profile = tmp_path / "profile"
    profile.mkdir()
    yield profile
    configure_logging("INFO", None)  # leave loguru writing nowhere near /dev/full


def test_logout_with_a_full_audit_disk_prints_the_outcome_then_the_audit_error(
    full_audit_disk: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code = cli.main(["logout", "--profile", str(full_audit_disk)])
    out, err = capsys.readouterr()
    assert code == 1
    assert "result: logged_out" in out and "verified: QR screen back" in out
    assert "audit log /dev/full: the line for cli (logged_out, manual) was not written" in err
    assert "Traceback" not in err


def test_logout_json_with_a_full_audit_disk_prints_the_json_outcome_and_exits_1(
    full_audit_disk: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code = cli.main(["logout", "--profile", str(full_audit_disk), "--json"])
    out, err = capsys.readouterr()
    assert code == 1
    record = json.loads(out)
    assert (record["profile"], record["result"], record["verified"]) == ("cli", "logged_out", True)
    assert "audit log /dev/full: the line for cli (logged_out, manual) was not written" in err


class FailingService(LoggedOutService):
    """A SessionService whose logout fails with the account's JID in the error and a note."""

    async def logout(
        self, profile: ProfileSettings, trigger: Trigger, deadline_s: float
    ) -> Outcome:
        return Outcome(
            profile=profile.name,
            trigger=trigger,
            error="page of 491511234567:12@c.us hung (Timeout 490.20620157ms exceeded)",
            notes=["phone API: wid 491511234567@s.whatsapp.net"],
        )


@pytest.mark.parametrize("as_json", [True, False])
def test_the_printed_outcome_masks_the_phone_number_and_keeps_other_numbers(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    as_json: bool,
) -> None:
    monkeypatch.setenv("KIOSKGUARD_GENERAL__STATE_DIR", str(tmp_path / "state"))
    monkeypatch.setattr(logout, "SessionService", FailingService)
    (tmp_path / "profile").mkdir()
    arguments = ["logout", "--profile", str(tmp_path / "profile")]
    try:
        code = cli.main([*arguments, "--json"] if as_json else arguments)
    finally:
        configure_logging("INFO", None)
    out, _ = capsys.readouterr()
    assert code == 1
    assert "491511234567" not in out and "49151*****67:12@c.us" in out
    assert "Timeout 490.20620157ms exceeded" in out
    if as_json:
        assert json.loads(out)["notes"] == ["phone API: wid 49151*****67@s.whatsapp.net"]
