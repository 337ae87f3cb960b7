"""Starting ElevenLabs conversations: signed URLs pinned to a branch/version, outbound calls,
the inbound conversation-initiation answer, and the branches that serve experiment arms.

Secret variables travel as `secret__<name>` dynamic variables (ElevenLabs never gives those to
the LLM); Parley's stamps travel as ordinary dynamic variables so the post-call conversation
carries them back. A signed URL is requested with `include_conversation_id=true`, which makes
the signature single-use.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from parley.providers.base import PhoneLine, Started, StartRequest, StartTarget
from parley.providers.elevenlabs.compile import secret_name
from parley.providers.errors import ProviderError, ProviderRejected

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


async def serve_version(
    adapter: ElevenLabsAdapter, target: StartTarget, *, name: str, description: str
) -> StartTarget:
    """A branch cut from the target's version, so starts naming it reach exactly that version.

    ElevenLabs routes outbound calls, batch calls and phone numbers by branch, not version, and
    every version Parley applies sits on the agent's main branch, whose tip is only the newest.
    A branch of the same `name` made earlier (a start that failed before it was recorded) is
    taken back rather than duplicated.
    """
    from parley.providers.elevenlabs.adapter import NO_SDK_RETRIES

    if not target.remote_version_id:
        raise ProviderRejected("elevenlabs", "this applied version has no ElevenLabs version id")
    branches = adapter.sdk.conversational_ai.agents.branches
    try:
        made = await adapter._call(
            f"create branch {name!r} of agent {target.remote_agent_id}",
            branches.create(
                target.remote_agent_id,
                parent_version_id=target.remote_version_id,
                name=name,
                description=description,
                request_options=NO_SDK_RETRIES,
            ),
        )
    except ProviderError as exc:
        if exc.status != 409:
            raise
        return await _existing_branch(adapter, target.remote_agent_id, name)
    return StartTarget(target.remote_agent_id, made.created_version_id, made.created_branch_id)


async def _existing_branch(adapter: ElevenLabsAdapter, agent_id: str, name: str) -> StartTarget:
    from parley.providers.elevenlabs.adapter import NO_SDK_RETRIES

    branches = adapter.sdk.conversational_ai.agents.branches
    listed = await adapter._call(
        f"list the branches of agent {agent_id}",
        branches.list(agent_id, include_archived=True, limit=100, request_options=NO_SDK_RETRIES),
    )
    found = next((b for b in listed.results if b.name == name), None)
    if found is None:
        raise ProviderRejected("elevenlabs", f"branch {name!r} exists but could not be found")
    if found.is_archived:
        await adapter._call(
            f"unarchive branch {name!r}",
            branches.update(agent_id, found.id, is_archived=False, request_options=NO_SDK_RETRIES),
        )
    tip = await adapter.get_agent_on_branch(agent_id, found.id)
    return StartTarget(agent_id, tip.version_id, found.id)


async def retire(adapter: ElevenLabsAdapter, serving: StartTarget) -> None:
    """Archive a branch `serve_version` made (it keeps its history and conversations)."""
    from parley.providers.elevenlabs.adapter import NO_SDK_RETRIES

    if not serving.remote_branch_id:
        return
    await adapter._call(
        f"archive branch {serving.remote_branch_id}",
        adapter.sdk.conversational_ai.agents.branches.update(
            serving.remote_agent_id,
            serving.remote_branch_id,
            is_archived=True,
            request_options=NO_SDK_RETRIES,
        ),
    )
