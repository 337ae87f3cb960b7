"""Starting ElevenLabs conversations: signed URLs pinned to a branch/version, outbound calls,
and the inbound conversation-initiation answer.

Secret variables travel as `secret__<name>` dynamic variables (ElevenLabs never gives those to
the LLM); Parley's stamps travel as ordinary dynamic variables so the post-call conversation
carries them back. A signed URL is requested with `include_conversation_id=true`, which makes
the signature single-use.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from parley.providers.base import PhoneLine, Started, StartRequest
from parley.providers.elevenlabs.compile import secret_name
from parley.providers.errors import ProviderRejected

if TYPE_CHECKING:
    from parley.providers.elevenlabs.adapter import ElevenLabsAdapter

OUTBOUND_VIAS = ("twilio", "sip_trunk")


def client_data(request: StartRequest, *, inbound: bool = False) -> dict[str, Any]:
    """`conversation_initiation_client_data` for this start (holds secret values)."""
    variables: dict[str, Any] = {**request.variables, **request.stamps}
    variables.update({secret_name(k): v for k, v in request.secrets.items()})
    data: dict[str, Any] = {"dynamic_variables": variables}
    if inbound:
        data = {"type": "conversation_initiation_client_data", **data}
    if request.user_id:
        data["user_id"] = request.user_id
    if request.target.remote_branch_id:
        data["branch_id"] = request.target.remote_branch_id
    return data


async def start_web(adapter: ElevenLabsAdapter, request: StartRequest) -> Started:
    from parley.providers.elevenlabs.adapter import NO_SDK_RETRIES

    target = request.target
    answer = await adapter._call(
        f"get a signed URL for agent {target.remote_agent_id}",
        adapter.sdk.conversational_ai.conversations.get_signed_url(
            agent_id=target.remote_agent_id,
            include_conversation_id=True,
            branch_id=target.remote_branch_id,
            version_id=target.remote_version_id,
            request_options=NO_SDK_RETRIES,
        ),
    )
    return Started(
        join_url=answer.signed_url,
        remote_conversation_id=_conversation_id(answer),
        client_data=client_data(request),
    )


def _conversation_id(answer: Any) -> str | None:
    """The conversation id when the answer carries one (newer API versions add it)."""
    extra = answer.model_dump() if hasattr(answer, "model_dump") else {}
    value = extra.get("conversation_id")
    return str(value) if value else None


async def start_phone(
    adapter: ElevenLabsAdapter, request: StartRequest, phone: PhoneLine
) -> Started:
    from parley.providers.elevenlabs.adapter import NO_SDK_RETRIES

    via = phone.via or "twilio"
    if via not in OUTBOUND_VIAS:
        raise ProviderRejected(
            "elevenlabs", f"ElevenLabs places outbound calls via {', '.join(OUTBOUND_VIAS)}"
        )
    api = (
        adapter.sdk.conversational_ai.twilio
        if via == "twilio"
        else adapter.sdk.conversational_ai.sip_trunk
    )
    answer = await adapter._call(
        f"place an outbound call for agent {request.target.remote_agent_id}",
        api.outbound_call(
            agent_id=request.target.remote_agent_id,
            agent_phone_number_id=phone.line,
            to_number=phone.to_number,
            conversation_initiation_client_data=client_data(request),
            request_options=NO_SDK_RETRIES,
        ),
    )
    data = answer.model_dump(by_alias=True)
    if not data.get("success"):
        # The provider refused to start the conversation (a missing variable, a bad override).
        raise ProviderRejected(
            "elevenlabs", f"ElevenLabs did not place the call: {data.get('message') or 'refused'}"
        )
    sid = data.get("callSid") or data.get("call_sid") or data.get("sip_call_id")
    return Started(remote_conversation_id=data.get("conversation_id"), call_sid=sid)
