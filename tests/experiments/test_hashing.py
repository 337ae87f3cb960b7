"""Assignment hashing vs growthbook `packages/sdk-js/test/cases.json` (reference §3.1, §5.7)."""

from __future__ import annotations

from collections import Counter

import pytest

from parley.experiments.stats._special import chi2_sf
from parley.experiments.stats.hashing import (
    bucket_ranges,
    choose_arm,
    choose_variation,
    equal_weights,
    fnv1a32,
    hash_unit,
)

# [seed, value, version] -> n, all 15 vectors listed in §3.1.
HASH_CASES = [
    ("", "a", 1, 0.22),
    ("", "b", 1, 0.077),
    ("b", "a", 1, 0.946),
    ("ef", "d", 1, 0.652),
    ("asdf", "8952klfjas09ujk", 1, 0.549),
    ("", "123", 1, 0.011),
    ("", '___)((*":&', 1, 0.563),
    ("seed", "a", 2, 0.0505),
    ("seed", "b", 2, 0.2696),
    ("foo", "ab", 2, 0.2575),
    ("foo", "def", 2, 0.2019),
    ("89123klj", "8952klfjas09ujkasdf", 2, 0.124),
    ("90850943850283058242805", "123", 2, 0.7516),
    ("()**(%$##$%#$#", '___)((*":&', 2, 0.0128),
    ("abc", "def", 99, None),
]


@pytest.mark.parametrize(("seed", "value", "version", "expected"), HASH_CASES)
def test_hash_vectors(seed: str, value: str, version: int, expected: float | None) -> None:
    assert hash_unit(seed, value, version) == expected


def test_fnv1a_known_value() -> None:
    # FNV-1a 32 of the empty string is the offset basis; of "a" the published 0xe40c292c.
    assert fnv1a32("") == 0x811C9DC5
    assert fnv1a32("a") == 0xE40C292C


# getBucketRange cases from cases.json: [numVariations, coverage, weights] -> ranges.
RANGE_CASES = [
    ((2, 1, None), [(0, 0.5), (0.5, 1)]),
    ((2, 0.5, None), [(0, 0.25), (0.5, 0.75)]),
    ((2, 0, None), [(0, 0), (0.5, 0.5)]),
    ((4, 1, None), [(0, 0.25), (0.25, 0.5), (0.5, 0.75), (0.75, 1)]),
    ((2, 1, [0.4, 0.6]), [(0, 0.4), (0.4, 1)]),
    ((3, 1, [0.2, 0.3, 0.5]), [(0, 0.2), (0.2, 0.5), (0.5, 1)]),
    ((3, 0.2, [0.2, 0.3, 0.5]), [(0, 0.04), (0.2, 0.26), (0.5, 0.6)]),
    ((2, -0.2, None), [(0, 0), (0.5, 0.5)]),
    ((2, 1.5, None), [(0, 0.5), (0.5, 1)]),
    ((2, 1, [0.4, 0.1]), [(0, 0.5), (0.5, 1)]),
    ((2, 1, [0.7, 0.6]), [(0, 0.5), (0.5, 1)]),
    ((4, 1, [0.4, 0.4, 0.2]), [(0, 0.25), (0.25, 0.5), (0.5, 0.75), (0.75, 1)]),
    ((2, 1, [0.4, 0.5999]), [(0, 0.4), (0.4, 0.9999)]),
]


@pytest.mark.parametrize(("args", "expected"), RANGE_CASES)
def test_bucket_ranges(
    args: tuple[int, float, list[float] | None], expected: list[tuple[float, float]]
) -> None:
    got = bucket_ranges(*args)
    assert len(got) == len(expected)
    for (s, e), (es, ee) in zip(got, expected, strict=True):
        assert s == pytest.approx(es, abs=1e-12)
        assert e == pytest.approx(ee, abs=1e-12)


@pytest.mark.parametrize(
    ("n", "ranges", "expected"),
    [
        (0.5, [(0, 0.5), (0.5, 1)], 1),
        (0.4, [(0, 0.25), (0.5, 0.75)], -1),
        (0.5, [(0, 0.5), (0.5, 0.5), (0.5, 1)], 2),
        (0.0, [(0, 0.5), (0.5, 1)], 0),
        (1.0, [(0, 0.5), (0.5, 1)], -1),
        (0.6, [(0, 0.25), (0.5, 0.75)], 1),
    ],
)
def test_choose_variation(n: float, ranges: list[tuple[float, float]], expected: int) -> None:
    assert choose_variation(n, ranges) == expected


def test_equal_weights() -> None:
    assert equal_weights(3) == pytest.approx([0.33333333] * 3)
    assert equal_weights(0) == []


def test_run_cases_default_weights() -> None:
    # cases.json "run": key "my-test", hash v1 with the key as seed.
    arms = [choose_arm(str(i), "my-test", [0.5, 0.5], version=1) for i in range(1, 10)]
    assert arms == [1, 0, 0, 1, 1, 1, 0, 1, 0]


def test_run_cases_uneven_weights() -> None:
    assert [choose_arm(i, "my-test", [0.1, 0.9], version=1) for i in "123"] == [1, 1, 0]


def test_run_cases_three_variations() -> None:
    # cases.json "empty experiment rule - a/b/c": key "feature", ids 123/456/fds.
    assert [choose_arm(i, "feature", [1, 1, 1], version=1) for i in ("123", "456", "fds")] == [
        2,
        0,
        1,
    ]


def test_choose_arm_coverage_and_validation() -> None:
    enrolled = [choose_arm(f"u{i}", "exp", [1, 1], coverage=0.5) for i in range(2000)]
    share_out = enrolled.count(None) / len(enrolled)
    assert 0.45 < share_out < 0.55
    with pytest.raises(ValueError, match="weights"):
        choose_arm("u", "exp", [0, 0])
    with pytest.raises(ValueError, match="version"):
        choose_arm("u", "exp", [1, 1], version=3)


def _n(seed: str, unit: str) -> float:
    value = hash_unit(seed, unit)
    assert value is not None
    return value


def test_v2_uniform_and_independent() -> None:
    # §5.7 (scaled down): uniformity over 100 buckets and independence of two experiments.
    ids = [f"caller-{i}" for i in range(20_000)]
    buckets = Counter(int(_n("exp-1", i) * 100) for i in ids)
    expected = len(ids) / 100
    stat = sum((buckets[b] - expected) ** 2 / expected for b in range(100))
    assert chi2_sf(stat, 99) > 0.001
    table = Counter((choose_arm(i, "exp-1", [1, 1]), choose_arm(i, "exp-2", [1, 1])) for i in ids)
    e = len(ids) / 4
    stat2 = sum((table[(a, b)] - e) ** 2 / e for a in (0, 1) for b in (0, 1))
    assert chi2_sf(stat2, 1) > 0.001


def test_weight_change_moves_only_units_between_cut_points() -> None:
    # §2.10: 50/50 -> 60/40 moves exactly the units with n in [0.5, 0.6) from B to A, which is
    # why the first assignment must be stored.
    ids = [f"u{i}" for i in range(5000)]
    before = {i: choose_arm(i, "s", [0.5, 0.5]) for i in ids}
    after = {i: choose_arm(i, "s", [0.6, 0.4]) for i in ids}
    moved = [i for i in ids if before[i] != after[i]]
    assert all(before[i] == 1 and after[i] == 0 for i in moved)
    assert all(0.5 <= _n("s", i) < 0.6 for i in moved)
