"""The power calculator's answer: power after one to four weeks and the days to 80 % power,
for a fixed-horizon test and for the always-valid one (reference §2.9).

Power is that of the test Parley's verdict uses, on the absolute difference
(`power.absolute_power`); a rate's treatment variance is p_B(1 - p_B) at the lifted rate, a
numeric metric's is taken equal to the control's. GrowthBook's relative-lift calculator was
4 pp conservative against the simulated verdict (docs/experiment-studies.md §4).
"""

from __future__ import annotations

from pydantic import BaseModel

from parley.experiments.stats import power as power_calc


class PowerAnswer(BaseModel):
    baseline: float
    relative_lift: float
    per_day: float
    arms: int
    variance: float
    fixed_power_at: dict[str, float]
    sequential_power_at: dict[str, float]
    days_to_80_percent_fixed: float | None
    days_to_80_percent_sequential: float | None


def power_answer(
    baseline: float,
    lift: float,
    per_day: float,
    arms: int,
    variance: float,
    alpha: float,
    expected_total: int,
    *,
    binary: bool = False,
) -> PowerAnswer:
    treatment_variance = variance
    if binary:
        lifted = baseline * (1.0 + lift)
        if not 0.0 < lifted < 1.0:
            raise ValueError("baseline * (1 + lift) must stay a rate below 1")
        treatment_variance = power_calc.binomial_variance(lifted)

    def at(days: float, n_star: float | None) -> float:
        return power_calc.absolute_power(
            baseline,
            variance,
            lift,
            per_day * days,
            arms,
            treatment_variance=treatment_variance,
            alpha=alpha,
            n_star=n_star,
        )

    def days_to(target: float, n_star: float | None) -> float | None:
        for day in range(1, 366):
            if at(day, n_star) >= target:
                return float(day)
        return None

    marks = (7, 14, 28)
    return PowerAnswer(
        baseline=baseline,
        relative_lift=lift,
        per_day=per_day,
        arms=arms,
        variance=variance,
        fixed_power_at={f"{d}d": at(d, None) for d in marks},
        sequential_power_at={f"{d}d": at(d, expected_total) for d in marks},
        days_to_80_percent_fixed=days_to(0.8, None),
        days_to_80_percent_sequential=days_to(0.8, expected_total),
    )
