"""Fixtures of the fault-injection suite: the daemon's unit fixtures, and subprocess helpers."""

from __future__ import annotations

from tests.daemon.conftest import (  # noqa: F401 (fixtures)
    agent,
    clock,
    idle_source,
    make_daemon,
    make_settings,
    outcomes,
)
from tests.daemon_integration.conftest import (  # noqa: F401 (fixtures)
    profile_dir,
    start_daemon,
    state_dir,
)
from tests.session.helpers import profile, service  # noqa: F401 (fixtures)
