"""Units of bench/shutdown.py: the process-tree RSS sums the daemon and all its descendants."""

from __future__ import annotations

import subprocess
import sys

import psutil

from bench.shutdown import tree_rss_mb

# A child that starts a grandchild and says "up" once the grandchild has started too (its
# memory no longer growing), then waits: the tree is three processes deep.
NESTED = (
    "import subprocess, sys, time\n"
    "grandchild = subprocess.Popen([sys.executable, '-c',"
    " 'import time; print(1, flush=True); time.sleep(60)'], stdout=subprocess.PIPE)\n"
    "grandchild.stdout.readline()\n"
    "print('up', flush=True)\n"
    "time.sleep(60)\n"
)


def test_tree_rss_counts_children_and_grandchildren() -> None:
    # The tree measured is the child's own, not the test runner's: other tests' processes
    # come and go under the runner (one combined run counted one too many there).
    child = subprocess.Popen([sys.executable, "-c", NESTED], stdout=subprocess.PIPE, text=True)
    try:
        assert child.stdout is not None and child.stdout.readline().strip() == "up"
        descendants = psutil.Process(child.pid).children(recursive=True)
        own = sum(p.memory_info().rss for p in [psutil.Process(child.pid), *descendants])
        total, count = tree_rss_mb(child.pid)
        assert count == 1 + len(descendants) and len(descendants) == 1
        assert total * 1024 * 1024 >= own * 0.9
        alone, _ = tree_rss_mb(descendants[0].pid)
        assert total > alone  # the grandchild's memory alone is less than the whole tree's
    finally:
        for process in psutil.Process(child.pid).children(recursive=True):
            process.kill()
        child.kill()
        child.wait()
