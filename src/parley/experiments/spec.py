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
numeric` (e.g. a `data.rating`); `duration` (seconds) and `cost` are numeric. A guardrail's
`harm` defaults to `increase` for duration and cost, `decrease` otherwise; `margin` is the
absolute change tolerated before the arm is paused.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, model_validator

from parley.agents.loader import LoadedDocument, load_text
from parley.agents.problems import Problem
from parley.agents.spec import Identifier

MetricKind = Literal["binary", "numeric"]
Unit = Literal["caller", "user", "session"]
MetricSource = Annotated[
    str,
    StringConstraints(
        pattern=r"^(call_successful|duration|cost|(eval|data)\.[A-Za-z][A-Za-z0-9_]*)$",
        max_length=128,
    ),
]
NUMERIC_SOURCES = ("duration", "cost")
HINTS = {
    "name": "use letters, digits and _, starting with a letter (max 64), e.g. calmer_opener",
    "metric": "a metric is call_successful, duration, cost, eval.<criterion> or data.<field>",
}


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Metric(_Strict):
    metric: MetricSource
    kind: MetricKind | None = Field(default=None, description="inferred from the metric if unset")

    @property
    def resolved_kind(self) -> MetricKind:
        if self.kind is not None:
            return self.kind
        return "numeric" if self.metric in NUMERIC_SOURCES else "binary"


class Guardrail(Metric):
    margin: float = Field(default=0.0, ge=0.0, description="absolute change tolerated")
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
    min_per_arm: int = Field(default=30, ge=2)

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
        return self

    def metrics(self) -> dict[str, MetricKind]:
        """Every metric this experiment sums: the primary one, then the guardrails."""
        found = {self.metric.metric: self.metric.resolved_kind}
        for guard in self.guardrails:
            found.setdefault(guard.metric, guard.resolved_kind)
        return found


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
