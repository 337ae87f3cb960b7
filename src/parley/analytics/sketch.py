"""A mergeable histogram with fixed log-spaced buckets, for percentiles over rollups.

A positive value x falls in bucket i = ceil(log_GAMMA(x)), i.e. (GAMMA^(i-1), GAMMA^i], and a
bucket is reported as 2·GAMMA^i / (GAMMA + 1), the point whose relative distance to both edges
is the same: so every reported value is within RELATIVE_ERROR = (GAMMA - 1) / (GAMMA + 1) of
any value in its bucket (the DDSketch bound; 0.99 % for GAMMA = 1.02). Zero and negative
values share one bucket, reported as 0 (durations and latencies are never negative).

A percentile is the nearest-rank one over the buckets: the bucket holding the rank-th smallest
value, so the answer is within RELATIVE_ERROR of the exact nearest-rank value, and clamped to
the exact minimum and maximum (kept alongside), which can only bring it closer. Histograms
merge by adding counts, which is what makes per-day rollups add up to any range exactly.

Stored as JSON: {"n": count, "min": x, "max": x, "z": zeros, "b": {"<i>": count}}.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from typing import Any

GAMMA = 1.02
RELATIVE_ERROR = (GAMMA - 1) / (GAMMA + 1)
_LOG_GAMMA = math.log(GAMMA)


def bucket(value: float) -> int:
    return math.ceil(math.log(value) / _LOG_GAMMA)


def representative(index: int) -> float:
    return 2 * GAMMA**index / (GAMMA + 1)


class Histogram:
    __slots__ = ("buckets", "count", "high", "low", "zeros")

    def __init__(self) -> None:
        self.count = 0
        self.zeros = 0
        self.low = math.inf
        self.high = -math.inf
        self.buckets: dict[int, int] = {}

    @classmethod
    def of(cls, values: Iterable[float]) -> Histogram:
        histogram = cls()
        for value in values:
            histogram.add(value)
        return histogram

    def add(self, value: float) -> None:
        self.count += 1
        self.low = min(self.low, value)
        self.high = max(self.high, value)
        if value <= 0:
            self.zeros += 1
            return
        index = bucket(value)
        self.buckets[index] = self.buckets.get(index, 0) + 1

    def merge(self, other: Histogram) -> None:
        if not other.count:
            return
        self.count += other.count
        self.zeros += other.zeros
        self.low = min(self.low, other.low)
        self.high = max(self.high, other.high)
        buckets = self.buckets
        for index, n in other.buckets.items():
            buckets[index] = buckets.get(index, 0) + n

    def merge_json(self, data: dict[str, Any]) -> None:
        """Merge a stored histogram without building an object for it (the hot path)."""
        if not data or not data.get("n"):
            return
        self.count += int(data["n"])
        self.zeros += int(data.get("z", 0))
        self.low = min(self.low, float(data["min"]))
        self.high = max(self.high, float(data["max"]))
        buckets = self.buckets
        for key, n in data["b"].items():
            index = int(key)
            buckets[index] = buckets.get(index, 0) + n

    def to_json(self) -> dict[str, Any]:
        if not self.count:
            return {"n": 0}
        return {
            "n": self.count,
            "min": self.low,
            "max": self.high,
            "z": self.zeros,
            "b": {str(i): n for i, n in sorted(self.buckets.items())},
        }

    def percentile(self, p: float) -> float | None:
        """Nearest-rank percentile, within RELATIVE_ERROR of the exact one (see above)."""
        if not self.count:
            return None
        rank = max(1, math.ceil(p / 100 * self.count))
        if rank <= self.zeros:
            return max(self.low, min(0.0, self.high))
        seen = self.zeros
        for index in sorted(self.buckets):
            seen += self.buckets[index]
            if seen >= rank:
                return min(self.high, max(self.low, representative(index)))
        return self.high  # unreachable when counts are consistent
