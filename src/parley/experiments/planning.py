"""The power calculator's answer: power after one to four weeks and the days to 80 % power,
for a fixed-horizon test and for the always-valid one (reference §2.9)."""

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
) -> PowerAnswer:
    def at(days: float, n_star: float | None) -> float:
        return power_calc.power(
            baseline, variance, lift, per_day * days, arms, alpha=alpha, n_star=n_star
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
