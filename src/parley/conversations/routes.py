"""`/api/v1/conversations`: the stored conversations, filtered and paged, searched, exported,
deleted on request, their recordings, and their retention policies. Routes parse only."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import FileResponse, StreamingResponse

from parley.conversations import audio, deletion, export, retention, service
from parley.conversations.repository import ConversationFilter
from parley.conversations.schemas import ConversationDetail, ConversationSummary, Page
from parley.deps import Caller, Session

router = APIRouter(prefix="/api/v1/conversations", tags=["conversations"])


def _filters(
    agent: str | None = None,
    version: Annotated[int | None, Query(ge=1)] = None,
    provider: str | None = None,
    started_after: datetime | None = None,
    started_before: datetime | None = None,
    successful: bool | None = None,
    user_id: str | None = None,
    evaluation: Annotated[
        list[str], Query(description="criterion:result, e.g. meeting_booked:success; repeatable")
    ] = [],  # noqa: B006
    data: Annotated[
        list[str], Query(description="field=value, e.g. meeting_booked=true; repeatable")
    ] = [],  # noqa: B006
    search: Annotated[
        str | None,
        Query(
            max_length=500,
            description="Words that must all occur in the transcript or the summary "
            "(punctuation and search operators are ignored).",
        ),
    ] = None,
) -> ConversationFilter:
    return ConversationFilter(
        agent=agent,
        version=version,
        provider=provider,
        started_after=service.aware(started_after),
        started_before=service.aware(started_before),
        successful=successful,
        user_id=user_id,
        labels=service.parse_label_filters(evaluation, data),
        search=search,
    )


Filters = Annotated[ConversationFilter, Depends(_filters)]


@router.get("", response_model=Page[ConversationSummary])
async def list_conversations(
    session: Session,
    _caller: Caller,
    flt: Filters,
    cursor: str | None = None,
    limit: Annotated[int, Query(ge=1, le=service.MAX_PAGE)] = 50,
) -> Page[ConversationSummary]:
    return await service.list_conversations(session, flt, cursor=cursor, limit=limit)


@router.get(
    "/export",
    response_class=StreamingResponse,
    responses={
        200: {
            "description": "JSON Lines (one full record with turns per line) or CSV (one row "
            "per conversation); `X-Total-Count` is the number of conversations.",
            "content": {"application/x-ndjson": {}, "text/csv": {}},
        }
    },
)
async def export_conversations(
    request: Request,
    session: Session,
    _caller: Caller,
    flt: Filters,
    format: export.Format = "jsonl",
) -> StreamingResponse:
    """Every matching conversation, newest first, streamed page by page."""
    total = await export.count(session, flt)

    # The request's session closes when this handler returns: the stream reads with its own.
    async def body() -> AsyncIterator[str]:
        async for chunk, _count in export.stream(request.app.state.sessions, flt, format):
            yield chunk

    return StreamingResponse(
        body(),
        media_type=export.MEDIA_TYPES[format],
        headers={
            "Content-Disposition": f'attachment; filename="conversations.{format}"',
            "X-Total-Count": str(total),
        },
    )


@router.get("/retention", response_model=list[retention.Policy])
async def list_retention(session: Session, _caller: Caller) -> list[retention.Policy]:
    """Retention policies: per agent, and `*` for every other conversation."""
    return await retention.list_policies(session)


@router.put("/retention", response_model=retention.Policy)
async def set_retention(
    wanted: retention.PolicyIn, session: Session, caller: Caller
) -> retention.Policy:
    """Create or replace one agent's policy (or the default, agent `*`)."""
    return await retention.set_policy(session, wanted, actor=caller)


@router.delete("/retention/{agent}", status_code=204)
async def remove_retention(agent: str, session: Session, caller: Caller) -> None:
    """Drop an agent's policy: the default applies to its conversations again."""
    await retention.remove_policy(session, agent, actor=caller)


@router.get("/{conversation}", response_model=ConversationDetail)
async def get_conversation(
    conversation: str, session: Session, _caller: Caller
) -> ConversationDetail:
    """One conversation with its transcript, by Parley id or by the provider's id."""
    return await service.show(session, conversation)


@router.delete("/{conversation}", response_model=deletion.Deleted)
async def delete_conversation(
    conversation: str, request: Request, session: Session, caller: Caller
) -> deletion.Deleted:
    """Delete on request: the record, transcript, labels, recording and raw webhook events."""
    data_dir = request.app.state.settings.data_dir
    return await deletion.delete_conversation(
        session, conversation, data_dir=data_dir, actor=caller
    )


@router.get(
    "/{conversation}/audio",
    response_class=FileResponse,
    responses={
        200: {
            "description": "The recording (ElevenLabs: mp3, Ultravox: wav), from Parley's copy or "
            "fetched from the provider and kept; `X-Audio-Source` says which (`cache`, "
            "`provider`). Byte ranges are supported.",
            "content": {"audio/mpeg": {}, "audio/wav": {}},
        },
        404: {"description": "No such conversation, or no recording (`audio_not_found`)."},
    },
)
async def get_audio(
    conversation: str, request: Request, session: Session, _caller: Caller
) -> FileResponse:
    """The conversation's recording, fetched from the provider on first request."""
    found = await audio.get_audio(session, conversation, settings=request.app.state.settings)
    return FileResponse(
        found.path,
        media_type=found.media_type,
        filename=found.path.name,
        headers={"X-Audio-Source": "provider" if found.fetched else "cache"},
    )
