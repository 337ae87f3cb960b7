"""Holm and Benjamini-Hochberg vs growthbook `packages/shared/test/experiments.test.ts` (§3.5)."""

from __future__ import annotations

import pytest

from parley.experiments.stats.multiple import benjamini_hochberg, holm


def test_holm_oracle() -> None:
    got = holm([0.01, 0.04, 0.03, 0.005, 0.55, 0.6])
    assert got == pytest.approx([0.05, 0.12, 0.12, 0.03, 1, 1], abs=1e-12)


def test_bh_oracle() -> None:
    got = benjamini_hochberg([0.898, 0.138, 0.007, 0.964, 0.538, 0.006, 0.138])
    assert got == pytest.approx([0.964, 0.2415, 0.0245, 0.964, 0.7532, 0.0245, 0.2415], abs=1e-12)


def test_two_metrics() -> None:
    assert holm([0.025, 0.03]) == pytest.approx([0.05, 0.05])
    assert benjamini_hochberg([0.025, 0.03]) == pytest.approx([0.03, 0.03])


def test_empty_and_single() -> None:
    assert holm([]) == []
    assert holm([0.2]) == [0.2]
    assert benjamini_hochberg([0.2]) == [0.2]
