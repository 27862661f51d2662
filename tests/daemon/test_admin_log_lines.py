"""A log line for each decision an admin looks for: the closing-time warning, a start after an
unclean stop (reloads: tests/test_console_log.py runs the real daemon)."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
from loguru import logger

from agent.daemon.daemon import Daemon
from agent.daemon.fakes import FakeSessionAgent
from agent.daemon.state import LogoutInProgress
from agent.outcome import Linked, Trigger

from .conftest import SATURDAY_EVENING

TWO_PROFILES = [
    {"name": "desk", "user_data_dir": "/nonexistent/desk"},
    {"name": "lobby", "user_data_dir": "/nonexistent/lobby"},
]


@pytest.fixture
def log_lines() -> Iterator[list[str]]:
    lines: list[str] = []
    handler = logger.add(lambda message: lines.append(message.strip()), format="{level} {message}")
    yield lines
    logger.remove(handler)


async def test_closing_warning_logs_that_it_was_shown(
    make_daemon: Callable[..., Daemon], agent: FakeSessionAgent, log_lines: list[str]
) -> None:
    agent.linked = {"desk": Linked.NOT_LINKED}
    await make_daemon(profiles=TWO_PROFILES, closing_time={"warn_minutes": 5}).closing_warning()
    assert "INFO closing time in 5 min: warning shown (1 of 2 profile(s) linked or unknown)" in (
        log_lines
    )


async def test_start_after_an_unclean_stop_is_a_warning(
    make_daemon: Callable[..., Daemon], log_lines: list[str]
) -> None:
    daemon = make_daemon(profiles=TWO_PROFILES)
    daemon.state.begin(LogoutInProgress("lobby", Trigger.CLOSING_TIME, SATURDAY_EVENING))
    await daemon.recover()
    assert "WARNING started after an unclean stop: 1 logout(s) left unfinished (lobby)" in (
        log_lines
    )


async def test_a_clean_start_logs_no_unclean_stop(
    make_daemon: Callable[..., Daemon], log_lines: list[str]
) -> None:
    await make_daemon(profiles=TWO_PROFILES).recover()
    assert not any("unclean stop" in line for line in log_lines)
