"""Fixtures of the daemon's unit tests: settings in a temporary state dir, fakes, fixed time."""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from agent.daemon.daemon import Daemon
from agent.daemon.fakes import FakeIdleSource, FakeSessionAgent
from agent.outcome import Outcome
from agent.platform.fakeclock import FakeClock
from agent.platform.signals import SignalRouter
from agent.settings import Settings

BERLIN = ZoneInfo("Europe/Berlin")
SATURDAY_EVENING = datetime(2025, 6, 14, 19, 0, tzinfo=BERLIN)  # a Saturday

MakeSettings = Callable[..., Settings]


@pytest.fixture
def make_settings(tmp_path: Path) -> MakeSettings:
    """Return a factory of Settings whose state lives in tmp_path; keyword = TOML table."""

    def make(**tables: Any) -> Settings:
        general = {"state_dir": str(tmp_path / "state"), **tables.pop("general", {})}
        return Settings.model_validate({"general": general, **tables})

    return make


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(SATURDAY_EVENING)


@pytest.fixture
def agent() -> FakeSessionAgent:
    return FakeSessionAgent()


@pytest.fixture
def idle_source(clock: FakeClock) -> FakeIdleSource:
    return FakeIdleSource(clock)


@pytest.fixture
def outcomes() -> list[Outcome]:
    return []


@pytest.fixture
def make_daemon(
    make_settings: MakeSettings,
    agent: FakeSessionAgent,
    clock: FakeClock,
    idle_source: FakeIdleSource,
    outcomes: list[Outcome],
) -> Callable[..., Daemon]:
    """Return a factory of Daemons wired to the fakes; keyword = TOML table."""

    def make(**tables: Any) -> Daemon:
        return Daemon(
            make_settings(**tables),
            agent,
            clock,
            idle_source=idle_source,
            hooks=[outcomes.append],
        )

    return make


@contextlib.contextmanager
def routed_signals(daemon: Daemon) -> Iterator[SignalRouter]:
    """Route the process's signals to daemon as `kioskguard run` does (agent/daemon/command.py:
    SignalRouter.install, then attach), for as long as the block runs. Call in the loop."""
    router = SignalRouter()
    remove = router.install()
    router.attach(daemon)
    try:
        yield router
    finally:
        router.attach(None)
        remove()
