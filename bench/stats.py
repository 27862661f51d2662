"""Figures (samples, median, p95), targets and their pass/miss verdicts."""

from __future__ import annotations

import math
import statistics
from dataclasses import dataclass, field
from typing import Any


def percentile(samples: list[float], fraction: float) -> float:
    """Given samples and a fraction in [0, 1], return the nearest-rank percentile.

    Raise ValueError if samples is empty or fraction is outside [0, 1].
    """
    if not samples:
        raise ValueError("percentile of no samples")
    if not 0.0 <= fraction <= 1.0:
        raise ValueError(f"fraction must be between 0 and 1, got {fraction}")
    ordered = sorted(samples)
    rank = max(1, math.ceil(fraction * len(ordered)))
    return ordered[rank - 1]


@dataclass
class Figure:
    """One measured quantity: its samples in ``unit`` and how many runs failed."""

    name: str
    unit: str
    samples: list[float] = field(default_factory=list)
    failures: int = 0
    note: str = ""

    @property
    def median(self) -> float:
        return statistics.median(self.samples) if self.samples else math.nan

    @property
    def p95(self) -> float:
        return percentile(self.samples, 0.95) if self.samples else math.nan

    def as_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "unit": self.unit,
            "runs": len(self.samples),
            "failures": self.failures,
            "median": self.median,
            "p95": self.p95,
            "note": self.note,
            "samples": self.samples,
        }


@dataclass(frozen=True)
class Target:
    """A goal for one figure: ``value <= limit`` passes."""

    description: str
    value: float
    limit: float
    unit: str

    @property
    def passed(self) -> bool:
        return not math.isnan(self.value) and self.value <= self.limit

    def as_dict(self) -> dict[str, Any]:
        return {
            "target": self.description,
            "value": self.value,
            "limit": self.limit,
            "unit": self.unit,
            "passed": self.passed,
        }


def ratio(numerator: Figure, denominator: Figure) -> float:
    """Return the ratio of two figures' medians (nan when either has no samples or is 0)."""
    if not numerator.samples or not denominator.samples or denominator.median == 0:
        return math.nan
    return numerator.median / denominator.median
