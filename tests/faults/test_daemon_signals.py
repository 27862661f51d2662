"""Signals to a real `kioskguard run`: none of them may end the guard silently.

Reported: SIGUSR1 killed the daemon (exit 138, no log line, no audit line, no final logout).
Now SIGUSR1 dumps the status to the log, SIGUSR2 reopens the audit file, SIGPIPE, SIGALRM and
the others are ignored, and SIGTERM still logs the stored session out.
"""

from __future__ import annotations

import signal

import pytest

from agent.simulator.testing import SimulatorHandle
from tests.daemon_integration.conftest import (  # noqa: F401 (fixtures)
    base_config,
    profile_dir,
    start_daemon,
    state_dir,
)
from tests.faults.disk_helpers import (  # noqa: F401 (fixtures)
    GuardFactory,
    assert_logged_out_at_stop,
    stored_session_guard,
)

pytestmark = pytest.mark.browser

OTHERS = (
    signal.SIGPIPE,
    signal.SIGALRM,
    signal.SIGVTALRM,
    signal.SIGPROF,
    signal.SIGTTIN,
    signal.SIGTTOU,
    signal.SIGIO,
    signal.SIGPWR,
    signal.SIGRTMIN + 2,
)


async def test_usr1_usr2_pipe_alrm_and_others_leave_it_running_and_sigterm_still_logs_out(
    sim: SimulatorHandle,
    stored_session_guard: GuardFactory,  # noqa: F811
) -> None:
    daemon = await stored_session_guard()
    daemon.process.send_signal(signal.SIGUSR1)
    daemon.wait_for_log("status: managed: ")
    daemon.wait_for_log("status: audit log: written; state.json: written")
    daemon.process.send_signal(signal.SIGUSR2)
    daemon.wait_for_log("SIGUSR2: reopening the audit file")
    for number in OTHERS:
        daemon.process.send_signal(number)
    daemon.wait_for_log("SIGRTMIN+2 received: ignored")
    assert "SIGALRM received: ignored" in daemon.log()
    assert daemon.process.poll() is None
    assert len(sim.devices()) == 1
    assert daemon.terminate() == 0
    assert_logged_out_at_stop(daemon, sim)
    assert "Traceback" not in daemon.log()
