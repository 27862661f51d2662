"""Benchmarks: each figure beside its floor, median and p95, written to docs/benchmarks.*.

Run with ``python -m bench`` (``make bench``); ``--quick`` shortens the long phases.
"""
