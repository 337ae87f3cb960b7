"""Starting Ultravox calls from an agent: `POST /api/agents/{id}/calls` with Parley's stamps.

Non-secret variables become the call's `templateContext`; Parley's stamps become `metadata`
(the field Ultravox keeps with the call and lets the call list filter on). Ultravox has no way
to keep a template value from the model, so secret variables are not sent at all (the agent's
compiled `contextSchema` leaves them out too). Outbound phone calls use an `outgoing` medium,
which Ultravox dials itself; outgoing SIP calls have no `joinUrl`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from parley.providers.base import PhoneLine, Started, StartRequest
from parley.providers.errors import ProviderRejected

if TYPE_CHECKING:
    from parley.providers.ultravox.adapter import UltravoxAdapter

OUTGOING_MEDIA = ("twilio", "telnyx", "plivo", "sip")


def call_body(request: StartRequest, medium: dict[str, Any] | None = None) -> dict[str, Any]:
    body: dict[str, Any] = {
        "templateContext": dict(request.variables),
        "metadata": {k: str(v) for k, v in request.stamps.items()},
    }
    if medium is not None:
        body["medium"] = medium
    return body


async def _create(adapter: UltravoxAdapter, request: StartRequest, body: dict[str, Any]) -> Started:
    agent_id = request.target.remote_agent_id
    call: dict[str, Any] = await adapter.client.request(
        "POST", f"/api/agents/{agent_id}/calls", f"start a call on agent {agent_id}", json=body
    )
    return Started(remote_conversation_id=call.get("callId"), join_url=call.get("joinUrl"))


async def start_web(adapter: UltravoxAdapter, request: StartRequest) -> Started:
    return await _create(adapter, request, call_body(request))


async def start_phone(adapter: UltravoxAdapter, request: StartRequest, phone: PhoneLine) -> Started:
    via = phone.via or "twilio"
    if via not in OUTGOING_MEDIA:
        raise ProviderRejected(
            "ultravox", f"Ultravox dials outgoing calls via {', '.join(OUTGOING_MEDIA)}"
        )
    medium = {via: {"outgoing": {"to": phone.to_number, "from": phone.line}}}
    return await _create(adapter, request, call_body(request, medium))
