"""Conversation history: the filtered cursor list, one conversation, delete, audio and feedback.

The list is newest first, as ElevenLabs returns it, and supports the filters reconciliation and
experiments rely on (agent, branch, version, outcome, start window, user). The audio endpoint
streams a valid MP3 as long as the call.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query, Request, Response
from pydantic import BaseModel

from parley.emulator import audio
from parley.emulator.elevenlabs.auth import require_api_key
from parley.emulator.elevenlabs.conversation_models import (
    Conversation,
    full_view,
    get_conversation,
    summary_view,
)
from parley.emulator.elevenlabs.errors import ElevenLabsError
from parley.emulator.elevenlabs.shapes import emulator, page

router = APIRouter(prefix="/v1/convai/conversations", dependencies=[Depends(require_api_key)])


class FeedbackBody(BaseModel):
    feedback: Literal["like", "dislike"] | None = None


@router.get("")
async def list_conversations(
    request: Request,
    cursor: str | None = None,
    agent_id: str | None = None,
    branch_id: str | None = None,
    version_id: str | None = None,
    call_successful: Literal["success", "failure", "unknown"] | None = None,
    call_start_before_unix: int | None = None,
    call_start_after_unix: int | None = None,
    call_duration_min_secs: int | None = None,
    call_duration_max_secs: int | None = None,
    user_id: str | None = None,
    page_size: Annotated[int, Query(ge=1, le=100)] = 30,
    summary_mode: Literal["exclude", "include"] = "exclude",
    search: str | None = None,
    exclude_statuses: Annotated[list[str] | None, Query()] = None,
    sort_direction: Literal["asc", "desc"] = "desc",
) -> dict[str, Any]:
    def keep(c: Conversation) -> bool:
        verdict = (c.analysis or {}).get("call_successful", "unknown")
        return (
            (agent_id is None or c.agent_id == agent_id)
            and (branch_id is None or c.branch_id == branch_id)
            and (version_id is None or c.version_id == version_id)
            and (call_successful is None or verdict == call_successful)
            and (call_start_before_unix is None or c.start_time_unix_secs < call_start_before_unix)
            and (call_start_after_unix is None or c.start_time_unix_secs > call_start_after_unix)
            and (call_duration_min_secs is None or c.call_duration_secs >= call_duration_min_secs)
            and (call_duration_max_secs is None or c.call_duration_secs <= call_duration_max_secs)
            and (user_id is None or c.user_id == user_id)
            and c.status not in (exclude_statuses or [])
            and (
                not search
                or any(search.lower() in (t.get("message") or "").lower() for t in c.transcript)
            )
        )

    everything: list[Conversation] = list(
        emulator(request).state("elevenlabs").conversations.values()
    )
    order = {c.conversation_id: i for i, c in enumerate(everything)}
    chosen = sorted(
        filter(keep, everything),
        key=lambda c: (c.start_time_unix_secs, order[c.conversation_id]),
        reverse=sort_direction == "desc",
    )
    chunk, next_cursor = page(chosen, cursor, page_size)
    summaries = [summary_view(c) for c in chunk]
    if summary_mode == "exclude":
        for summary in summaries:
            summary["transcript_summary"] = None
    return {"conversations": summaries, "next_cursor": next_cursor, "has_more": bool(next_cursor)}


@router.get("/{conversation_id}")
async def get(
    conversation_id: str, request: Request, format: Literal["json", "opentelemetry"] = "json"
) -> dict[str, Any]:
    return full_view(get_conversation(emulator(request), conversation_id))


@router.delete("/{conversation_id}")
async def delete(conversation_id: str, request: Request) -> dict[str, Any]:
    emu = emulator(request)
    get_conversation(emu, conversation_id)
    del emu.state("elevenlabs").conversations[conversation_id]
    return {}


@router.get("/{conversation_id}/audio")
async def get_audio(conversation_id: str, request: Request) -> Response:
    conversation = get_conversation(emulator(request), conversation_id)
    if not full_view(conversation)["has_audio"]:
        raise ElevenLabsError(
            404, "audio_not_found", f"Conversation {conversation_id} has no audio."
        )
    data = audio.mp3_silence(max(1, conversation.call_duration_secs))
    return Response(content=data, media_type="audio/mpeg")


@router.post("/{conversation_id}/feedback")
async def feedback(conversation_id: str, body: FeedbackBody, request: Request) -> dict[str, Any]:
    conversation = get_conversation(emulator(request), conversation_id)
    conversation.feedback = {
        "type": "thumbs",
        "overall_score": body.feedback,
        "likes": int(body.feedback == "like"),
        "dislikes": int(body.feedback == "dislike"),
    }
    return {}
