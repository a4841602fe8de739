"""Latency figures shared by the benchmark scripts: one definition of p50 and of the tail percentiles.

p50 is the median (the mean of the two middle values for an even count); p95/p99 are nearest-rank
percentiles: the smallest sample with at least that share of the samples at or below it.
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Sequence

__all__ = ["median_ms", "percentile_ms"]


def median_ms(seconds: Sequence[float]) -> float:
    """The median of durations in seconds, in milliseconds.

    Example:
        >>> median_ms([0.001, 0.003, 0.002, 0.004])
        2.5
    """
    return statistics.median(seconds) * 1000


def percentile_ms(seconds: Sequence[float], share: float) -> float:
    """The nearest-rank percentile (``share`` in (0, 1]) of durations in seconds, in milliseconds.

    Example:
        >>> samples = [n / 1000 for n in range(1, 201)]  # 1 ms .. 200 ms
        >>> percentile_ms(samples, 0.99), percentile_ms(samples, 0.95), percentile_ms(samples[:10], 0.99)
        (198.0, 190.0, 10.0)
    """
    if not seconds or not 0 < share <= 1:
        raise ValueError("percentile_ms needs samples and a share in (0, 1]")
    ordered = sorted(seconds)
    return ordered[math.ceil(share * len(ordered)) - 1] * 1000
