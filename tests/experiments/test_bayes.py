"""Beta-Bernoulli and Gaussian decision quantities vs the oracles of reference §3.4."""

from __future__ import annotations

import pytest

from parley.experiments.stats.bayes import (
    _closed_form,
    _quadrature,
    beta_bernoulli,
    beta_lognormal_approximation,
    gaussian_decision,
    gaussian_posterior,
    gaussian_risk,
)
from parley.experiments.stats.moments import ProportionStats, SampleStats, effect

P = ProportionStats


@pytest.mark.parametrize(
    ("control", "treatment", "ctw", "risk_b", "risk_a"),
    [
        # growthbook old Beta-Binomial engine (exact values from §3.4)
        (P(100, 49), P(100, 51), 0.6107705, 0.0191165, 0.0387243),
        # self-computed exact values (two methods agree to 1e-13)
        (P(10, 3), P(10, 7), 0.9569455, 0.0035469, 0.3368802),
        (P(100, 30), P(100, 40), 0.9298494, 0.0020739, 0.1001131),
    ],
)
def test_beta_bernoulli_uniform_prior(
    control: ProportionStats, treatment: ProportionStats, ctw: float, risk_b: float, risk_a: float
) -> None:
    r = beta_bernoulli(control, treatment)
    assert r.chance_to_beat_control == pytest.approx(ctw, abs=1e-7)
    assert r.risk_treatment == pytest.approx(risk_b, abs=1e-7)
    assert r.risk_control == pytest.approx(risk_a, abs=1e-7)


def test_growthbook_old_engine_risk_rounded() -> None:
    r = beta_bernoulli(P(100, 49), P(100, 51))
    assert [r.risk_control, r.risk_treatment] == pytest.approx([0.03872, 0.01912], abs=1e-5)


def test_growthbook_old_engine_lognormal_chance_to_win() -> None:
    # growthbook bayesian/test_tests.py @ 1da984c: ctw 0.61052, expected 0.0404,
    # CI [-0.21099, 0.37189] come from the log-normal approximation, not the exact P (0.61077).
    r = beta_lognormal_approximation(P(100, 49), P(100, 51))
    assert r.chance_to_win == pytest.approx(0.61052, abs=1e-5)
    assert r.expected == pytest.approx(0.0404, abs=1e-4)
    assert (r.lower, r.upper) == pytest.approx((-0.21099, 0.37189), abs=1e-5)
    exact = beta_bernoulli(P(100, 49), P(100, 51)).chance_to_beat_control
    assert abs(exact - r.chance_to_win) > 2e-4


def test_growthbook_old_engine_per_arm_priors() -> None:
    # Same test file: prior A Beta(0, 0), B Beta(100, 100) -> ctw 0.60193 (log-normal
    # approximation), risk [control, treatment] = [0.03025, 0.01692] (exact closed form here,
    # Gauss-Jacobi quadrature there).
    approx = beta_lognormal_approximation(
        P(100, 49), P(100, 51), (0, 0), prior_treatment=(100, 100)
    )
    assert approx.chance_to_win == pytest.approx(0.60193, abs=1e-5)
    r = beta_bernoulli(P(100, 49), P(100, 51), (0, 0), prior_treatment=(100, 100))
    assert [r.risk_control, r.risk_treatment] == pytest.approx([0.03025, 0.01692], abs=1e-5)


def test_improper_posterior_rejected() -> None:
    with pytest.raises(ValueError, match="improper"):
        beta_bernoulli(P(10, 0), P(10, 5), (0, 0))


def test_spotify_jeffreys_prior() -> None:
    # spotify tests/bayesian/test_betabinomial.py; the exact values (MC oracle ± 2e-4).
    r = beta_bernoulli(P(104, 42), P(1009, 500), prior=(0.5, 0.5))
    assert r.chance_to_beat_control == pytest.approx(0.962907, abs=1e-6)
    assert r.risk_control == pytest.approx(0.091544, abs=1e-6)
    assert r.risk_treatment == pytest.approx(0.000762, abs=1e-6)
    assert r.chance_to_beat_control == pytest.approx(0.962782, abs=2e-4)
    assert r.risk_control == pytest.approx(0.091504838, abs=2e-4)
    assert r.risk_treatment == pytest.approx(0.000767784, abs=2e-4)


@pytest.mark.parametrize(
    "params", [(52, 50, 50, 52), (8, 4, 4, 8), (31, 71, 41, 61), (1, 30, 3, 20)]
)
def test_closed_form_equals_quadrature(params: tuple[int, int, int, int]) -> None:
    assert _quadrature(*params) == pytest.approx(_closed_form(*params), abs=1e-10)


def test_zero_successes_jeffreys_is_finite() -> None:
    r = beta_bernoulli(P(40, 0), P(40, 0), prior=(0.5, 0.5))
    assert r.chance_to_beat_control == pytest.approx(0.5, abs=1e-8)


def test_gaussian_risk_oracle() -> None:
    # growthbook get_risk(mu=0.1, sigma=0.05), 10 dp.
    assert gaussian_risk(0.1, 0.05) == pytest.approx((0.1004245351, 0.0004245351), abs=1e-10)


def test_gaussian_binary_relative() -> None:
    eff = effect(P(100, 49), P(100, 51), relative=True)
    r = gaussian_decision(*gaussian_posterior(eff.estimate, eff.std_error))
    assert (eff.estimate, eff.std_error) == pytest.approx((0.04082, 0.14725), abs=1e-5)
    assert eff.estimate - 1.959964 * eff.std_error == pytest.approx(-0.24779, abs=1e-5)
    assert r.chance_to_beat_control == pytest.approx(0.60918, abs=1e-5)
    assert [r.risk_control, r.risk_treatment] == pytest.approx([0.0814, 0.04058], abs=1e-5)


def test_gaussian_means_flat_and_proper_prior() -> None:
    a, b = SampleStats(10, 100, 1002.25), SampleStats(10, 105, 1111.5)
    eff = effect(a, b, relative=True)
    flat = gaussian_decision(*gaussian_posterior(eff.estimate, eff.std_error))
    assert (eff.estimate, eff.std_error) == pytest.approx((0.05, 0.03572), abs=1e-5)
    assert flat.chance_to_beat_control == pytest.approx(0.91923, abs=1e-5)
    assert [flat.risk_control, flat.risk_treatment] == pytest.approx([0.05131, 0.00131], abs=1e-5)
    mean, sd = gaussian_posterior(eff.estimate, eff.std_error, prior_mean=0.1, prior_variance=0.1)
    assert (mean, sd) == pytest.approx((0.05063, 0.03549), abs=1e-5)
    proper = gaussian_decision(mean, sd)
    assert proper.chance_to_beat_control == pytest.approx(0.92315, abs=1e-5)
    assert [proper.risk_control, proper.risk_treatment] == pytest.approx(
        [0.05186, 0.00123], abs=1e-5
    )


def _grid(smallest: float) -> list[tuple[ProportionStats, ProportionStats]]:
    """Posteriors whose smallest shape parameter is `smallest`, across rates, splits and P."""
    from statistics import NormalDist

    cases = []
    for rate in (0.001, 0.02, 0.2, 0.5, 0.8, 0.98, 0.999):
        for ratio in (1.0, 9.0, 1 / 9):
            for prob in (1e-4, 0.01, 0.1, 0.3, 0.5, 0.7, 0.9, 0.99, 1 - 1e-4):
                small = smallest / min(rate, 1 - rate)  # the smaller arm holds the smallest shape
                n_a, n_b = (small, small * ratio) if ratio >= 1 else (small / ratio, small)
                sd = (rate * (1 - rate) * (1 / n_a + 1 / n_b)) ** 0.5
                rate_b = rate + NormalDist().inv_cdf(prob) * sd
                a, b = round(n_a), round(n_b)
                s_a, s_b = round(a * rate), round(b * rate_b)
                shapes = (s_a + 1, a - s_a + 1, s_b + 1, b - s_b + 1)
                if 0 < rate_b < 1 and min(shapes) >= smallest:
                    cases.append((P(a, s_a), P(b, s_b)))
    return cases


@pytest.mark.parametrize("smallest", [1000, 3000])
def test_edgeworth_within_its_stated_bound_of_the_exact_form(smallest: int) -> None:
    from parley.experiments.stats.bayes import (
        APPROXIMATION_BOUND,
        APPROXIMATION_MIN_SHAPE,
        _beta_cumulants,
    )

    assert smallest >= APPROXIMATION_MIN_SHAPE
    cases = _grid(smallest)
    assert len(cases) > 100
    worst = [0.0, 0.0, 0.0]
    for control, treatment in cases:
        exact = beta_bernoulli(control, treatment, method="exact")
        approx = beta_bernoulli(control, treatment)  # auto: the Edgeworth form here
        assert approx == beta_bernoulli(control, treatment, method="edgeworth")
        sd = (
            _beta_cumulants(control.successes + 1, control.failures + 1)[1]
            + _beta_cumulants(treatment.successes + 1, treatment.failures + 1)[1]
        ) ** 0.5
        errors = (
            abs(approx.chance_to_beat_control - exact.chance_to_beat_control),
            abs(approx.risk_treatment - exact.risk_treatment) / sd,
            abs(approx.risk_control - exact.risk_control) / sd,
        )
        worst = [max(w, e) for w, e in zip(worst, errors, strict=True)]
    assert max(worst) < APPROXIMATION_BOUND, worst


def test_below_the_threshold_the_exact_form_is_used() -> None:
    # 900 successes: one shape parameter below 1000, so "auto" is exact (the oracles above too).
    control, treatment = P(3000, 900), P(3000, 960)
    assert beta_bernoulli(control, treatment) == beta_bernoulli(control, treatment, method="exact")
    # The plain Gaussian (no skewness term) would be off by more than the bound at this size:
    # the correction is what makes the threshold this low.
    approx = beta_bernoulli(control, treatment, method="edgeworth")
    exact = beta_bernoulli(control, treatment, method="exact")
    assert abs(approx.chance_to_beat_control - exact.chance_to_beat_control) < 1e-3


def test_mirror_images_of_the_closed_form_agree() -> None:
    from parley.experiments.stats.bayes import prob_beta_greater

    # Summing over a, c, d or b must give the same probability (here all four are small).
    a, b, c, d = 13.0, 40.0, 9.0, 35.0
    forms = [
        _closed_form(a, b, c, d),
        1.0 - _closed_form(c, d, a, b),
        _closed_form(d, c, b, a),
        1.0 - _closed_form(b, a, d, c),
        _quadrature(a, b, c, d),
    ]
    assert max(forms) - min(forms) < 1e-12
    assert prob_beta_greater(a, b, c, d) == pytest.approx(forms[0], abs=1e-12)
