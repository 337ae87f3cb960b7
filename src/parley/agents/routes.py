"""`/api/v1/agents`: the agents-as-code operations over HTTP. Routes parse; the service decides."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query
from fastapi.responses import PlainTextResponse
from pydantic import BaseModel, Field, model_validator

from parley.agents import service
from parley.agents.repository import AgentFilter
from parley.agents.schemas import (
    AgentDetail,
    AgentSummary,
    AppliedItem,
    ApplyReport,
    Page,
    PlanItem,
    VersionDetail,
    VersionDiff,
    VersionSummary,
)
from parley.agents.spec import json_schema
from parley.agents.validate import check_input
from parley.deps import Caller, Session
from parley.errors import InvalidInput, SpecInvalid

router = APIRouter(prefix="/api/v1/agents", tags=["agents"])
# Outside /agents/ so that no agent name can shadow it.
schema_router = APIRouter(prefix="/api/v1/schemas", tags=["agents"])


class SpecInput(BaseModel):
    """A spec as JSON (`spec`) or as YAML text (`yaml`, for line numbers in problems)."""

    spec: dict[str, Any] | None = None
    yaml: str | None = Field(default=None, max_length=200_000)

    @model_validator(mode="after")
    def _one_of(self) -> SpecInput:
        if (self.spec is None) == (self.yaml is None):
            raise ValueError("give exactly one of `spec` or `yaml`")
        return self


class SpecsRequest(BaseModel):
    specs: list[SpecInput] = Field(min_length=1, max_length=1000)
    message: str = ""


class VersionRequest(SpecInput):
    message: str = ""


class RollbackRequest(BaseModel):
    version: int = Field(ge=1)
    message: str = ""


def _parse(specs: list[SpecInput]) -> list[service.SourcedSpec]:
    """Validate every spec; one invalid spec fails the request with all problems listed."""
    parsed: list[service.SourcedSpec] = []
    problems: list[dict[str, Any]] = []
    for index, item in enumerate(specs):
        checked = check_input(data=item.spec, yaml_text=item.yaml, source=f"specs[{index}]")
        errors = [p for p in checked.problems if p.severity == "error"]
        problems.extend(p.to_dict() for p in errors)
        if checked.spec is not None and not errors:
            parsed.append(service.SourcedSpec(checked.spec))
    names = [s.spec.name for s in parsed]
    duplicates = sorted({n for n in names if names.count(n) > 1})
    if duplicates:
        problems.append({"path": "name", "message": f"given twice: {', '.join(duplicates)}"})
    if problems:
        first = problems[0]
        raise SpecInvalid(
            f"{len(problems)} problem(s) in the spec(s); first: {first['path']}: "
            f"{first['message']}",
            details={"problems": problems},
        )
    return parsed


@router.get("", response_model=Page[AgentSummary])
async def list_agents(
    session: Session,
    _caller: Caller,
    tag: str | None = None,
    provider: str | None = None,
    search: str | None = None,
    meta: Annotated[list[str], Query(description="key=value; repeat to require several")] = [],  # noqa: B006
    archived: bool = False,
    cursor: str | None = None,
    limit: Annotated[int, Query(ge=1, le=service.MAX_PAGE)] = 50,
) -> Page[AgentSummary]:
    flt = AgentFilter(
        tag=tag,
        provider=provider,
        search=search,
        metadata=service.parse_metadata_filters(meta),
        include_archived=archived,
    )
    return await service.list_agents(session, flt, cursor=cursor, limit=limit)


@router.post("/plan", response_model=list[PlanItem])
async def plan(body: SpecsRequest, session: Session, _caller: Caller) -> list[PlanItem]:
    return await service.plan(session, _parse(body.specs))


@router.post("/apply", response_model=ApplyReport)
async def apply(body: SpecsRequest, session: Session, caller: Caller) -> ApplyReport:
    return await service.apply(session, _parse(body.specs), author=caller, message=body.message)


@router.get("/{name}", response_model=AgentDetail)
async def get_agent(name: str, session: Session, _caller: Caller) -> AgentDetail:
    return await service.show_agent(session, name)


@router.get("/{name}/versions", response_model=Page[VersionSummary])
async def versions(
    name: str,
    session: Session,
    _caller: Caller,
    cursor: str | None = None,
    limit: Annotated[int, Query(ge=1, le=service.MAX_PAGE)] = 50,
) -> Page[VersionSummary]:
    return await service.history(session, name, cursor=cursor, limit=limit)


@router.post("/{name}/versions", response_model=AppliedItem)
async def create_version(
    name: str, body: VersionRequest, session: Session, caller: Caller
) -> AppliedItem:
    [sourced] = _parse([body])
    if sourced.spec.name != name:
        raise InvalidInput(f"the spec is named {sourced.spec.name!r}, not {name!r}")
    report = await service.apply(session, [sourced], author=caller, message=body.message)
    return report.items[0]


@router.get("/{name}/versions/{number}", response_model=VersionDetail)
async def get_version(name: str, number: int, session: Session, _caller: Caller) -> VersionDetail:
    return await service.show_version(session, name, number)


@router.get("/{name}/diff", response_model=VersionDiff)
async def diff(
    name: str,
    session: Session,
    _caller: Caller,
    from_version: Annotated[int, Query(alias="from", ge=1)],
    to_version: Annotated[int, Query(alias="to", ge=1)],
) -> VersionDiff:
    return await service.diff(session, name, from_version, to_version)


@router.post("/{name}/rollback", response_model=AppliedItem)
async def rollback(
    name: str, body: RollbackRequest, session: Session, caller: Caller
) -> AppliedItem:
    return await service.rollback(session, name, body.version, author=caller, message=body.message)


@router.post("/{name}/archive", response_model=AgentSummary)
async def archive(name: str, session: Session, caller: Caller) -> AgentSummary:
    return await service.archive(session, name, author=caller)


@router.get(
    "/{name}/export",
    response_class=PlainTextResponse,
    responses={200: {"content": {"application/yaml": {}}}},
)
async def export(
    name: str, session: Session, _caller: Caller, version: int | None = None
) -> PlainTextResponse:
    text = await service.export(session, name, version)
    return PlainTextResponse(text, media_type="application/yaml")


@schema_router.get("/agent-spec")
async def agent_spec_schema(_caller: Caller) -> dict[str, Any]:
    """The JSON Schema of agent spec files (as `parley agents schema` prints it)."""
    return json_schema()
