"""Thompson-sampling allocation (reference §2.7, §4.14, §5.6)."""

from __future__ import annotations

import random

import pytest

from parley.experiments.stats.bandit import apply_floor, prob_best, thompson_weights, top_two
from parley.experiments.stats.moments import ProportionStats

P = ProportionStats


def test_top_two_closed_form() -> None:
    assert top_two([0.6, 0.3, 0.1]) == pytest.approx([0.4619, 0.3917, 0.1464], abs=1e-4)


def test_weights_sum_to_one_and_respect_floor() -> None:
    arms = [P(500, 100), P(500, 150), P(500, 250)]
    for floor in (0.0, 0.05, 0.2):
        w = thompson_weights(arms, seed=1, floor=floor, draws=2000)
        assert sum(w) == pytest.approx(1.0)
        assert min(w) >= floor - 1e-12
        assert w.index(max(w)) == 2


def test_burn_in_gives_equal_split() -> None:
    assert thompson_weights([P(99, 10), P(500, 400)], seed=1) == [0.5, 0.5]


def test_seeded_is_deterministic() -> None:
    arms = [P(200, 60), P(200, 70)]
    assert prob_best(arms, seed=42, draws=500) == prob_best(arms, seed=42, draws=500)


def test_floor_validation() -> None:
    with pytest.raises(ValueError, match="floor"):
        apply_floor([0.5, 0.5], 0.5)


def test_top_two_weights_are_valid() -> None:
    w = thompson_weights([P(300, 90), P(300, 120)], seed=3, top_two_beta=0.5, draws=1000)
    assert sum(w) == pytest.approx(1.0)
    assert min(w) >= 0.05


def test_concentrates_on_best_arm_with_delayed_outcomes() -> None:
    # §5.6 (scaled down): p = (0.30, 0.33, 0.40), 2000 conversations in batches of 50, outcomes
    # mature with a delay of up to 100 conversations, floor 5 %, burn-in 100.
    rates = (0.30, 0.33, 0.40)
    for seed in (1, 2, 3):
        rng = random.Random(seed)
        weights = [1 / 3] * 3
        pending: list[tuple[int, int, bool]] = []  # (matures_at, arm, success)
        matured = [[0, 0] for _ in rates]
        traffic = [0, 0, 0]
        for t in range(2000):
            arm = rng.choices(range(3), weights)[0]
            traffic[arm] += 1
            pending.append((t + rng.randint(0, 100), arm, rng.random() < rates[arm]))
            if (t + 1) % 50 == 0:
                ready = [p for p in pending if p[0] <= t]
                pending = [p for p in pending if p[0] > t]
                for _, a, ok in ready:
                    matured[a][0] += 1
                    matured[a][1] += ok
                arms = [P(n, s) for n, s in matured]
                weights = thompson_weights(arms, seed=seed * 1000 + t, draws=1000)
                assert min(weights) >= 0.05 - 1e-12
        assert weights.index(max(weights)) == 2
        assert traffic[2] / 2000 > 0.4
