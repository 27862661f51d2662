"""Units of bench/shutdown.py: the process-tree RSS sums the daemon and all its descendants."""

from __future__ import annotations

import os
import subprocess
import sys

import psutil

from bench.shutdown import tree_rss_mb

# A child that starts a grandchild, then waits: the tree is three processes deep.
NESTED = (
    "import subprocess, sys, time\n"
    "subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(60)'])\n"
    "print('up', flush=True)\n"
    "time.sleep(60)\n"
)


def test_tree_rss_counts_children_and_grandchildren() -> None:
    alone, count_alone = tree_rss_mb(os.getpid())
    child = subprocess.Popen([sys.executable, "-c", NESTED], stdout=subprocess.PIPE, text=True)
    try:
        assert child.stdout is not None and child.stdout.readline().strip() == "up"
        total, count = tree_rss_mb(os.getpid())
        descendants = psutil.Process(child.pid).children(recursive=True)
        assert count == count_alone + 1 + len(descendants) and len(descendants) == 1
        own = sum(p.memory_info().rss for p in [psutil.Process(child.pid), *descendants])
        assert total * 1024 * 1024 >= alone * 1024 * 1024 + own * 0.9
    finally:
        for process in psutil.Process(child.pid).children(recursive=True):
            process.kill()
        child.kill()
        child.wait()
