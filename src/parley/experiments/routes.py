"""`/api/v1/experiments`: create, list, show, start / pause / stop / promote, weights, status.

Routes parse; the service decides. Promotion and evaluation reach the providers with the app's
settings (a promoted version is applied live on its provider).
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from pydantic import BaseModel, Field, model_validator

from parley.config import Settings
from parley.deps import Caller, Session
from parley.errors import InvalidInput
from parley.experiments import decisions, service
from parley.experiments.planning import PowerAnswer, power_answer
from parley.experiments.schemas import ExperimentReport, ExperimentView
from parley.experiments.spec import check
from parley.experiments.stats import power as power_calc
from parley.providers.registry import Providers

router = APIRouter(prefix="/api/v1/experiments", tags=["experiments"])


class ExperimentInput(BaseModel):
    """An experiment as JSON (`spec`) or as YAML text (`yaml`, for line numbers in problems)."""

    spec: dict[str, Any] | None = None
    yaml: str | None = Field(default=None, max_length=100_000)

    @model_validator(mode="after")
    def _one_of(self) -> ExperimentInput:
        if (self.spec is None) == (self.yaml is None):
            raise ValueError("send exactly one of `spec` or `yaml`")
        return self


class PromoteInput(BaseModel):
    arm: str | None = Field(default=None, description="the recorded winner when unset")


class ArmPauseInput(BaseModel):
    paused: bool = True
    reason: str | None = None


def _providers(request: Request) -> Providers:
    settings: Settings = request.app.state.settings
    return Providers(settings)


@router.post("", response_model=ExperimentView, status_code=201)
async def create(body: ExperimentInput, session: Session, caller: Caller) -> ExperimentView:
    spec = check(body.spec, yaml_text=body.yaml, source="request")
    return await service.create(session, spec)


@router.get("", response_model=list[ExperimentView])
async def list_experiments(
    session: Session, caller: Caller, agent: Annotated[str | None, Query()] = None
) -> list[ExperimentView]:
    return await service.list_experiments(session, agent=agent)


@router.get("/power", response_model=PowerAnswer)
async def power(
    caller: Caller,
    baseline: Annotated[float, Query(gt=0, description="control mean (a rate for binary)")],
    lift: Annotated[float, Query(gt=0, description="relative lift to detect, e.g. 0.1")],
    per_day: Annotated[float, Query(gt=0, description="conversations per day, all arms")],
    arms: Annotated[int, Query(ge=2, le=8)] = 2,
    std_dev: Annotated[float | None, Query(gt=0, description="numeric metrics only")] = None,
    alpha: Annotated[float, Query(gt=0, lt=0.5)] = 0.05,
    expected_total: Annotated[int, Query(ge=10)] = 1000,
) -> PowerAnswer:
    """Power after 7, 14, 28 days and the days to 80 % power, fixed and sequential (§2.9)."""
    if std_dev is None and baseline >= 1:
        raise InvalidInput(
            "baseline: a rate must be below 1 (or give std_dev for a numeric metric)"
        )
    variance = std_dev**2 if std_dev is not None else power_calc.binomial_variance(baseline)
    binary = std_dev is None
    if binary and baseline * (1 + lift) >= 1:
        raise InvalidInput("lift: baseline * (1 + lift) must stay a rate below 1")
    return power_answer(
        baseline, lift, per_day, arms, variance, alpha, expected_total, binary=binary
    )


@router.get("/{name}", response_model=ExperimentView)
async def show(name: str, session: Session, caller: Caller) -> ExperimentView:
    return await service.show(session, name)


@router.get("/{name}/status", response_model=ExperimentReport)
async def status(name: str, session: Session, caller: Caller) -> ExperimentReport:
    return await service.status(session, name)


@router.post("/{name}/start", response_model=ExperimentView)
async def start(name: str, request: Request, session: Session, caller: Caller) -> ExperimentView:
    async with _providers(request) as providers:
        return await service.start(session, name, providers=providers)


@router.post("/{name}/pause", response_model=ExperimentView)
async def pause(name: str, session: Session, caller: Caller) -> ExperimentView:
    return await service.pause(session, name)


@router.post("/{name}/stop", response_model=ExperimentView)
async def stop(name: str, request: Request, session: Session, caller: Caller) -> ExperimentView:
    async with _providers(request) as providers:
        return await service.stop(session, name, providers=providers)


@router.put("/{name}/weights", response_model=ExperimentView)
async def weights(
    name: str, body: dict[str, float], session: Session, caller: Caller
) -> ExperimentView:
    return await service.set_weights(session, name, body)


@router.post("/{name}/arms/{arm}/pause", response_model=ExperimentView)
async def pause_arm(
    name: str, arm: str, body: ArmPauseInput, session: Session, caller: Caller
) -> ExperimentView:
    return await service.set_arm_paused(session, name, arm, paused=body.paused, reason=body.reason)


@router.post("/{name}/evaluate", response_model=ExperimentReport)
async def evaluate(
    name: str, request: Request, session: Session, caller: Caller
) -> ExperimentReport:
    async with _providers(request) as providers:
        return await decisions.evaluate(session, name, providers=providers)


@router.post("/{name}/promote", response_model=ExperimentView)
async def promote(
    name: str, body: PromoteInput, request: Request, session: Session, caller: Caller
) -> ExperimentView:
    async with _providers(request) as providers:
        return await decisions.promote(
            session, name, arm=body.arm, providers=providers, author=caller
        )
