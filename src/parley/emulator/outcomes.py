"""Outcome models for simulated traffic: known ground truth, fixed by the seed.

`/_emulator/simulate` draws each conversation's outcome from a model like "60% successful,
`meeting_booked` true in 25%, about 3 minutes, 0.1 credits a second", so experiments and
demos have results whose truth is known in advance.
"""

from __future__ import annotations

import math
import random
from typing import Any, Literal

from pydantic import BaseModel, Field


class Distribution(BaseModel):
    """A value: constant, bernoulli(p), choice(values, weights), normal or lognormal(mean, sd)."""

    kind: Literal["constant", "bernoulli", "choice", "normal", "lognormal"] = "constant"
    value: Any = None
    p: float = Field(default=0.5, ge=0.0, le=1.0)
    values: list[Any] = Field(default_factory=list)
    weights: list[float] | None = None
    mean: float = 0.0
    sd: float = Field(default=0.0, ge=0.0)
    min: float | None = None
    max: float | None = None

    def draw(self, rng: random.Random) -> Any:
        if self.kind == "constant":
            return self.value
        if self.kind == "bernoulli":
            return rng.random() < self.p
        if self.kind == "choice":
            return rng.choices(self.values, weights=self.weights)[0]
        if self.kind == "normal":
            value = rng.gauss(self.mean, self.sd)
        else:
            # mean and sd of the value itself, converted to the underlying normal's parameters
            variance = math.log(1 + (self.sd / self.mean) ** 2) if self.mean > 0 else 0.0
            value = rng.lognormvariate(math.log(max(self.mean, 1e-9)) - variance / 2, variance**0.5)
        if self.min is not None:
            value = max(self.min, value)
        if self.max is not None:
            value = min(self.max, value)
        return value


class OutcomeModel(BaseModel):
    p_success: float = Field(default=0.5, ge=0.0, le=1.0)
    duration_s: Distribution = Field(
        default_factory=lambda: Distribution(kind="lognormal", mean=180, sd=60, min=5, max=3600)
    )
    cost_per_second: float = Field(default=0.1, ge=0.0)
    data_collection: dict[str, Distribution] = Field(default_factory=dict)
    evaluation: dict[str, float] = Field(
        default_factory=dict, description="criterion id -> probability of success"
    )
    user_turns: int = Field(default=3, ge=0, le=50)


class Outcome(BaseModel):
    successful: bool
    duration_s: int
    cost: float
    data: dict[str, Any]
    evaluation: dict[str, bool]
    user_turns: int


def draw(model: OutcomeModel, rng: random.Random) -> Outcome:
    successful = rng.random() < model.p_success
    duration = round(float(model.duration_s.draw(rng)))
    return Outcome(
        successful=successful,
        duration_s=max(1, duration),
        cost=round(duration * model.cost_per_second, 4),
        data={name: dist.draw(rng) for name, dist in model.data_collection.items()},
        evaluation={cid: rng.random() < p for cid, p in model.evaluation.items()},
        user_turns=model.user_turns,
    )


class OutcomeRule(BaseModel):
    """Ground truth for live traffic: conversations of this agent (and version or branch) draw
    their outcome from `model`, whichever way they start (browser, phone, inbound, batch).
    The most specific rule wins: version, then branch, then the agent alone."""

    provider: Literal["elevenlabs"] = Field(
        default="elevenlabs",
        description="Ultravox has no call outcome (success, evaluation, data) to drive",
    )
    agent_id: str
    version_id: str | None = None
    branch_id: str | None = None
    model: OutcomeModel = Field(default_factory=OutcomeModel)


def model_for(
    rules: list[OutcomeRule],
    provider: str,
    agent_id: str,
    *,
    version_id: str | None,
    branch_id: str | None,
) -> OutcomeModel | None:
    best: tuple[int, OutcomeModel] | None = None
    for rule in rules:
        if rule.provider != provider or rule.agent_id != agent_id:
            continue
        if rule.version_id is not None and rule.version_id != version_id:
            continue
        if rule.branch_id is not None and rule.branch_id != branch_id:
            continue
        rank = 2 if rule.version_id else 1 if rule.branch_id else 0
        if best is None or rank >= best[0]:
            best = (rank, rule.model)
    return best[1] if best else None
