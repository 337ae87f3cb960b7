"""Workspace tools: `v1/convai/tools` CRUD for webhook (server), client, system and MCP tools.

A tool is stored as the `tool_config` the client sent, with the defaults the real API fills in
laid underneath, so a read returns what ElevenLabs would return. Agents attach tools by id
(`conversation_config.agent.prompt.tool_ids`); the emulator's conversations resolve those ids
here. Names follow the platform's rule (letters, digits, `_` and `-`, at most 64) because the
LLM calls a tool by its name.
"""

from __future__ import annotations

import copy
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query, Request
from pydantic import BaseModel, ConfigDict, Field, field_validator

from parley.emulator.elevenlabs.agent_models import commit
from parley.emulator.elevenlabs.auth import require_api_key
from parley.emulator.elevenlabs.errors import ElevenLabsError, not_found
from parley.emulator.elevenlabs.periphery import (
    agents_using_tool,
    dependent_agent,
    el_state,
    prompt_of,
)
from parley.emulator.elevenlabs.shapes import ACCESS_INFO, emulator, page

router = APIRouter(prefix="/v1/convai/tools", dependencies=[Depends(require_api_key)])

TOOL_NAME = r"^[a-zA-Z0-9_-]{1,64}$"
SYSTEM_TOOL_TYPES = Literal[
    "end_call",
    "end_procedure",
    "knowledge_base",
    "knowledge_base_rag",
    "language_detection",
    "play_keypad_touch_tone",
    "skip_turn",
    "start_procedure",
    "transfer_to_agent",
    "transfer_to_number",
    "voicemail_detection",
]
# Filled in under what the client sent, as the real API answers a create.
COMMON_DEFAULTS: dict[str, Any] = {
    "response_timeout_secs": 20,
    "disable_interruptions": False,
    "force_pre_tool_speech": False,
    "assignments": [],
    "tool_call_sound": None,
    "tool_call_sound_behavior": "auto",
    "tool_error_handling_mode": "auto",
}
TYPE_DEFAULTS: dict[str, dict[str, Any]] = {
    "webhook": {
        "dynamic_variables": {"dynamic_variable_placeholders": {}},
        "execution_mode": "immediate",
    },
    "client": {
        "expects_response": False,
        "dynamic_variables": {"dynamic_variable_placeholders": {}},
        "execution_mode": "immediate",
    },
    "system": {},
}
API_SCHEMA_DEFAULTS: dict[str, Any] = {
    "method": "GET",
    "request_headers": {},
    "content_type": "application/json",
}


class _Open(BaseModel):
    # Fields the emulator does not interpret are kept and echoed, as the real API does.
    model_config = ConfigDict(extra="allow")


class ApiSchema(_Open):
    url: str = Field(min_length=1)
    method: Literal["GET", "POST", "PUT", "PATCH", "DELETE"] | None = None


class WebhookTool(_Open):
    type: Literal["webhook"]
    name: str = Field(pattern=TOOL_NAME)
    description: str
    response_timeout_secs: int | None = Field(default=None, ge=5, le=300)
    api_schema: ApiSchema


class ClientTool(_Open):
    type: Literal["client"]
    name: str = Field(pattern=TOOL_NAME)
    description: str
    response_timeout_secs: int | None = None
    expects_response: bool | None = None

    @field_validator("response_timeout_secs")
    @classmethod
    def _timeout(cls, value: int | None) -> int | None:
        # -1 means "wait for the client forever"; otherwise 1-120 seconds.
        if value is not None and value != -1 and not 1 <= value <= 120:
            raise ValueError("response_timeout_secs must be -1 or between 1 and 120")
        return value


class SystemParams(_Open):
    system_tool_type: SYSTEM_TOOL_TYPES


class SystemTool(_Open):
    type: Literal["system"]
    name: str = Field(pattern=TOOL_NAME)
    description: str | None = None
    params: SystemParams


class McpTool(_Open):
    type: Literal["mcp"]
    value: Any = None


ToolConfig = Annotated[WebhookTool | ClientTool | SystemTool | McpTool, Field(discriminator="type")]


class ToolRequest(BaseModel):
    tool_config: ToolConfig
    response_mocks: list[dict[str, Any]] | None = None


class ToolRecord(BaseModel):
    id: str
    tool_config: dict[str, Any]
    response_mocks: list[dict[str, Any]] | None = None
    created_at_unix_secs: int
    last_updated_at_unix_secs: int
    total_calls: int = 0
    total_latency_secs: float = 0.0

    @property
    def name(self) -> str:
        return str(self.tool_config.get("name", ""))

    @property
    def type(self) -> str:
        return str(self.tool_config.get("type", ""))

    def view(self) -> dict[str, Any]:
        """ToolResponseModel."""
        avg = self.total_latency_secs / self.total_calls if self.total_calls else 0.0
        return {
            "id": self.id,
            "tool_config": self.tool_config,
            "access_info": ACCESS_INFO,
            "usage_stats": {"total_calls": self.total_calls, "avg_latency_secs": avg},
            "response_mocks": self.response_mocks,
        }


def normalise(config: WebhookTool | ClientTool | SystemTool | McpTool) -> dict[str, Any]:
    """The stored tool_config: what was sent over the defaults the platform applies."""
    sent = config.model_dump(mode="json", exclude_none=True)
    if config.type == "mcp":
        return sent
    merged = {**COMMON_DEFAULTS, **TYPE_DEFAULTS[config.type], **sent}
    if config.type == "webhook":
        merged["api_schema"] = {**API_SCHEMA_DEFAULTS, **sent["api_schema"]}
    return merged


def _tool(request: Request, tool_id: str) -> ToolRecord:
    tool = el_state(request).tools.get(tool_id)
    if tool is None:
        raise not_found("tool", tool_id)
    return tool


@router.post("")
async def create_tool(body: ToolRequest, request: Request) -> dict[str, Any]:
    emu = emulator(request)
    now = emu.clock.now_secs()
    tool = ToolRecord(
        id=emu.ids.elevenlabs("tool"),
        tool_config=normalise(body.tool_config),
        response_mocks=body.response_mocks,
        created_at_unix_secs=now,
        last_updated_at_unix_secs=now,
    )
    el_state(request).tools[tool.id] = tool
    return tool.view()


@router.get("")
async def list_tools(
    request: Request,
    search: str | None = None,
    page_size: Annotated[int, Query(ge=1, le=100)] = 30,
    show_only_owned_documents: bool = False,
    created_by_user_id: str | None = None,
    types: Annotated[list[str] | None, Query()] = None,
    sort_direction: Literal["asc", "desc"] = "desc",
    sort_by: Literal["name", "created_at"] = "created_at",
    used_by_agent_id: str | None = None,
    cursor: str | None = None,
) -> dict[str, Any]:
    state = el_state(request)
    tools = list(state.tools.values())
    if search:
        # "only tools whose names start with this string"
        tools = [t for t in tools if t.name.lower().startswith(search.lower())]
    if types:
        tools = [t for t in tools if t.type in types]
    if used_by_agent_id:
        agent = state.agents.get(used_by_agent_id)
        used = set(prompt_of(agent).get("tool_ids") or []) if agent else set()
        tools = [t for t in tools if t.id in used]
    if sort_by == "name":
        tools.sort(key=lambda t: (t.name.lower(), t.id), reverse=sort_direction == "desc")
    else:
        tools.sort(key=lambda t: (t.created_at_unix_secs, t.id), reverse=sort_direction == "desc")
    chunk, next_cursor = page(tools, cursor, page_size)
    return {
        "tools": [t.view() for t in chunk],
        "next_cursor": next_cursor,
        "has_more": next_cursor is not None,
    }


@router.get("/{tool_id}")
async def get_tool(
    tool_id: str, request: Request, environment: str | None = None
) -> dict[str, Any]:
    return _tool(request, tool_id).view()


@router.patch("/{tool_id}")
async def update_tool(tool_id: str, body: ToolRequest, request: Request) -> dict[str, Any]:
    tool = _tool(request, tool_id)
    if body.tool_config.type != tool.type:
        raise ElevenLabsError(
            400,
            "tool_type_mismatch",
            f"Tool {tool_id} is a {tool.type} tool; its type cannot change.",
        )
    tool.tool_config = normalise(body.tool_config)
    tool.response_mocks = body.response_mocks
    tool.last_updated_at_unix_secs = emulator(request).clock.now_secs()
    return tool.view()


@router.delete("/{tool_id}")
async def delete_tool(tool_id: str, request: Request, force: bool = False) -> dict[str, Any]:
    _tool(request, tool_id)
    state = el_state(request)
    users = agents_using_tool(state, tool_id)
    if users and not force:
        raise ElevenLabsError(
            400,
            "tool_in_use",
            f"Tool {tool_id} is used by {len(users)} agent(s); pass force=true to delete it.",
        )
    # Forced: the platform detaches it from its agents, which is a new version on their main.
    emu = emulator(request)
    for agent in users:
        tip = agent.tip(agent.main_branch_id)
        config = copy.deepcopy(tip.conversation_config)
        prompt = config["agent"]["prompt"]
        prompt["tool_ids"] = [t for t in prompt["tool_ids"] if t != tool_id]
        commit(
            emu,
            agent,
            agent.branch(agent.main_branch_id),
            conversation_config=config,
            platform_settings=tip.platform_settings,
            workflow=tip.workflow,
            description=f"Removed deleted tool {tool_id}",
        )
    del state.tools[tool_id]
    return {}


@router.get("/{tool_id}/dependent-agents")
async def tool_dependent_agents(
    tool_id: str,
    request: Request,
    cursor: str | None = None,
    page_size: Annotated[int, Query(ge=1, le=100)] = 30,
) -> dict[str, Any]:
    _tool(request, tool_id)
    users = sorted(agents_using_tool(el_state(request), tool_id), key=lambda a: a.agent_id)
    chunk, next_cursor = page(users, cursor, page_size)
    return {
        "agents": [dependent_agent(a) for a in chunk],
        "next_cursor": next_cursor,
        "has_more": next_cursor is not None,
    }
