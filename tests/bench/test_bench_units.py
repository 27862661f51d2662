"""Pure parts of the benchmarks: percentiles, targets, process matching, config, report."""

from __future__ import annotations

import math
import os
import subprocess
import sys
import time
import tomllib
from pathlib import Path

import pytest

from agent.settings import Settings
from bench.footprint import cpu_seconds, rss_mb, write_config
from bench.processes import browser_processes
from bench.report import Results, markdown
from bench.stats import Figure, Target, percentile, ratio


def test_p95_of_twenty_samples_is_the_nineteenth() -> None:
    assert percentile([float(value) for value in range(1, 21)], 0.95) == 19.0


def test_percentile_of_no_samples_is_refused() -> None:
    with pytest.raises(ValueError, match="no samples"):
        percentile([], 0.5)


def test_target_without_samples_is_a_miss() -> None:
    assert not Target("cold median", Figure("cold", "ms").median, 1200, "ms").passed


def test_ratio_divides_medians() -> None:
    assert ratio(Figure("a", "ms", [2.0, 4.0, 6.0]), Figure("b", "ms", [2.0])) == 2.0
    assert math.isnan(ratio(Figure("a", "ms", [1.0]), Figure("b", "ms")))


def test_browser_processes_finds_a_chromium_naming_the_marker(tmp_path: Path) -> None:
    fake = tmp_path / "chromium"
    fake.symlink_to(sys.executable)
    process = subprocess.Popen([str(fake), "-c", "import time; time.sleep(30)", str(tmp_path)])
    try:
        for _ in range(100):  # until the child has exec'd: before that it shows the parent's name
            if process.pid in browser_processes(str(tmp_path)):
                break
            time.sleep(0.05)
        assert process.pid in browser_processes(str(tmp_path))
    finally:
        process.kill()
        process.wait()
    assert browser_processes(str(tmp_path)) == []


def test_empty_marker_is_refused() -> None:
    with pytest.raises(ValueError, match="marker"):
        browser_processes("")


def test_generated_daemon_config_is_valid_with_five_profiles_and_idle_off(tmp_path: Path) -> None:
    data = tomllib.loads(write_config(tmp_path).read_text())
    settings = Settings.model_validate(data)
    assert len(settings.profiles) == 5 and settings.idle.enabled is False


def test_own_process_has_rss_and_cpu_time() -> None:
    assert rss_mb(os.getpid()) > 1 and cpu_seconds(os.getpid()) > 0


def test_markdown_marks_a_missed_target() -> None:
    results = Results("quick", [Figure("warm", "ms", [400.0])])
    results.targets.append(Target("warm median", 400.0, 300, "ms"))
    assert "| warm median | 400 ms | 300 ms | **miss** |" in markdown(results)


def test_markdown_shows_each_generation_beside_its_floors() -> None:
    def figure(name: str, value: float) -> Figure:
        return Figure(name, "ms", samples=[value, value, value])

    results = Results(mode="quick")
    results.generations["rail-2024"] = (
        figure("cold", 700),
        figure("cold floor", 700),
        figure("warm", 120),
        figure("attach", 20),
    )
    results.generations["wds-2026"] = (
        figure("cold", 735),
        figure("cold floor", 700),
        figure("warm", 150),
        figure("attach", 20),
    )
    page = markdown(results)
    assert "| rail-2024 | 700 ms | 700 ms | 1.000 x | 120 ms | 20 ms |" in page
    assert "| wds-2026 | 735 ms | 700 ms | 1.050 x | 150 ms | 20 ms |" in page
