"""Offline probe over a 50-profile tree, beside its floor: reading the same LevelDB files raw."""

from __future__ import annotations

import importlib.util
import time
from pathlib import Path
from types import ModuleType

from agent.outcome import Linked
from agent.probe.probe import probe_user_data_dir
from bench.stats import Figure

MAKE_PROFILES = Path(__file__).resolve().parent.parent / "tools" / "make_profiles.py"


def load_make_profiles() -> ModuleType:
    """Return tools/make_profiles.py as a module (tools/ is not a package)."""
    spec = importlib.util.spec_from_file_location("make_profiles", MAKE_PROFILES)
    if spec is None or spec.loader is None:
        raise ImportError(f"cannot load {MAKE_PROFILES}")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def read_raw(user_data_dir: Path) -> int:
    """Read every file of every profile's Local Storage LevelDB; return the bytes read."""
    total = 0
    for leveldb in user_data_dir.glob("*/Local Storage/leveldb"):
        for path in leveldb.iterdir():
            if path.is_file():
                total += len(path.read_bytes())
    return total


def bench_probe(tree: Path, templates: Path, count: int, runs: int) -> tuple[Figure, Figure]:
    """Build a tree of count profiles (half linked); time the probe and the raw read per profile.

    Raise RuntimeError if the probe does not find exactly the linked half.
    """
    make_profiles = load_make_profiles()
    make_profiles.ensure_templates(templates)
    linked = make_profiles.build_tree(templates, tree, count, count // 2)
    origin = make_profiles.CLIENT
    probe = Figure(f"offline probe per profile (tree of {count})", "ms")
    floor = Figure("probe floor: raw read of the LevelDB files, per profile", "ms")
    for _ in range(runs):
        started = time.perf_counter()
        read_raw(tree)
        floor.samples.append((time.perf_counter() - started) * 1000 / count)
        started = time.perf_counter()
        results = probe_user_data_dir(tree, origin)
        probe.samples.append((time.perf_counter() - started) * 1000 / count)
        found = sum(result.linked is Linked.LINKED for result in results)
        if len(results) != count or found != len(linked):
            raise RuntimeError(
                f"probe saw {found} linked of {len(results)}, expected {len(linked)}"
            )
    return probe, floor
