"""`/api/v1/analytics`: one agent's conversations summarised per version, day or provider.

Without `since`, the range starts at midnight UTC `DEFAULT_DAYS` days before `until`'s day
(`until` defaults to now): whole UTC days, so the default answer comes from rollups alone, and
an unqualified request never reads an agent's whole history. Routes parse only.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Annotated

from fastapi import APIRouter, Query

from parley.analytics import service
from parley.analytics.schemas import AnalyticsReport, GroupBy
from parley.conversations.service import aware
from parley.db.base import utcnow
from parley.deps import Caller, Session

DEFAULT_DAYS = 30

router = APIRouter(prefix="/api/v1/analytics", tags=["analytics"])


def default_range(since: datetime | None, until: datetime | None) -> tuple[datetime, datetime]:
    """[since, until) with zones (UTC when none is given) and the defaults filled in."""
    end = aware(until) or utcnow()
    midnight = end.astimezone(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    start = aware(since) or midnight - timedelta(days=DEFAULT_DAYS)
    return start, end


@router.get("", response_model=AnalyticsReport)
async def analytics(
    session: Session,
    _caller: Caller,
    agent: Annotated[str, Query(description="Parley agent name.")],
    version: Annotated[int | None, Query(ge=1)] = None,
    provider: str | None = None,
    since: Annotated[
        datetime | None,
        Query(description=f"Started at or after (default: {DEFAULT_DAYS} days before until)."),
    ] = None,
    until: Annotated[datetime | None, Query(description="Started before (default: now).")] = None,
    group_by: GroupBy | None = None,
) -> AnalyticsReport:
    start, end = default_range(since, until)
    return await service.summarise(
        session,
        agent=agent,
        version=version,
        provider=provider,
        since=start,
        until=end,
        group_by=group_by,
    )
