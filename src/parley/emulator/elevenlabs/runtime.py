"""Starting a conversation over REST: signed WebSocket URLs and WebRTC tokens.

A `conversation_signature` carries the agent, an optional pinned branch/version/conversation id
and its expiry (15 minutes by the emulator clock), authenticated with an HMAC keyed by the
emulator's seed, so no state is needed and a `--state-file` restart keeps URLs valid. The
signature only has to be valid when the session *starts*; the session may run longer.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Request

from parley.emulator.elevenlabs.agent_models import get_agent
from parley.emulator.elevenlabs.auth import require_api_key
from parley.emulator.elevenlabs.shapes import emulator

if TYPE_CHECKING:
    from parley.emulator.state import Emulator

SIGNED_URL_TTL_S = 15 * 60
WS_PATH = "/v1/convai/conversation"

router = APIRouter(prefix="/v1/convai/conversation", dependencies=[Depends(require_api_key)])


def _key(emu: Emulator) -> bytes:
    return f"parley-emulator-signature-{emu.seed}".encode()


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def sign(emu: Emulator, claims: dict[str, Any]) -> str:
    payload = _b64(json.dumps(claims, sort_keys=True, separators=(",", ":")).encode())
    mac = hmac.new(_key(emu), payload.encode(), hashlib.sha256).digest()
    return f"cvtkn_{payload}.{_b64(mac)}"


def verify(emu: Emulator, signature: str) -> dict[str, Any] | None:
    """The claims of a genuine, unexpired signature; None otherwise."""
    body = signature.removeprefix("cvtkn_")
    payload, _, mac = body.partition(".")
    expected = _b64(hmac.new(_key(emu), payload.encode(), hashlib.sha256).digest())
    if not payload or not hmac.compare_digest(mac, expected):
        return None
    try:
        claims: dict[str, Any] = json.loads(
            base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4))
        )
    except ValueError:
        return None
    if float(claims.get("exp", 0)) < emu.clock.now():
        return None
    return claims


def _claims(
    emu: Emulator,
    agent_id: str,
    branch_id: str | None,
    version_id: str | None,
    conversation_id: str | None,
) -> dict[str, Any]:
    agent = get_agent(emu, agent_id)
    if branch_id or version_id:
        agent.resolve(branch_id, version_id)  # 404 now rather than a dead URL later
    claims: dict[str, Any] = {"agent_id": agent_id, "exp": emu.clock.now() + SIGNED_URL_TTL_S}
    for name, value in (
        ("branch_id", branch_id),
        ("version_id", version_id),
        ("conversation_id", conversation_id),
    ):
        if value:
            claims[name] = value
    return claims


@router.get("/get-signed-url")
async def get_signed_url(
    request: Request,
    agent_id: str,
    include_conversation_id: bool = False,
    branch_id: str | None = None,
    version_id: str | None = None,
    environment: str | None = None,
    debug_events_request: bool | None = None,
) -> dict[str, str]:
    emu = emulator(request)
    conversation_id = emu.ids.elevenlabs("conv") if include_conversation_id else None
    claims = _claims(emu, agent_id, branch_id, version_id, conversation_id)
    query = urlencode({"agent_id": agent_id, "conversation_signature": sign(emu, claims)})
    return {"signed_url": f"{emu.config.public_ws_url}/elevenlabs{WS_PATH}?{query}"}


@router.get("/token")
async def get_token(
    request: Request,
    agent_id: str,
    participant_name: str | None = None,
    branch_id: str | None = None,
    version_id: str | None = None,
    environment: str | None = None,
    debug_events_request: bool | None = None,
) -> dict[str, str]:
    """A LiveKit-style token (WebRTC is not emulated; the token also works as a signature)."""
    emu = emulator(request)
    conversation_id = emu.ids.elevenlabs("conv")
    claims = _claims(emu, agent_id, branch_id, version_id, conversation_id)
    return {"token": sign(emu, claims), "conversation_id": conversation_id}
