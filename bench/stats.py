"""Small statistics helpers; every duration is kept in seconds and reported in milliseconds."""

from __future__ import annotations

import math
import statistics
from collections.abc import Sequence


def percentile(samples: Sequence[float], fraction: float) -> float:
    """Nearest-rank percentile (``fraction`` in 0..1)."""
    if not samples:
        return math.nan
    ordered = sorted(samples)
    rank = max(1, math.ceil(fraction * len(ordered)))
    return ordered[rank - 1]


def median(samples: Sequence[float]) -> float:
    return statistics.median(samples) if samples else math.nan


def summary_ms(samples: Sequence[float]) -> dict[str, float]:
    """p50/p95/mean in milliseconds, with the sample count."""
    return {
        "p50_ms": round(median(samples) * 1000, 3),
        "p95_ms": round(percentile(samples, 0.95) * 1000, 3),
        "mean_ms": round(statistics.fmean(samples) * 1000, 3) if samples else math.nan,
        "n": len(samples),
    }


def ratio(numerator: float, denominator: float) -> float:
    if not denominator or math.isnan(numerator) or math.isnan(denominator):
        return math.nan
    return round(numerator / denominator, 2)
