"""`/api/v1/conversations`: the stored conversations, filtered and paged. Routes parse only."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Query

from parley.conversations import service
from parley.conversations.repository import ConversationFilter
from parley.conversations.schemas import ConversationDetail, ConversationSummary, Page
from parley.deps import Caller, Session

router = APIRouter(prefix="/api/v1/conversations", tags=["conversations"])


@router.get("", response_model=Page[ConversationSummary])
async def list_conversations(
    session: Session,
    _caller: Caller,
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
    cursor: str | None = None,
    limit: Annotated[int, Query(ge=1, le=service.MAX_PAGE)] = 50,
) -> Page[ConversationSummary]:
    flt = ConversationFilter(
        agent=agent,
        version=version,
        provider=provider,
        started_after=service.aware(started_after),
        started_before=service.aware(started_before),
        successful=successful,
        user_id=user_id,
        labels=service.parse_label_filters(evaluation, data),
    )
    return await service.list_conversations(session, flt, cursor=cursor, limit=limit)


@router.get("/{conversation}", response_model=ConversationDetail)
async def get_conversation(
    conversation: str, session: Session, _caller: Caller
) -> ConversationDetail:
    """One conversation with its transcript, by Parley id or by the provider's id."""
    return await service.show(session, conversation)
