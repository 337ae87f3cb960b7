"""What an experiment is, as written in YAML or sent as JSON, and how it is checked.

```yaml
name: opener-test
agent: sales
unit: caller            # caller | user | session: what sticks to one arm
metric: data.meeting_booked
arms:
  - {name: control, version: 3, target: elevenlabs, weight: 1}
  - {name: warmer, version: 4, target: elevenlabs, weight: 1}
guardrails:
  - {metric: duration, margin: 30}   # pause an arm proven > 30 s longer than the control
maturity_minutes: 30
mode: fixed             # or bandit (binary primary metric only)
promotion: auto         # or recommend
```

Metrics: `call_successful`, `eval.<criterion>` and `data.<field>` are binary unless `kind:
numeric` (e.g. a `data.rating`); `duration` (seconds), `cost` and `latency` (the conversation's
mean agent-turn latency, seconds) are numeric. A guardrail's `harm` defaults to `increase` for
duration, cost and latency, `decrease` otherwise; `margin` is the change tolerated before the
arm is paused (absolute; relative, e.g. 0.1 = 10 %, on the log scale).

Defaults chosen by the simulation studies (docs/experiment-studies.md), resolved when the spec
is validated and stored with it, so an experiment keeps the settings it was created with:
- `min_per_arm` (per metric, or for all at the top level): 30 for binary metrics, 100 for
  numeric ones (lognormal durations at a 90/10 split gave 6.5 % false winners with 30, 2.6 %
  with 100);
- `scale` (numeric metrics): `log` for `latency`, `linear` otherwise. On the log scale arms are
  compared by the mean of ln y (the ratio of geometric means); values ≤ 0 are left out of that
  comparison and counted (raw latency with outliers at 90/10 gave 24 % false winners with a
  gate of 30 and 15 % with 100, its log 2.75 %).
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, model_validator

from parley.agents.loader import LoadedDocument, load_text
from parley.agents.problems import Problem
from parley.agents.spec import Identifier
from parley.experiments.stats.analysis import default_min_units

MetricKind = Literal["binary", "numeric"]
Unit = Literal["caller", "user", "session"]
MetricSource = Annotated[
    str,
    StringConstraints(
        pattern=r"^(call_successful|duration|cost|latency|(eval|data)\.[A-Za-z][A-Za-z0-9_]*)$",
        max_length=128,
    ),
]
Scale = Literal["linear", "log"]
NUMERIC_SOURCES = ("duration", "cost", "latency")
LOG_SOURCES = ("latency",)  # heavy-tailed: compared on the log scale unless `scale: linear`
LOG_SUFFIX = ":log"  # experiment_sums rows of ln y for a log-scale metric: `latency:log`
HINTS = {
    "name": "use letters, digits and _, starting with a letter (max 64), e.g. calmer_opener",
    "metric": "a metric is call_successful, duration, cost, latency, eval.<criterion> or "
    "data.<field>",
}


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Metric(_Strict):
    metric: MetricSource
    kind: MetricKind | None = Field(default=None, description="inferred from the metric if unset")
    scale: Scale | None = Field(
        default=None, description="numeric only: log compares geometric means; log for latency"
    )
    min_per_arm: int | None = Field(
        default=None, ge=2, description="units per arm before a verdict; 30 binary, 100 numeric"
    )

    @property
    def resolved_kind(self) -> MetricKind:
        if self.kind is not None:
            return self.kind
        return "numeric" if self.metric in NUMERIC_SOURCES else "binary"

    @property
    def resolved_scale(self) -> Scale:
        if self.scale is not None:
            return self.scale
        return "log" if self.metric in LOG_SOURCES and self.resolved_kind == "numeric" else "linear"

    @property
    def log_scale(self) -> bool:
        return self.resolved_scale == "log"

    @property
    def sums_name(self) -> str:
        """The metric's rows in experiment_sums: ln y rows on the log scale."""
        return self.metric + LOG_SUFFIX if self.log_scale else self.metric

    def resolved_min_per_arm(self, default: int | None = None) -> int:
        if self.min_per_arm is not None:
            return self.min_per_arm
        return default if default is not None else default_min_units(self.resolved_kind)

    def _check_and_freeze(self, default_min: int | None) -> None:
        if self.scale == "log" and self.resolved_kind != "numeric":
            raise ValueError(f"{self.metric}: scale log needs a numeric metric")
        self.scale = self.resolved_scale
        self.min_per_arm = self.resolved_min_per_arm(default_min)


class Guardrail(Metric):
    margin: float = Field(
        default=0.0, ge=0.0, description="change tolerated (relative on the log scale)"
    )
    harm: Literal["increase", "decrease"] | None = None

    @property
    def harmful_direction(self) -> Literal["increase", "decrease"]:
        if self.harm is not None:
            return self.harm
        return "increase" if self.metric in NUMERIC_SOURCES else "decrease"


class Arm(_Strict):
    name: Identifier
    version: int = Field(ge=1)
    target: str | None = Field(default=None, description="provider; the agent's only one if unset")
    weight: float = Field(default=1.0, gt=0.0)


class Bandit(_Strict):
    floor: float = Field(default=0.05, ge=0.0, lt=0.5)
    burn_in: int = Field(default=100, ge=0)
    reweight_minutes: float = Field(default=15.0, gt=0.0)


class ExperimentSpec(_Strict):
    name: Identifier
    agent: str = Field(min_length=1, max_length=64)
    description: str = ""
    unit: Unit = "caller"
    metric: Metric
    arms: list[Arm] = Field(min_length=2, max_length=8)
    guardrails: list[Guardrail] = Field(default_factory=list)
    maturity_minutes: float = Field(default=30.0, ge=0.0)
    mode: Literal["fixed", "bandit"] = "fixed"
    bandit: Bandit = Field(default_factory=Bandit)
    promotion: Literal["auto", "recommend"] = "auto"
    alpha: float = Field(default=0.05, gt=0.0, lt=0.5)
    expected_total: int = Field(
        default=1000, ge=10, description="N*: the sample size the sequential test is tuned for"
    )
    min_per_arm: int | None = Field(
        default=None,
        ge=2,
        description="for every metric without its own; unset: 30 binary, 100 numeric",
    )

    @model_validator(mode="before")
    @classmethod
    def _metric_shorthand(cls, data: object) -> object:
        """`metric: data.x` means `metric: {metric: data.x}` (same for guardrails)."""
        if not isinstance(data, dict):
            return data
        data = dict(data)
        if isinstance(data.get("metric"), str):
            data["metric"] = {"metric": data["metric"]}
        return data

    @model_validator(mode="after")
    def _consistent(self) -> ExperimentSpec:
        names = [arm.name for arm in self.arms]
        if len(set(names)) != len(names):
            raise ValueError("arm names must be distinct")
        pairs = [(arm.target, arm.version) for arm in self.arms]
        if len(set(pairs)) != len(pairs):
            raise ValueError("two arms run the same version on the same target")
        if self.mode == "bandit":
            if self.metric.resolved_kind != "binary":
                raise ValueError("bandit mode needs a binary metric")
            if len(self.arms) * self.bandit.floor >= 1.0:
                raise ValueError("bandit.floor times the number of arms must stay below 1")
        # Resolve the defaults now: they are stored with the experiment and never move under it
        # (an experiment stored before these defaults has min_per_arm 30 and no log rows).
        for metric in (self.metric, *self.guardrails):
            metric._check_and_freeze(self.min_per_arm)
        for guard in self.guardrails:
            if guard.log_scale and guard.harmful_direction == "decrease" and guard.margin >= 1.0:
                raise ValueError(f"{guard.metric}: a log-scale margin is a fraction below 1")
        return self

    def metrics(self) -> dict[str, MetricKind]:
        """Every metric this experiment sums: the primary one, then the guardrails."""
        found = {self.metric.metric: self.metric.resolved_kind}
        for guard in self.guardrails:
            found.setdefault(guard.metric, guard.resolved_kind)
        return found

    def log_metrics(self) -> set[str]:
        """Metrics that also get ln y rows (`<metric>:log`) because some use is on the log scale."""
        return {m.metric for m in (self.metric, *self.guardrails) if m.log_scale}


def check(data: object = None, *, yaml_text: str | None = None, source: str) -> ExperimentSpec:
    """The spec, or `SpecInvalid` listing every problem with file, line and field."""
    from pydantic import ValidationError

    from parley.agents.validate import _shape_problems
    from parley.errors import SpecInvalid

    doc = (
        load_text(yaml_text, source)
        if yaml_text is not None
        else LoadedDocument(file=source, text="", data=data)
    )
    problems: list[Problem] = list(doc.problems)
    if not problems:
        try:
            return ExperimentSpec.model_validate(doc.data)
        except ValidationError as exc:
            problems = _shape_problems(doc, exc, ExperimentSpec, HINTS)
    raise SpecInvalid(
        f"{source}: the experiment is invalid ({len(problems)} problem(s)): {problems[0]}",
        details={"problems": [p.to_dict() for p in problems]},
    )
