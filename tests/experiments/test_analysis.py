"""The one-metric facade (reference §4.7-§4.13)."""

from __future__ import annotations

import pytest

from parley.experiments.stats.analysis import analyse_metric, has_minimum_data
from parley.experiments.stats.moments import ProportionStats, SampleStats

P = ProportionStats


def test_gate_closed_reports_collecting_data() -> None:
    result = analyse_metric([P(20, 5), P(25, 12)], weights=[1, 1])
    (comp,) = result.comparisons
    assert comp.verdict == "collecting_data"
    assert comp.absolute is None
    assert comp.adjusted_p_value is None
    assert comp.bayes is not None  # Beta-Bernoulli is exact at any n: still shown
    assert result.arms[1].mean == pytest.approx(0.48)


def test_binary_gate_needs_events_both_ways() -> None:
    assert not has_minimum_data(P(100, 3), 30, 5)
    assert not has_minimum_data(P(100, 97), 30, 5)
    assert has_minimum_data(P(100, 50), 30, 5)
    assert has_minimum_data(SampleStats(30, 1.0, 1.0), 30, 5)


def test_binary_worked_example() -> None:
    result = analyse_metric([P(1000, 300), P(1000, 360)], weights=[1, 1], n_star=2000)
    (comp,) = result.comparisons
    assert comp.absolute is not None
    assert comp.relative is not None
    assert (comp.absolute.lower, comp.absolute.upper) == pytest.approx((-0.0037, 0.1237), abs=1e-4)
    assert comp.absolute.p_value == pytest.approx(0.07928, abs=1e-5)
    assert comp.verdict == "inconclusive"  # the fixed z-test would say p = 0.004
    assert comp.bayes is not None
    assert comp.bayes.chance_to_beat_control > 0.99
    assert result.kind == "binary"
    assert result.srm is not None
    assert not result.srm.alarm


def test_significant_better_and_worse_with_holm() -> None:
    arms = [P(2000, 600), P(2000, 800), P(2000, 450), P(2000, 610)]
    result = analyse_metric(arms)
    verdicts = [c.verdict for c in result.comparisons]
    assert verdicts == ["better", "worse", "inconclusive"]
    raw = [c.absolute.p_value for c in result.comparisons if c.absolute is not None]
    adjusted = [c.adjusted_p_value for c in result.comparisons]
    assert all(a is not None and a >= r for a, r in zip(adjusted, raw, strict=True))
    assert result.srm is None


def test_numeric_metric_and_srm_alarm() -> None:
    a = SampleStats(1000, 1000 * 60.0, 1000 * (60.0**2 + 100.0))
    b = SampleStats(1200, 1200 * 58.0, 1200 * (58.0**2 + 100.0))
    result = analyse_metric([a, b], weights=[0.5, 0.5])
    (comp,) = result.comparisons
    assert result.kind == "numeric"
    assert comp.absolute is not None
    assert comp.absolute.estimate == pytest.approx(-2.0)
    assert comp.verdict == "worse"
    assert comp.bayes is not None
    assert comp.bayes.chance_to_beat_control < 0.01
    assert result.srm is not None
    assert result.srm.alarm


def test_exposures_override_srm_counts() -> None:
    result = analyse_metric([P(40, 20), P(40, 20)], weights=[1, 1], exposures=[1000, 1200])
    assert result.srm is not None
    assert result.srm.alarm


def test_mixed_kinds_rejected() -> None:
    with pytest.raises(ValueError, match="kind"):
        analyse_metric([P(40, 20), SampleStats(40, 1.0, 1.0)])
