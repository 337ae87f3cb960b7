"""`analytics.service.summarise` on both databases: figures per group.

Everything is exact except percentiles, which come from log-bucket histograms and are checked
to be within `sketch.RELATIVE_ERROR` of the exact nearest-rank values (`_near`)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from parley.analytics import service
from parley.analytics.schemas import AnalyticsReport, GroupBy
from parley.analytics.sketch import RELATIVE_ERROR
from parley.db.engine import session_scope
from parley.errors import InvalidInput, NotFound
from tests.analytics.data import SINCE, UNTIL, seed

Sessions = async_sessionmaker[AsyncSession]


@pytest.fixture
async def seeded(sessions: Sessions) -> Sessions:
    async with session_scope(sessions) as session:
        await seed(session)
    return sessions


async def _report(
    sessions: Sessions, group_by: GroupBy | None = None, **kw: Any
) -> AnalyticsReport:
    options: dict[str, Any] = {
        "since": datetime.fromisoformat(SINCE),
        "until": datetime.fromisoformat(UNTIL),
    }
    options.update(kw)
    async with session_scope(sessions) as session:
        return await service.summarise(session, agent="sales", group_by=group_by, **options)


def _dump(report: AnalyticsReport) -> dict[str | None, dict[str, Any]]:
    return {g.key: g.model_dump(mode="json") for g in report.groups}


def _near(count: int, *exact: float | None) -> Any:
    """Percentiles {count, p50, p90, p99} within the histogram's relative error of `exact`."""
    p50, p90, p99 = (None if v is None else pytest.approx(v, rel=RELATIVE_ERROR) for v in exact)
    return {"count": count, "p50": p50, "p90": p90, "p99": p99}


def test_percentiles_are_nearest_rank() -> None:
    assert service.percentile([], 50) is None
    assert service.percentile([4.0], 99) == 4.0
    values = [float(v) for v in range(1, 11)]
    assert [service.percentile(values, p) for p in (50, 90, 99)] == [5.0, 9.0, 10.0]


async def test_overall(seeded: Sessions) -> None:
    sessions = seeded
    report = await _report(sessions)
    assert [g.key for g in report.groups] == ["all"]
    group = report.groups[0]
    assert (group.conversations, group.successful, group.failed) == (5, 2, 1)
    assert group.success_rate == pytest.approx(2 / 3)
    assert group.duration_s.model_dump() == _near(4, 60.0, 120.0, 120.0)
    assert group.latency_s.count == 3
    assert group.latency_s.p50 == pytest.approx(0.4, rel=RELATIVE_ERROR)
    assert group.latency_s.p90 == pytest.approx(0.7, rel=RELATIVE_ERROR)
    assert [c.model_dump() for c in group.costs] == [
        {
            "unit": "credits",
            "conversations": 3,
            "successful": 2,
            "total": 60.0,
            "per_conversation": 20.0,
            "per_successful": 30.0,
        },
        {
            "unit": "seconds",
            "conversations": 1,
            "successful": 0,
            "total": 90.0,
            "per_conversation": 90.0,
            "per_successful": None,
        },
    ]
    assert group.termination_reasons == {"end_call": 2, "hangup": 2}
    assert group.tool_usage == {"book_meeting": 2, "lookup": 2}
    fields = {f.field: f.model_dump(exclude_none=True) for f in group.data_collection}
    assert fields == {
        "booked": {"field": "booked", "kind": "boolean", "count": 3, "true": 2, "false": 1},
        "interest": {
            "field": "interest",
            "kind": "string",
            "count": 3,
            "top": [{"value": "high", "count": 2}, {"value": "low", "count": 1}],
        },
        "score": {"field": "score", "kind": "number", "count": 2, "mean": 4.0},
    }


async def test_by_version(seeded: Sessions) -> None:
    sessions = seeded
    groups = _dump(await _report(sessions, "version"))
    assert list(groups) == ["1", "2", None]
    one, two, none = groups["1"], groups["2"], groups[None]
    assert (one["conversations"], one["successful"], one["failed"]) == (2, 1, 1)
    assert one["success_rate"] == 0.5
    assert one["duration_s"] == _near(2, 60.0, 120.0, 120.0)
    assert [(c["unit"], c["total"], c["per_successful"]) for c in one["costs"]] == [
        ("credits", 30.0, 30.0)
    ]
    assert one["tool_usage"] == {"book_meeting": 2, "lookup": 1}
    assert one["data_collection"][0] == {
        "field": "booked", "kind": "boolean", "count": 2, "true": 1, "false": 1,
        "mean": None, "top": None,
    }  # fmt: skip
    assert (two["conversations"], two["successful"], two["failed"]) == (2, 1, 0)
    assert two["success_rate"] == 1.0
    assert two["duration_s"] == _near(2, 30.0, 90.0, 90.0)
    assert two["latency_s"]["p50"] == pytest.approx(0.2, rel=RELATIVE_ERROR)
    assert [(c["unit"], c["per_conversation"]) for c in two["costs"]] == [
        ("credits", 30.0),
        ("seconds", 90.0),
    ]
    assert two["termination_reasons"] == {"end_call": 1, "hangup": 1}
    assert two["tool_usage"] == {"lookup": 1}
    assert none["conversations"] == 1
    assert none["success_rate"] is None
    assert none["duration_s"] == {"count": 0, "p50": None, "p90": None, "p99": None}
    assert none["latency_s"]["p50"] is None
    assert (none["costs"], none["tool_usage"], none["data_collection"]) == ([], {}, [])


async def test_by_day_buckets_in_utc(seeded: Sessions) -> None:
    sessions = seeded
    groups = _dump(await _report(sessions, "day"))
    assert list(groups) == ["2026-03-01", "2026-03-02"]
    first, second = groups["2026-03-01"], groups["2026-03-02"]
    assert (first["conversations"], first["successful"], first["failed"]) == (3, 1, 1)
    assert first["duration_s"]["p50"] == pytest.approx(60.0, rel=RELATIVE_ERROR)
    assert first["termination_reasons"] == {"end_call": 1, "hangup": 1}
    assert (second["conversations"], second["successful"], second["failed"]) == (2, 1, 0)
    assert second["duration_s"] == _near(2, 30.0, 90.0, 90.0)
    assert second["tool_usage"] == {"lookup": 1}


async def test_by_provider_and_filters(seeded: Sessions) -> None:
    sessions = seeded
    groups = _dump(await _report(sessions, "provider"))
    assert list(groups) == ["elevenlabs", "ultravox"]
    eleven, ultra = groups["elevenlabs"], groups["ultravox"]
    assert (eleven["conversations"], eleven["successful"], eleven["failed"]) == (3, 2, 1)
    assert eleven["costs"][0]["per_conversation"] == 20.0
    assert (ultra["conversations"], ultra["success_rate"]) == (2, None)
    assert [c["unit"] for c in ultra["costs"]] == ["seconds"]
    assert ultra["latency_s"]["count"] == 0

    async with session_scope(sessions) as session:
        only = await service.summarise(
            session,
            agent="sales",
            version=2,
            provider="ultravox",
            since=datetime.fromisoformat(SINCE),
            until=datetime.fromisoformat(UNTIL),
        )
        assert [(g.key, g.conversations, g.tool_usage) for g in only.groups] == [
            ("all", 1, {"lookup": 1})
        ]
        unbounded = await service.summarise(session, agent="sales", since=None, until=None)
        assert unbounded.groups[0].conversations == 6


async def test_empty_range_and_errors(seeded: Sessions) -> None:
    sessions = seeded
    group_bys: list[GroupBy | None] = [None, "version", "day", "provider"]
    for group_by in group_bys:
        empty = await _report(
            sessions,
            group_by,
            since=datetime.fromisoformat("2025-01-01T00:00:00Z"),
            until=datetime.fromisoformat("2025-01-02T00:00:00Z"),
        )
        assert empty.groups == []
    async with session_scope(sessions) as session:
        with pytest.raises(NotFound):
            await service.summarise(session, agent="nobody", since=None, until=None)
        start = datetime.fromisoformat(SINCE)
        with pytest.raises(InvalidInput):
            await service.summarise(session, agent="sales", since=start, until=start)
