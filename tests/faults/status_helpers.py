"""Helpers of the status tests: waiting for Chromium's delayed write of localStorage."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from agent.outcome import Linked
from agent.probe.probe import probe_user_data_dir
from agent.session.service import combine

HANG_GUARD_S = 120  # only against hangs: no assertion on speed


def wait_for_disk(profile_dir: Path, url: str, wanted: Linked) -> None:
    """Wait until the stored data on disk says wanted (Chromium flushes it seconds late)."""
    for _ in range(HANG_GUARD_S * 4):
        if combine(probe_user_data_dir(profile_dir, url), "", "").linked is wanted:
            return
        time.sleep(0.25)
    pytest.fail(f"the stored data of {profile_dir} never said {wanted.value}")
