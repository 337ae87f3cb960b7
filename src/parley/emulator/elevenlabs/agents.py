"""Agent CRUD: create (main branch + first version), list, get, PATCH-as-commit, delete, duplicate.

PATCH deep-merges the partial body over the branch tip and commits the result as a new version,
answering with the whole agent, as ElevenLabs does. Duplicate copies unarchived branches at
their tips and the live split, not history or drafts.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query, Request, Response
from pydantic import BaseModel, ConfigDict

from parley.emulator.elevenlabs.agent_models import (
    Agent,
    AgentDeployment,
    agent_summary,
    agent_view,
    commit,
    create_agent,
    get_agent,
    new_branch,
)
from parley.emulator.elevenlabs.auth import require_api_key
from parley.emulator.elevenlabs.shapes import deep_merge, emulator, page

router = APIRouter(prefix="/v1/convai", dependencies=[Depends(require_api_key)])


class CreateAgentBody(BaseModel):
    model_config = ConfigDict(extra="allow")
    conversation_config: dict[str, Any]
    platform_settings: dict[str, Any] | None = None
    workflow: dict[str, Any] | None = None
    name: str | None = None
    tags: list[str] | None = None


class UpdateAgentBody(BaseModel):
    model_config = ConfigDict(extra="allow")
    conversation_config: dict[str, Any] | None = None
    platform_settings: dict[str, Any] | None = None
    workflow: dict[str, Any] | None = None
    name: str | None = None
    tags: list[str] | None = None
    version_description: str | None = None
    procedures: dict[str, Any] | None = None


class DuplicateBody(BaseModel):
    name: str | None = None


@router.post("/agents/create")
async def create(
    body: CreateAgentBody, request: Request, enable_versioning: bool | None = None
) -> dict[str, str]:
    agent = create_agent(
        emulator(request),
        name=body.name or "New agent",
        tags=body.tags or [],
        conversation_config=body.conversation_config,
        platform_settings=body.platform_settings or {},
        workflow=body.workflow,
    )
    return {"agent_id": agent.agent_id}


_SORT_KEYS: dict[str, Callable[[Agent], str | int]] = {
    "name": lambda a: a.name.lower(),
    "created_at": lambda a: a.created_at_unix_secs,
    "updated_at": lambda a: a.updated_at_unix_secs,
    # No call counts are kept; the most recent call is the closest stand-in.
    "call_count_7d": lambda a: a.last_call_time_unix_secs or 0,
}


@router.get("/agents")
async def list_agents(
    request: Request,
    page_size: Annotated[int, Query(ge=1, le=100)] = 30,
    search: str | None = None,
    archived: bool | None = None,
    show_only_owned_agents: bool | None = None,
    created_by_user_id: str | None = None,
    tags: Annotated[list[str] | None, Query()] = None,
    sort_direction: Literal["asc", "desc"] = "desc",
    sort_by: Literal["name", "created_at", "updated_at", "call_count_7d"] | None = None,
    cursor: str | None = None,
) -> dict[str, Any]:
    agents: list[Agent] = list(emulator(request).state("elevenlabs").agents.values())
    if search:
        agents = [a for a in agents if search.lower() in a.name.lower()]
    # Archived agents stay out of the list unless asked for, as in the dashboard.
    agents = [a for a in agents if a.archived == bool(archived)]
    if tags:
        agents = [a for a in agents if set(tags) & set(a.tags)]
    key = _SORT_KEYS[sort_by or "created_at"]
    # Creation order breaks ties, so equal timestamps still page stably.
    order = {a.agent_id: i for i, a in enumerate(agents)}
    agents.sort(key=lambda a: (key(a), order[a.agent_id]), reverse=sort_direction == "desc")
    chunk, next_cursor = page(agents, cursor, page_size)
    return {
        "agents": [agent_summary(a) for a in chunk],
        "next_cursor": next_cursor,
        "has_more": next_cursor is not None,
    }


@router.get("/agents/{agent_id}")
async def get(
    agent_id: str,
    request: Request,
    version_id: str | None = None,
    branch_id: str | None = None,
    include_procedure_generated_workflow_elements: bool | None = None,
) -> dict[str, Any]:
    agent = get_agent(emulator(request), agent_id)
    return agent_view(agent, agent.resolve(branch_id, version_id))


@router.patch("/agents/{agent_id}")
async def update(
    agent_id: str,
    body: UpdateAgentBody,
    request: Request,
    branch_id: str | None = None,
    enable_versioning_if_not_enabled: bool | None = None,
    include_procedure_generated_workflow_elements: bool | None = None,
) -> dict[str, Any]:
    emu = emulator(request)
    agent = get_agent(emu, agent_id)
    branch = agent.branch(branch_id or agent.main_branch_id)
    tip = agent.tip(branch.id)
    if body.name is not None:
        agent.name = body.name
    if body.tags is not None:
        agent.tags = body.tags
    changes = body.model_fields_set & {"conversation_config", "platform_settings", "workflow"}
    if changes or body.version_description:
        version = commit(
            emu,
            agent,
            branch,
            conversation_config=deep_merge(tip.conversation_config, body.conversation_config or {}),
            platform_settings=deep_merge(tip.platform_settings, body.platform_settings or {}),
            workflow=(
                deep_merge(tip.workflow or {}, body.workflow)
                if body.workflow is not None
                else tip.workflow
            ),
            description=body.version_description or "",
        )
    else:
        version = tip
        agent.updated_at_unix_secs = emu.clock.now_secs()
    return agent_view(agent, version)


@router.delete("/agents/{agent_id}")
async def delete(agent_id: str, request: Request, force: bool | None = None) -> Response:
    emu = emulator(request)
    get_agent(emu, agent_id)
    del emu.state("elevenlabs").agents[agent_id]
    return Response(status_code=200)


@router.post("/agents/{agent_id}/duplicate")
async def duplicate(agent_id: str, body: DuplicateBody, request: Request) -> dict[str, str]:
    emu = emulator(request)
    source = get_agent(emu, agent_id)
    main_tip = source.tip(source.main_branch_id)
    copy = create_agent(
        emu,
        name=body.name or f"{source.name} (copy)",
        tags=list(source.tags),
        conversation_config={},
        platform_settings={},
        workflow=None,
    )
    # Replace the defaults of the fresh main with the source's main tip, then copy branches.
    copy.versions[copy.tip(copy.main_branch_id).id] = main_tip.model_copy(
        update={"id": copy.tip(copy.main_branch_id).id, "branch_id": copy.main_branch_id}
    )
    mapping = {source.main_branch_id: copy.main_branch_id}
    for branch in source.branches.values():
        if branch.is_archived or branch.id == source.main_branch_id:
            continue
        clone = new_branch(emu, branch.name, branch.description, copy.main_branch_id)
        copy.branches[clone.id] = clone
        tip = source.tip(branch.id)
        commit(
            emu,
            copy,
            clone,
            conversation_config=tip.conversation_config,
            platform_settings=tip.platform_settings,
            workflow=tip.workflow,
            description=tip.version_description,
        )
        mapping[branch.id] = clone.id
    if source.traffic:
        split: dict[str, float] = {}
        for branch_id, share in source.traffic.items():
            # A share held by a branch that was not copied moves to main.
            target = mapping.get(branch_id, copy.main_branch_id)
            split[target] = split.get(target, 0.0) + share
        copy.traffic = split
        copy.deployments.append(
            AgentDeployment(
                id=emu.ids.elevenlabs("agtdply"),
                traffic=split,
                deployed_at_unix_secs=emu.clock.now_secs(),
                source="duplicate",
            )
        )
    return {"agent_id": copy.agent_id}
