"""Quick variants of the simulation studies (`bench/studies/experiments.py`, reference §5).

A few hundred seeded runs per study, run serially through Parley's own statistics and
defaults. The bounds are loose (level + 3 Monte-Carlo SE at this R) but still fail if the
method breaks: replacing the always-valid test by a fixed-horizon one gives ~35 % false winners
under peeking, far above the 8.8 % bound; dropping the log scale for latency gives ~24 % at
90/10; SRM χ² under repeated checks, a bandit without a floor or a store that lets the hash
move callers fail their checks the same way. No timing assertions.
"""

from __future__ import annotations

import math

import pytest
from bench.studies.experiments import Result, run_scenarios, select
from bench.studies.experiments_assign import assignment_study


def _run(name: str, runs: int) -> Result:  # also runs contrasts, which --quick leaves out
    scenarios = [s for s in select(name, quick=False) if s.name == name]
    assert scenarios, name
    (result,) = run_scenarios(scenarios, runs=runs, quick=True, processes=1)
    assert result.runs == runs
    return result


def _value(result: Result, prefix: str) -> float:
    (line,) = [line for line in result.lines if line.label.startswith(prefix)]
    return line.value


def _bound(level: float, runs: int) -> float:
    return level + 3 * math.sqrt(level * (1 - level) / runs)


@pytest.mark.parametrize("name", ["aa.binary-0.30.50-50", "aa.durations.50-50"])
def test_aa_sequential_holds_and_naive_peeking_is_caught(name: str) -> None:
    r = _run(name, 300)
    seq, naive = _value(r, "sequential false"), _value(r, "naive")
    assert seq <= _bound(0.05, 300)
    assert naive >= 0.15  # the harness sees peeking: ~35 % at R = 10 000
    assert naive - seq >= 0.10
    assert r.passed


def test_latency_defaults_to_the_log_scale_and_linear_shows_why() -> None:
    default = _run("aa.latency.90-10", 300)  # log scale, gate 100
    assert _value(default, "sequential false") <= _bound(0.05, 300)
    assert default.passed
    contrast = _run("aa.latency-linear.90-10.gate-30", 300)  # the former defaults
    assert contrast.role == "contrast"
    assert _value(contrast, "sequential false") >= 0.12  # 24 % at R = 10 000


def test_numeric_gate_of_100_at_an_unbalanced_split() -> None:
    r = _run("aa.durations.90-10", 300)
    assert r.params.get("min_units") is None  # Parley's default per kind: 100
    assert _value(r, "sequential false") <= _bound(0.05, 300)


def test_coverage_of_the_confidence_sequence() -> None:
    r = _run("coverage.binary-0.30-0.36.50-50", 300)
    assert _value(r, "CS ever misses true δ") <= _bound(0.05, 300)
    assert _value(r, "relative CS misses, where not") <= _bound(0.05, 300)
    assert _value(r, "power") > 0.3
    log = _run("coverage.latency-x1.1.90-10", 300)
    assert _value(log, "ratio of geometric means CS") <= _bound(0.05, 300)


def test_relative_interval_of_a_rare_rate_is_flagged_where_it_under_covers() -> None:
    r = _run("coverage.binary-0.05-0.07.50-50.n-8000", 120)
    assert _value(r, "runs with a look where it is not") > 0.9
    assert _value(r, "relative CS misses, where not") <= _bound(0.05, 120)
    # Unflagged, the same sequence misses more often (10 % at R = 10 000 for n ≤ 2000).
    assert _value(r, "relative CS misses, every look") >= _value(r, "relative CS misses, where")


def test_delays_weight_change_and_sticky_units() -> None:
    r = _run("delays.aa.delay-reweight", 150)
    assert _value(r, "sequential false") <= _bound(0.05, 150)
    assert _value(r, "SRM alarm, shares") <= _bound(0.01, 150)
    # Expected shares from the current weights instead of the weights in force: always alarms.
    assert _value(r, "SRM alarm if current") >= 0.5
    # 50/50 -> 20/80 moves the callers in [0.2, 0.5) of the hash range: ~30 % of those seen
    # before the change, ~1/3 of returning conversations come from them after it.
    assert 0.03 < _value(r, "returning callers the bare hash") < 0.3
    assert r.passed  # includes |bias| < 3 MC SE


def test_power_matches_the_calculator() -> None:
    r = _run("power.binary-0.30-0.36", 300)
    sim = _value(r, "fixed-horizon power at N_max (absolute")
    calc = _value(r, "calculator power (absolute")
    assert abs(sim - calc) <= 0.02 + 3 * math.sqrt(calc * (1 - calc) / 300)
    assert _value(r, "sequential power") < sim  # the price of always-valid inference


def test_srm_sequential_vs_chi2() -> None:
    aa = _run("srm.50-50", 400)
    assert _value(aa, "sequential false alarm, BF ≥ 100 (") <= _bound(0.01, 400)
    assert _value(aa, "χ² p < 0.001 at some check") > 0.005  # ≫ its nominal 0.001
    leak = _run("srm.45-55", 400)
    assert _value(leak, "power by N = 2000, BF ≥ 100") >= 0.55


def test_bandit_finds_the_best_arm_and_respects_the_floor() -> None:
    r = _run("bandit.best-arm", 30)
    assert _value(r, "updates respecting the floor") == 1.0
    assert _value(r, "best arm has the highest") >= 0.85
    assert _value(r, "mean reward") > (0.30 + 0.33 + 0.40) / 3
    assert _value(r, "best-arm traffic share") > 0.5


def test_assignment_uniform_independent_sticky() -> None:
    rows = assignment_study(20_000)
    failed = [label for label, _, _, _, passed in rows if passed is False]
    assert not failed
    moved = {label: value for label, value, *_ in rows if "bare hash would move" in label}
    assert moved["50/50 → 20/80: callers the bare hash would move"] == pytest.approx(0.3, abs=0.02)
