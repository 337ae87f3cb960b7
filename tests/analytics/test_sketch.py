"""Histogram percentiles agree with exact nearest-rank percentiles within the stated bound."""

from __future__ import annotations

import random

import pytest

from parley.analytics import service
from parley.analytics.sketch import RELATIVE_ERROR, Histogram, bucket, representative


def test_the_bound_is_under_one_percent() -> None:
    assert RELATIVE_ERROR < 0.01
    for value in (1e-4, 0.37, 1.0, 59.99, 60.0, 3_600.5, 1e7):
        assert representative(bucket(value)) == pytest.approx(value, rel=RELATIVE_ERROR)


@pytest.mark.parametrize("seed", range(5))
def test_percentiles_within_the_bound_of_exact_ones(seed: int) -> None:
    rng = random.Random(seed)
    values = [rng.lognormvariate(4, 1.2) for _ in range(rng.randint(1, 3_000))]
    values += [0.0] * rng.randint(0, 20)  # zero-length calls
    ordered = sorted(values)
    histogram = Histogram.of(values)
    for p in (1, 25, 50, 90, 99, 100):
        exact = service.percentile(ordered, p)
        assert exact is not None
        assert histogram.percentile(p) == pytest.approx(exact, rel=RELATIVE_ERROR, abs=0)


def test_merging_equals_one_histogram_of_everything() -> None:
    rng = random.Random(7)
    parts = [[rng.expovariate(0.1) for _ in range(rng.randint(0, 200))] for _ in range(12)]
    merged = Histogram()
    for part in parts:
        merged.merge_json(Histogram.of(part).to_json())
    whole = Histogram.of(v for part in parts for v in part)
    assert merged.to_json() == whole.to_json()
    assert [merged.percentile(p) for p in (50, 90, 99)] == [
        whole.percentile(p) for p in (50, 90, 99)
    ]


def test_empty_and_single_values() -> None:
    assert Histogram().percentile(50) is None
    assert Histogram.of([4.0]).percentile(99) == 4.0  # clamped to the exact min and max
    assert Histogram.of([0.0, 0.0]).percentile(50) == 0.0
