"""What the experiments API and CLI return: the experiment, and its status report."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, Field

Verdict = Literal["collecting_data", "inconclusive", "better", "worse"]
Decision = Literal["collecting_data", "inconclusive", "winner", "control_wins"]


class ArmView(BaseModel):
    name: str
    target: str
    version: int
    weight: float
    paused: bool
    paused_reason: str | None
    remote_branch_id: str | None = Field(
        default=None, description="the provider branch serving this arm (ElevenLabs), if any"
    )
    remote_version_id: str | None = Field(
        default=None, description="the provider version that branch serves"
    )


class ExperimentView(BaseModel):
    name: str
    agent: str
    status: str
    mode: str
    unit: str
    metric: str
    promotion: str
    arms: list[ArmView]
    winner: str | None
    decision: str | None
    spec: dict[str, Any]
    created_at: datetime
    started_at: datetime | None
    ended_at: datetime | None


class Interval(BaseModel):
    estimate: float
    lower: float
    upper: float
    p_value: float


class ArmResult(BaseModel):
    """One arm for one metric; comparison fields are None for the control.

    On the log scale `n` counts the values > 0, `mean` is their geometric mean, `std_dev` that
    of ln y, `absolute` the difference of mean logs and `relative` the ratio of geometric means
    minus 1; `non_positive` counts the values ≤ 0 left out.
    """

    arm: str
    n: int
    mean: float
    std_dev: float
    verdict: Verdict | None = None
    absolute: Interval | None = None
    relative: Interval | None = None
    relative_indicative: bool = False  # too few control events for the relative CS to be relied on
    adjusted_p_value: float | None = None
    chance_to_beat_control: float | None = None
    expected_loss: float | None = None
    non_positive: int | None = None


class MetricResult(BaseModel):
    metric: str
    kind: Literal["binary", "numeric"]
    scale: Literal["linear", "log"] = "linear"
    min_per_arm: int = 30
    arms: list[ArmResult]


class GuardrailResult(BaseModel):
    metric: str
    arm: str
    harm: Literal["increase", "decrease"]
    scale: Literal["linear", "log"] = "linear"
    margin: float  # log scale: a relative change (0.1 = 10 %)
    bound: float | None  # the one-sided always-valid bound on the harmful change (relative on log)
    harmed: bool


class ArmTraffic(BaseModel):
    arm: str
    weight: float
    assigned: int
    expected_assigned: float
    exposures: int
    outcomes: int
    missing_rate: float | None  # of matured exposures, the share whose outcome never came


class SrmView(BaseModel):
    chi2_p_value: float | None
    bayes_factor: float
    p_value: float
    alarm: bool


class ExperimentReport(BaseModel):
    experiment: ExperimentView
    as_of: datetime
    traffic: list[ArmTraffic]
    primary: MetricResult
    guardrails: list[GuardrailResult]
    srm: SrmView | None
    prob_best: list[float] | None  # bandit mode: P(arm is best) from matured outcomes
    decision: Decision
    winner: str | None
    warnings: list[str]
