"""Desktop notifications through a stand-in notify-send script."""

from __future__ import annotations

from pathlib import Path

import pytest

from agent.platform.notify import DesktopNotifier


def fake_notify_send(tmp_path: Path, exit_status: int = 0) -> Path:
    """Write an executable that records its arguments, one per line, and exits."""
    script = tmp_path / "notify-send"
    record = tmp_path / "arguments"
    script.write_text(f'#!/bin/sh\nprintf "%s\\n" "$@" > {record}\nexit {exit_status}\n')
    script.chmod(0o755)
    return script


async def test_notification_passes_title_and_body_to_notify_send(tmp_path: Path) -> None:
    script = fake_notify_send(tmp_path)
    notifier = DesktopNotifier(which=lambda _: str(script))
    assert await notifier.send("Logging out", "WhatsApp Web in 30 s")
    lines = (tmp_path / "arguments").read_text().splitlines()
    assert lines[-3:] == ["--", "Logging out", "WhatsApp Web in 30 s"]
    assert "--app-name=kioskguard" in lines


async def test_failing_notify_send_reports_not_shown(tmp_path: Path) -> None:
    notifier = DesktopNotifier(which=lambda _: str(fake_notify_send(tmp_path, exit_status=1)))
    assert not await notifier.send("Logging out")


async def test_without_notify_send_nothing_is_shown_and_nothing_fails() -> None:
    notifier = DesktopNotifier(which=lambda _: None)
    assert not await notifier.send("Logging out")
    await notifier.notify("Logging out", "still no error")


async def test_hanging_notify_send_is_stopped_at_the_timeout(tmp_path: Path) -> None:
    script = tmp_path / "notify-send"
    script.write_text("#!/bin/sh\nexec sleep 30\n")
    script.chmod(0o755)
    notifier = DesktopNotifier(timeout=0.2, which=lambda _: str(script))
    assert not await notifier.send("Logging out")


def test_unknown_urgency_is_rejected() -> None:
    with pytest.raises(ValueError, match="urgency must be one of"):
        DesktopNotifier(urgency="urgent")
