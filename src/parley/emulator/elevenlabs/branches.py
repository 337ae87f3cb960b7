"""Agent versioning routes: branches, merge, versions, drafts and deployments (the traffic split).

Branch lists and deployment history use ElevenLabs' `{meta, results}` shape rather than a cursor.
A merge commits the source tip onto the target with `merged_from_*` parents; archiving the source
moves any live share it held to main, so the split always sums to the whole.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query, Request
from pydantic import BaseModel, ConfigDict, Field

from parley.emulator.elevenlabs.agent_models import (
    Agent,
    AgentBranch,
    AgentDeployment,
    commit,
    get_agent,
    new_branch,
    validate_split,
)
from parley.emulator.elevenlabs.auth import require_api_key
from parley.emulator.elevenlabs.errors import ElevenLabsError
from parley.emulator.elevenlabs.shapes import ACCESS_INFO, deep_merge, emulator

if TYPE_CHECKING:
    from parley.emulator.state import Emulator

router = APIRouter(prefix="/v1/convai/agents/{agent_id}", dependencies=[Depends(require_api_key)])


class CreateBranchBody(BaseModel):
    model_config = ConfigDict(extra="allow")
    parent_version_id: str
    name: str = Field(max_length=140)
    description: str
    conversation_config: dict[str, Any] | None = None
    platform_settings: dict[str, Any] | None = None
    workflow: dict[str, Any] | None = None
    include_draft: bool | None = None


class UpdateBranchBody(BaseModel):
    name: str | None = Field(default=None, max_length=140)
    description: str | None = None
    is_archived: bool | None = None
    protection_status: Literal["writer_perms_required", "admin_perms_required"] | None = None
    auto_rebase: bool | None = None


class MergeBody(BaseModel):
    archive_source_branch: bool | None = None
    force: bool | None = None


class DraftBody(BaseModel):
    model_config = ConfigDict(extra="allow")
    conversation_config: dict[str, Any]
    platform_settings: dict[str, Any]
    workflow: dict[str, Any]
    name: str
    tags: list[str] | None = None


class DeploymentStrategy(BaseModel):
    type: Literal["percentage"] = "percentage"
    traffic_percentage: float = Field(ge=0)


class DeploymentItem(BaseModel):
    branch_id: str
    deployment_strategy: DeploymentStrategy


class DeploymentRequest(BaseModel):
    requests: list[DeploymentItem]


class DeployBody(BaseModel):
    deployment_request: DeploymentRequest


def _live_percentage(agent: Agent, branch_id: str) -> float:
    return round(agent.live_split().get(branch_id, 0.0) * 100, 6)


def _branch_common(agent: Agent, branch: AgentBranch) -> dict[str, Any]:
    return {
        "id": branch.id,
        "name": branch.name,
        "agent_id": agent.agent_id,
        "description": branch.description,
        "created_at": branch.created_at,
        "last_committed_at": branch.last_committed_at,
        "is_archived": branch.is_archived,
        "protection_status": branch.protection_status,
        "auto_rebase": branch.auto_rebase,
        "access_info": ACCESS_INFO,
        "current_live_percentage": _live_percentage(agent, branch.id),
    }


def branch_summary(agent: Agent, branch: AgentBranch) -> dict[str, Any]:
    tip = agent.tip(branch.id)
    return {
        **_branch_common(agent, branch),
        "parent_branch_id": branch.parent_branch_id,
        "draft_exists": branch.draft is not None,
        "draft_created_at": branch.draft_created_at,
        "draft_is_behind_tip": bool(
            branch.draft_created_at and branch.draft_created_at < tip.time_committed_secs
        ),
        "merged_into_branch_id": branch.merged_into_branch_id,
    }


def branch_response(agent: Agent, branch: AgentBranch) -> dict[str, Any]:
    parent = agent.branches.get(branch.parent_branch_id or "")
    recent = [agent.versions[v].metadata(agent.agent_id) for v in reversed(branch.version_ids)]
    return {
        **_branch_common(agent, branch),
        "parent_branch": {"id": parent.id, "name": parent.name} if parent else None,
        "most_recent_versions": recent[:10],
    }


@router.get("/branches")
async def list_branches(
    agent_id: str,
    request: Request,
    include_archived: bool | None = None,
    limit: Annotated[int, Query(ge=1, le=100)] = 100,
    include_commit_status: bool | None = None,
) -> dict[str, Any]:
    agent = get_agent(emulator(request), agent_id)
    branches = [b for b in agent.branches.values() if include_archived or not b.is_archived]
    results = [branch_summary(agent, b) for b in branches[:limit]]
    return {"meta": {"total": len(branches), "page": 1, "page_size": limit}, "results": results}


@router.post("/branches")
async def create_branch(agent_id: str, body: CreateBranchBody, request: Request) -> dict[str, str]:
    emu = emulator(request)
    agent = get_agent(emu, agent_id)
    parent = agent.version(body.parent_version_id)
    if any(b.name == body.name for b in agent.branches.values()):
        raise ElevenLabsError(
            409, "branch_name_already_exists", f"A branch named {body.name!r} already exists."
        )
    source = agent.branch(parent.branch_id)
    base_config, base_settings = parent.conversation_config, parent.platform_settings
    if body.include_draft and source.draft is not None:
        base_config = deep_merge(base_config, source.draft.get("conversation_config") or {})
        base_settings = deep_merge(base_settings, source.draft.get("platform_settings") or {})
    branch = new_branch(emu, body.name, body.description, parent.branch_id)
    agent.branches[branch.id] = branch
    version = commit(
        emu,
        agent,
        branch,
        conversation_config=deep_merge(base_config, body.conversation_config or {}),
        platform_settings=deep_merge(base_settings, body.platform_settings or {}),
        workflow=body.workflow if body.workflow is not None else parent.workflow,
        description=f"Branched from {source.name}",
        parents={"out_of_branch_parent_id": parent.id},
    )
    return {"created_branch_id": branch.id, "created_version_id": version.id}


@router.get("/branches/{branch_id}")
async def get_branch(agent_id: str, branch_id: str, request: Request) -> dict[str, Any]:
    agent = get_agent(emulator(request), agent_id)
    return branch_response(agent, agent.branch(branch_id))


@router.patch("/branches/{branch_id}")
async def update_branch(
    agent_id: str, branch_id: str, body: UpdateBranchBody, request: Request
) -> dict[str, Any]:
    agent = get_agent(emulator(request), agent_id)
    branch = agent.branch(branch_id)
    if body.is_archived:
        _check_archivable(agent, branch)
    for field in body.model_fields_set:
        value = getattr(body, field)
        if value is not None or field == "protection_status":
            setattr(branch, field, value)
    return branch_response(agent, branch)


def _check_archivable(agent: Agent, branch: AgentBranch) -> None:
    if branch.id == agent.main_branch_id:
        raise ElevenLabsError(
            400, "cannot_archive_main_branch", "The main branch cannot be archived."
        )
    if agent.live_split().get(branch.id, 0.0) > 0:
        raise ElevenLabsError(
            400, "branch_has_traffic", "Remove the branch from the deployment before archiving it."
        )


@router.post("/branches/{source_branch_id}/merge")
async def merge(
    agent_id: str,
    source_branch_id: str,
    request: Request,
    target_branch_id: str,
    body: MergeBody | None = None,
) -> dict[str, Any]:
    emu = emulator(request)
    agent = get_agent(emu, agent_id)
    source, target = agent.branch(source_branch_id), agent.branch(target_branch_id)
    if source.id == target.id:
        raise ElevenLabsError(400, "invalid_merge", "A branch cannot be merged into itself.")
    tip = agent.tip(source.id)
    version = commit(
        emu,
        agent,
        target,
        conversation_config=tip.conversation_config,
        platform_settings=tip.platform_settings,
        workflow=tip.workflow,
        description=f"Merged {source.name}",
        parents={"merged_from_branch_id": source.id, "merged_from_version_id": tip.id},
    )
    if body is not None and body.archive_source_branch and source.id != agent.main_branch_id:
        share = agent.traffic.pop(source.id, 0.0)
        if share:
            agent.traffic[agent.main_branch_id] = (
                agent.traffic.get(agent.main_branch_id, 0.0) + share
            )
            _record_deployment(emu, agent, "branch_merge")
        source.is_archived = True
        source.merged_into_branch_id = target.id
    return {"version_id": version.id, "branch_id": target.id}


@router.get("/versions/{version_id}")
async def get_version(agent_id: str, version_id: str, request: Request) -> dict[str, Any]:
    agent = get_agent(emulator(request), agent_id)
    return agent.version(version_id).metadata(agent.agent_id)


@router.post("/drafts")
async def save_draft(
    agent_id: str, body: DraftBody, request: Request, branch_id: str
) -> dict[str, Any]:
    emu = emulator(request)
    branch = get_agent(emu, agent_id).branch(branch_id)
    branch.draft = body.model_dump()
    branch.draft_created_at = emu.clock.now_secs()
    return {"branch_id": branch.id, "draft_created_at": branch.draft_created_at}


@router.delete("/drafts")
async def discard_draft(agent_id: str, request: Request, branch_id: str) -> dict[str, Any]:
    branch = get_agent(emulator(request), agent_id).branch(branch_id)
    branch.draft, branch.draft_created_at = None, None
    return {"branch_id": branch.id}


@router.post("/deployments")
async def deploy(agent_id: str, body: DeployBody, request: Request) -> dict[str, Any]:
    emu = emulator(request)
    agent = get_agent(emu, agent_id)
    split = {
        item.branch_id: item.deployment_strategy.traffic_percentage
        for item in body.deployment_request.requests
    }
    validate_split(agent, split)
    agent.traffic = split
    _record_deployment(emu, agent, "manual")
    return {"traffic_percentage_branch_id_map": split}


def _record_deployment(emu: Emulator, agent: Agent, source: str) -> None:
    agent.deployments.append(
        AgentDeployment(
            id=emu.ids.elevenlabs("agtdply"),
            traffic=dict(agent.traffic),
            deployed_at_unix_secs=emu.clock.now_secs(),
            source=source,
        )
    )


@router.get("/deployments")
async def deployment_history(
    agent_id: str,
    request: Request,
    page: Annotated[int, Query(ge=1)] = 1,
    page_size: Annotated[int, Query(ge=1, le=100)] = 30,
) -> dict[str, Any]:
    agent = get_agent(emulator(request), agent_id)
    newest_first = list(reversed(agent.deployments))
    chunk = newest_first[(page - 1) * page_size : page * page_size]
    results = [
        {
            "id": d.id,
            "traffic_percentage_branch_id_map": d.traffic,
            "deployed_at_unix_secs": d.deployed_at_unix_secs,
            "is_active": d is agent.deployments[-1],
            "source": d.source,
            "access_info": ACCESS_INFO,
        }
        for d in chunk
    ]
    meta = {"total": len(newest_first), "page": page, "page_size": page_size}
    return {"meta": meta, "results": results}
