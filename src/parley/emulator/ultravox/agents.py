"""`/api/agents`: CRUD over agents and their `callTemplate`, and calls started from an agent.

Every create or update publishes a new revision (a fresh `publishedRevisionId`), mirroring the
real service, which keeps revisions internally without exposing them; live calls keep the
configuration they started with. `sharedSecrets` is write-only and never echoed.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from fastapi import APIRouter, Depends, Query, Request, Response

from parley.emulator.ultravox import calls, lifecycle, tools
from parley.emulator.ultravox.auth import require_api_key
from parley.emulator.ultravox.call_routes import sort_calls
from parley.emulator.ultravox.errors import UltravoxError
from parley.emulator.ultravox.pagination import paginate
from parley.emulator.ultravox.schemas import AgentIn, CallTemplate, StartAgentCallRequest
from parley.emulator.ultravox.state import AgentRecord
from parley.emulator.ultravox.views import agent_view, call_view

if TYPE_CHECKING:
    from parley.emulator.state import Emulator

router = APIRouter(prefix="/api/agents", dependencies=[Depends(require_api_key)])
SORTABLE = {"created": "created", "name": "name", "updated": "updated"}


def _emu(request: Request) -> Emulator:
    emu: Emulator = request.app.state.emu
    return emu


def _get(emu: Emulator, agent_id: str) -> AgentRecord:
    agent = lifecycle.state(emu).agents.get(agent_id)
    if agent is None:
        raise UltravoxError(404, "Not found.")
    return agent


def _set_template(emu: Emulator, agent: AgentRecord, template: CallTemplate | None) -> None:
    raw = template.model_dump(exclude_none=True) if template is not None else {}
    secrets = raw.pop("sharedSecrets", None)
    for key in ("name", "created", "updated"):
        raw.pop(key, None)  # bookkeeping fields are the server's, not the client's
    calls.check_voice(emu, raw, field="callTemplate.voice")
    _, problems = tools.resolve_all(lifecycle.state(emu), list(raw.get("selectedTools") or []))
    if problems:
        raise UltravoxError(400, {"callTemplate.selectedTools": problems})
    agent.call_template = raw
    if secrets is not None:
        agent.shared_secrets = list(secrets)


@router.get("")
async def list_agents(
    request: Request,
    search: str | None = Query(default=None, min_length=1),
    sort: str | None = None,
) -> dict[str, Any]:
    emu = _emu(request)
    state = lifecycle.state(emu)
    agents = [a for a in state.agents.values() if not search or search.lower() in a.name.lower()]
    order = sort or "-created"
    attr = SORTABLE.get(order.lstrip("-"), "created")
    agents.sort(key=lambda a: getattr(a, attr), reverse=order.startswith("-"))
    return paginate(request, agents, lambda a: agent_view(state, a))


@router.post("", status_code=201)
async def create_agent(body: AgentIn, request: Request) -> dict[str, Any]:
    emu = _emu(request)
    now = emu.clock.now()
    agent = AgentRecord(
        agent_id=emu.ids.uuid(),
        name=body.name or "",
        created=now,
        updated=now,
        published_revision_id=emu.ids.uuid(),
    )
    _set_template(emu, agent, body.callTemplate)
    lifecycle.state(emu).agents[agent.agent_id] = agent
    return agent_view(lifecycle.state(emu), agent)


@router.get("/{agent_id}")
async def get_agent(agent_id: str, request: Request) -> dict[str, Any]:
    emu = _emu(request)
    return agent_view(lifecycle.state(emu), _get(emu, agent_id))


@router.patch("/{agent_id}")
async def update_agent(agent_id: str, body: AgentIn, request: Request) -> dict[str, Any]:
    emu = _emu(request)
    agent = _get(emu, agent_id)
    if "name" in body.model_fields_set and body.name is not None:
        agent.name = body.name
    if "callTemplate" in body.model_fields_set:
        # The template is one field: a PATCH replaces it whole (DRF partial update).
        _set_template(emu, agent, body.callTemplate)
    agent.updated = emu.clock.now()
    agent.published_revision_id = emu.ids.uuid()
    return agent_view(lifecycle.state(emu), agent)


@router.delete("/{agent_id}", status_code=204)
async def delete_agent(agent_id: str, request: Request) -> Response:
    emu = _emu(request)
    _get(emu, agent_id)
    del lifecycle.state(emu).agents[agent_id]
    return Response(status_code=204)


@router.get("/{agent_id}/calls")
async def list_agent_calls(agent_id: str, request: Request) -> dict[str, Any]:
    emu = _emu(request)
    _get(emu, agent_id)
    items = [c for c in lifecycle.state(emu).calls.values() if c.agent_id == agent_id]
    return paginate(request, sort_calls(items, None), call_view)


@router.post("/{agent_id}/calls", status_code=201)
async def start_agent_call(
    agent_id: str, body: StartAgentCallRequest, request: Request
) -> dict[str, Any]:
    emu = _emu(request)
    return call_view(calls.start_from_agent(emu, _get(emu, agent_id), body))
