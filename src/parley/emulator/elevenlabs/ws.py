"""The conversation WebSocket, `/v1/convai/conversation`: authentication and initiation.

The client opens the socket (by `agent_id` for a public agent, by `conversation_signature` for a
private one) and sends `conversation_initiation_client_data`. Before the first server message
the emulator checks what ElevenLabs checks, closing with 1008 on a bad signature, an override of a
field the agent does not allow, or a missing dynamic variable. The conversation is then routed
to a branch (signature or initiation data may pin one) and handed to a `Session`.
"""

from __future__ import annotations

import asyncio
import json
from contextlib import suppress
from typing import TYPE_CHECKING, Any

from fastapi import APIRouter, WebSocket, WebSocketDisconnect

from parley.emulator.elevenlabs.agent_models import Agent, AgentVersion
from parley.emulator.elevenlabs.conversation_models import start_conversation
from parley.emulator.elevenlabs.runtime import WS_PATH, verify
from parley.emulator.elevenlabs.session import Session, SessionClosed
from parley.emulator.elevenlabs.shapes import deep_merge
from parley.emulator.elevenlabs.variables import (
    SYSTEM,
    missing,
    render_for_llm,
    system_variables,
    visible,
)

if TYPE_CHECKING:
    from parley.emulator.state import Emulator

router = APIRouter()
OVERRIDE_SECTIONS = ("agent", "tts", "asr", "conversation", "turn")
INITIATION_TIMEOUT_S = 10.0


class Refused(Exception):
    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def forbidden_overrides(override: dict[str, Any], allowed: Any, path: str = "") -> list[str]:
    """Paths in `override` whose permission in `allowed` (a tree of booleans) is not true."""
    if allowed is True:
        return []
    found = []
    for key, value in override.items():
        here = f"{path}.{key}" if path else key
        permission = allowed.get(key) if isinstance(allowed, dict) else None
        if value is None:
            continue
        if isinstance(value, dict) and isinstance(permission, dict):
            found += forbidden_overrides(value, permission, here)
        elif permission is not True:
            found.append(here)
    return found


def _authorise(emu: Emulator, websocket: WebSocket) -> tuple[Agent, dict[str, Any], str]:
    params = websocket.query_params
    claims: dict[str, Any] = {}
    signature = params.get("conversation_signature") or params.get("token")
    if signature:
        checked = verify(emu, signature)
        if checked is None:
            raise Refused("Invalid or expired conversation signature")
        claims = checked
    agent_id = claims.get("agent_id") or params.get("agent_id") or ""
    agent: Agent | None = emu.state("elevenlabs").agents.get(agent_id)
    if agent is None:
        raise Refused(f"Agent {agent_id} not found")
    auth = agent.tip(agent.main_branch_id).platform_settings.get("auth") or {}
    if auth.get("enable_auth") and not claims:
        raise Refused("This agent requires authentication: use a signed URL")
    return agent, claims, "signed_url" if claims else "public"


def _version(
    agent: Agent, claims: dict[str, Any], initiation: dict[str, Any], cid: str
) -> AgentVersion:
    branch_id = claims.get("branch_id") or initiation.get("branch_id")
    version_id = claims.get("version_id")
    if branch_id or version_id:
        return agent.resolve(branch_id, version_id)
    return agent.route(cid)


def _prepare(
    emu: Emulator, version: AgentVersion, initiation: dict[str, Any], cid: str, agent_id: str
) -> tuple[dict[str, Any], dict[str, Any], bool]:
    """Effective config, all variables and text-only mode, or Refused."""
    override = initiation.get("conversation_config_override") or {}
    sections = {k: v for k, v in override.items() if k in OVERRIDE_SECTIONS and isinstance(v, dict)}
    allowed = (version.platform_settings.get("overrides") or {}).get(
        "conversation_config_override"
    ) or {}
    denied = forbidden_overrides(sections, allowed)
    if denied:
        raise Refused(f"Override for field '{denied[0]}' is not allowed by config.")
    config = deep_merge(version.conversation_config, sections)
    given = {
        k: v
        for k, v in (initiation.get("dynamic_variables") or {}).items()
        if not k.startswith(SYSTEM)
    }
    variables = {**given, **system_variables(agent_id, cid, emu.clock.now())}
    absent = missing(config, variables)
    if absent:
        raise Refused(f"Missing required dynamic variables in first message/tools: {set(absent)}")
    # The Python SDK says "text only" with a top-level key when it has no audio interface.
    text_only = bool(override.get("text_only")) or bool(
        (config.get("conversation") or {}).get("text_only")
    )
    return config, variables, text_only


async def _first_message(websocket: WebSocket) -> tuple[dict[str, Any], dict[str, Any] | None]:
    """The initiation data and, when the client skipped it, the message it sent instead."""
    raw = await asyncio.wait_for(websocket.receive_text(), INITIATION_TIMEOUT_S)
    message = json.loads(raw)
    if isinstance(message, dict) and message.get("type") == "conversation_initiation_client_data":
        return message, None
    return {}, message if isinstance(message, dict) else None


@router.websocket(WS_PATH)
async def conversation(websocket: WebSocket) -> None:
    emu: Emulator = websocket.app.state.emu
    await websocket.accept()
    path = websocket.scope.get("root_path", "") + WS_PATH
    fault = emu.faults.match("ws_close", path)
    try:
        agent, claims, method = _authorise(emu, websocket)
        initiation, early = await _first_message(websocket)
        cid = claims.get("conversation_id") or emu.ids.elevenlabs("conv")
        version = _version(agent, claims, initiation, cid)
        config, variables, text_only = _prepare(emu, version, initiation, cid, agent.agent_id)
    except Refused as refused:
        await websocket.close(1008, refused.reason)
        return
    except (WebSocketDisconnect, TimeoutError, ValueError):
        await _close_quietly(websocket, 1008, "Invalid message received")
        return
    stored = {k: v for k, v in initiation.items() if k != "type"}
    stored["dynamic_variables"] = visible(variables)
    source = (initiation.get("source_info") or {}).get("source") or "unknown"
    c = start_conversation(
        emu, agent, version=version, conversation_id=cid, initiation=stored, source=source
    )
    c.source_version = (initiation.get("source_info") or {}).get("version")
    c.status, c.text_only, c.authorization_method = "in-progress", text_only, method
    limit = (config.get("conversation") or {}).get("max_duration_seconds")
    if limit and limit > 0:
        c.ends_at = c.started_at + float(limit)
    first = render_for_llm(((config.get("agent") or {}).get("first_message") or ""), variables)

    async def send(message: dict[str, Any]) -> None:
        await websocket.send_text(json.dumps(message))

    async def close(code: int, reason: str) -> None:
        await _close_quietly(websocket, code, reason)

    close_after = None
    if fault is not None:
        close_after = (fault.after_messages, fault.close_code, fault.close_reason)
    session = Session(
        emu, c, config, variables, send, close, text_only=text_only, close_after=close_after
    )
    try:
        await session.start(first)
        if early is not None:
            await session.handle(early)
        while not session.closed:
            event = await websocket.receive()
            if event["type"] == "websocket.disconnect":
                session.disconnected(int(event.get("code") or 1000))
                return
            try:
                message = json.loads(event.get("text") or event.get("bytes") or "")
            except ValueError:
                message = {}
            await session.handle(message if isinstance(message, dict) else {})
    except SessionClosed:
        return
    except WebSocketDisconnect as gone:
        session.disconnected(gone.code)


async def _close_quietly(websocket: WebSocket, code: int, reason: str) -> None:
    with suppress(RuntimeError):  # already closed by the other side
        await websocket.close(code, reason)
