"""Workspace-level configuration: ConvAI settings, workspace webhooks (HMAC secrets), secrets.

The post-call webhook is chosen in the ConvAI settings by id (`webhooks.post_call_webhook_id`)
and created under `v1/workspace/webhooks`, which hands out its signing secret once, at creation.
Secrets are write-only: no answer ever carries a secret's value.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query, Request
from pydantic import BaseModel, ConfigDict, Field

from parley.emulator.elevenlabs.auth import require_api_key
from parley.emulator.elevenlabs.errors import ElevenLabsError, not_found
from parley.emulator.elevenlabs.shapes import emulator, page

if TYPE_CHECKING:
    from parley.emulator.state import Emulator

router = APIRouter(prefix="/v1", dependencies=[Depends(require_api_key)])


class ConvAISettings(BaseModel):
    model_config = ConfigDict(extra="allow")
    conversation_initiation_client_data_webhook: dict[str, Any] | None = None
    webhooks: dict[str, Any] = Field(
        default_factory=lambda: {"events": ["transcript"], "transcript_format": "json"}
    )
    can_use_mcp_servers: bool = False
    rag_retention_period_days: int = 10
    conversation_embedding_retention_days: int | None = None
    default_livekit_stack: str = "standard"


class WorkspaceWebhook(BaseModel):
    webhook_id: str
    name: str
    webhook_url: str
    secret: str
    auth_type: str = "hmac"
    request_headers: dict[str, str | None] = Field(default_factory=dict)
    created_at_unix: int
    is_disabled: bool = False
    is_auto_disabled: bool = False
    retry_enabled: bool = False
    events: list[str] | None = None
    most_recent_failure_error_code: int | None = None
    most_recent_failure_timestamp: int | None = None


class WorkspaceSecret(BaseModel):
    secret_id: str
    name: str
    value: str


class SettingsPatch(BaseModel):
    model_config = ConfigDict(extra="allow")
    conversation_initiation_client_data_webhook: dict[str, Any] | None = None
    webhooks: dict[str, Any] | None = None
    can_use_mcp_servers: bool | None = None
    rag_retention_period_days: int | None = Field(default=None, ge=0)
    conversation_embedding_retention_days: int | None = None
    default_livekit_stack: Literal["standard", "static"] | None = None


class HmacSettings(BaseModel):
    auth_type: Literal["hmac"] = "hmac"
    name: str
    webhook_url: str
    request_headers: dict[str, str | None] | None = None


class CreateWebhookBody(BaseModel):
    settings: HmacSettings


class PatchWebhookBody(BaseModel):
    is_disabled: bool
    name: str
    retry_enabled: bool | None = None
    request_headers: dict[str, str | None] | None = None
    events: list[str] | None = None


class SecretBody(BaseModel):
    type: Literal["new", "update"] = "new"
    name: str
    value: str


def convai_settings(emu: Emulator) -> ConvAISettings:
    settings: ConvAISettings = emu.state("elevenlabs").settings
    return settings


# --- ConvAI settings ---------------------------------------------------------------------------


@router.get("/convai/settings")
async def get_settings(request: Request) -> dict[str, Any]:
    return convai_settings(emulator(request)).model_dump()


@router.patch("/convai/settings")
async def patch_settings(body: SettingsPatch, request: Request) -> dict[str, Any]:
    emu = emulator(request)
    settings = convai_settings(emu)
    hook_id = (body.webhooks or {}).get("post_call_webhook_id")
    if hook_id and hook_id not in emu.state("elevenlabs").webhooks:
        raise not_found("webhook", hook_id)
    for field in body.model_fields_set:
        value = getattr(body, field)
        if field == "webhooks" and value is not None:
            value = {**settings.webhooks, **value}
        setattr(settings, field, value)
    return settings.model_dump()


# --- workspace webhooks ------------------------------------------------------------------------


def _webhook_view(emu: Emulator, hook: WorkspaceWebhook, include_usages: bool) -> dict[str, Any]:
    view = hook.model_dump(exclude={"secret", "retry_enabled", "request_headers"})
    if include_usages:
        used = convai_settings(emu).webhooks.get("post_call_webhook_id") == hook.webhook_id
        view["usage"] = [{"usage_type": "ConvAI Settings"}] if used else []
    return view


@router.get("/workspace/webhooks")
async def list_webhooks(request: Request, include_usages: bool = False) -> dict[str, Any]:
    emu = emulator(request)
    hooks = emu.state("elevenlabs").webhooks.values()
    return {"webhooks": [_webhook_view(emu, h, include_usages) for h in hooks]}


@router.post("/workspace/webhooks")
async def create_webhook(body: CreateWebhookBody, request: Request) -> dict[str, Any]:
    emu = emulator(request)
    hook = WorkspaceWebhook(
        webhook_id=emu.ids.hex(32),
        name=body.settings.name,
        webhook_url=body.settings.webhook_url,
        secret=f"wsec_{emu.ids.hex(64)}",
        request_headers=body.settings.request_headers or {},
        created_at_unix=emu.clock.now_secs(),
    )
    emu.state("elevenlabs").webhooks[hook.webhook_id] = hook
    return {"webhook_id": hook.webhook_id, "webhook_secret": hook.secret}


def _webhook(emu: Emulator, webhook_id: str) -> WorkspaceWebhook:
    hook: WorkspaceWebhook | None = emu.state("elevenlabs").webhooks.get(webhook_id)
    if hook is None:
        raise not_found("webhook", webhook_id)
    return hook


@router.patch("/workspace/webhooks/{webhook_id}")
async def patch_webhook(
    webhook_id: str, body: PatchWebhookBody, request: Request
) -> dict[str, str]:
    hook = _webhook(emulator(request), webhook_id)
    hook.is_disabled, hook.name = body.is_disabled, body.name
    if not body.is_disabled:
        hook.is_auto_disabled = False
    if body.retry_enabled is not None:
        hook.retry_enabled = body.retry_enabled
    if body.request_headers is not None:
        hook.request_headers = body.request_headers
    if body.events is not None:
        hook.events = body.events
    return {"status": "ok"}


@router.delete("/workspace/webhooks/{webhook_id}")
async def delete_webhook(webhook_id: str, request: Request) -> dict[str, str]:
    emu = emulator(request)
    _webhook(emu, webhook_id)
    del emu.state("elevenlabs").webhooks[webhook_id]
    return {"status": "ok"}


# --- secrets -----------------------------------------------------------------------------------


def _mentions(record: Any, secret_id: str) -> bool:
    data = record.model_dump(mode="json") if isinstance(record, BaseModel) else record
    return f'"secret_id": "{secret_id}"' in json.dumps(data)


def _used_by(emu: Emulator, secret_id: str) -> dict[str, Any]:
    state = emu.state("elevenlabs")
    agents = [
        {"type": "available", "id": a.agent_id, "name": a.name, "access_level": "admin"}
        for a in state.agents.values()
        if _mentions(a, secret_id)
    ]
    tools = [
        {"type": "available", "id": tool_id, "name": tool_id, "access_level": "admin"}
        for tool_id, tool in state.tools.items()
        if _mentions(tool, secret_id)
    ]
    others = ["conversation_initiation_webhook"] if _mentions(state.settings, secret_id) else []
    return {"tools": tools, "agents": agents, "others": others, "phone_numbers": []}


def _secret(emu: Emulator, secret_id: str) -> WorkspaceSecret:
    secret: WorkspaceSecret | None = emu.state("elevenlabs").secrets.get(secret_id)
    if secret is None:
        raise not_found("secret", secret_id)
    return secret


def _secret_view(emu: Emulator, secret: WorkspaceSecret) -> dict[str, Any]:
    return {
        "type": "stored",
        "secret_id": secret.secret_id,
        "name": secret.name,
        "used_by": _used_by(emu, secret.secret_id),
    }


@router.get("/convai/secrets")
async def list_secrets(
    request: Request,
    page_size: Annotated[int, Query(ge=1, le=100)] = 30,
    dependency_limit: int | None = None,
    search: str | None = None,
    cursor: str | None = None,
) -> dict[str, Any]:
    emu = emulator(request)
    secrets = list(emu.state("elevenlabs").secrets.values())
    if search:
        secrets = [s for s in secrets if search.lower() in s.name.lower()]
    chunk, next_cursor = page(secrets, cursor, page_size)
    return {"secrets": [_secret_view(emu, s) for s in chunk], "next_cursor": next_cursor}


@router.post("/convai/secrets")
async def create_secret(body: SecretBody, request: Request) -> dict[str, Any]:
    emu = emulator(request)
    secret = WorkspaceSecret(secret_id=emu.ids.hex(20), name=body.name, value=body.value)
    emu.state("elevenlabs").secrets[secret.secret_id] = secret
    return {"type": "stored", "secret_id": secret.secret_id, "name": secret.name}


@router.get("/convai/secrets/{secret_id}")
async def get_secret(secret_id: str, request: Request) -> dict[str, Any]:
    emu = emulator(request)
    return _secret_view(emu, _secret(emu, secret_id))


@router.patch("/convai/secrets/{secret_id}")
async def update_secret(secret_id: str, body: SecretBody, request: Request) -> dict[str, Any]:
    secret = _secret(emulator(request), secret_id)
    secret.name, secret.value = body.name, body.value
    return {"type": "stored", "secret_id": secret.secret_id, "name": secret.name}


@router.delete("/convai/secrets/{secret_id}")
async def delete_secret(secret_id: str, request: Request) -> dict[str, Any]:
    emu = emulator(request)
    _secret(emu, secret_id)
    used = _used_by(emu, secret_id)
    if used["agents"] or used["tools"] or used["others"]:
        raise ElevenLabsError(
            400, "secret_in_use", "The secret is still used; remove its references first."
        )
    del emu.state("elevenlabs").secrets[secret_id]
    return {}


def resolve_secret(emu: Emulator, value: Any) -> str | None:
    """A header value as sent: literal strings as they are, `{secret_id}` resolved."""
    if isinstance(value, str):
        return value
    if isinstance(value, dict) and "secret_id" in value:
        secret: WorkspaceSecret | None = emu.state("elevenlabs").secrets.get(value["secret_id"])
        return secret.value if secret else None
    return None
