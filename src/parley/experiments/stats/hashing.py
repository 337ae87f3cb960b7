"""Deterministic assignment hashing, GrowthBook-compatible (reference §2.10, §3.1, §4.1).

FNV-1a 32-bit over UTF-16 code units (what JavaScript's charCodeAt yields, so the SDK test vectors
of growthbook `cases.json` reproduce bit for bit):
- v1 (legacy, biased): n = (fnv(value + seed) % 1000) / 1000
- v2 (default):        n = (fnv(str(fnv(seed + value))) % 10000) / 10000
Weights map to contiguous ranges [cum, cum + coverage·w); the arm is the first range holding n.
A unit's hash never changes, but a weight edit moves units near the cut points, so the first
assignment must be persisted and win over the hash (§4.2); that storage lives outside this layer.
"""

from __future__ import annotations

from collections.abc import Sequence

_FNV_OFFSET = 0x811C9DC5
_FNV_PRIME = 0x01000193


def fnv1a32(text: str) -> int:
    """FNV-1a 32-bit hash of the UTF-16 code units of `text`."""
    h = _FNV_OFFSET
    data = text.encode("utf-16-le", "surrogatepass")
    for i in range(0, len(data), 2):
        h ^= data[i] | (data[i + 1] << 8)
        h = (h * _FNV_PRIME) & 0xFFFFFFFF
    return h


def hash_unit(seed: str, value: str, version: int = 2) -> float | None:
    """Bucket value in [0, 1) for a unit; None for an unknown hash version."""
    if version == 2:
        return (fnv1a32(str(fnv1a32(seed + value))) % 10000) / 10000
    if version == 1:
        return (fnv1a32(value + seed) % 1000) / 1000
    return None


def equal_weights(n: int) -> list[float]:
    return [1.0 / n] * n if n > 0 else []


def bucket_ranges(
    num_variations: int, coverage: float = 1.0, weights: Sequence[float] | None = None
) -> list[tuple[float, float]]:
    """GrowthBook getBucketRanges: coverage clamped to [0, 1]; weights of the wrong length or
    summing outside [0.99, 1.01] fall back to equal weights."""
    coverage = min(1.0, max(0.0, coverage))
    equal = equal_weights(num_variations)
    chosen = list(weights) if weights is not None else equal
    if len(chosen) != num_variations or not 0.99 <= sum(chosen) <= 1.01:
        chosen = equal
    ranges = []
    cumulative = 0.0
    for w in chosen:
        start = cumulative
        cumulative += w
        ranges.append((start, start + coverage * w))
    return ranges


def choose_variation(n: float, ranges: Sequence[tuple[float, float]]) -> int:
    """Index of the first range with start <= n < end, or -1 (unit outside the coverage)."""
    for i, (start, end) in enumerate(ranges):
        if start <= n < end:
            return i
    return -1


def choose_arm(
    unit_id: str,
    seed: str,
    weights: Sequence[float],
    *,
    coverage: float = 1.0,
    version: int = 2,
) -> int | None:
    """Arm index for `unit_id` in the experiment hashed with `seed`, or None if not enrolled.

    Unlike GrowthBook, positive weights are normalised first (so [1, 1] means 50/50) instead of
    silently falling back to an equal split; weights already summing to 1 behave identically.
    Use a distinct seed per experiment (the experiment id) so experiments stay independent.
    """
    total = sum(weights)
    if not weights or total <= 0 or any(w < 0 for w in weights):
        raise ValueError("weights must be non-negative with a positive sum")
    n = hash_unit(seed, unit_id, version)
    if n is None:
        raise ValueError(f"unknown hash version {version}")
    ranges = bucket_ranges(len(weights), coverage, [w / total for w in weights])
    index = choose_variation(n, ranges)
    return None if index < 0 else index
