"""`/api/v1/analytics` over the real app, on both databases: auth, shape, grouping, errors."""

from __future__ import annotations

from pathlib import Path

import httpx

from tests.analytics.data import SINCE, UNTIL, seed_url
from tests.api_client import api_client


async def test_analytics_api(db_url: str, tmp_path: Path) -> None:
    await seed_url(db_url)
    async with api_client(db_url, tmp_path) as client:
        params = {"agent": "sales", "since": SINCE, "until": UNTIL, "group_by": "day"}
        answer = await client.get("/api/v1/analytics", params=params)
        assert answer.status_code == 200, answer.text
        body = answer.json()
        assert set(body) == {"agent", "version", "provider", "since", "until", "group_by", "groups"}
        assert body["group_by"] == "day"
        assert [(g["key"], g["conversations"]) for g in body["groups"]] == [
            ("2026-03-01", 3),
            ("2026-03-02", 2),
        ]
        assert set(body["groups"][0]) == {
            "key", "conversations", "successful", "failed", "success_rate", "duration_s",
            "latency_s", "costs", "termination_reasons", "tool_usage", "data_collection",
        }  # fmt: skip

        naive = {"agent": "sales", "since": "2026-03-01T00:00:00", "until": "2026-03-03T00:00:00"}
        overall = (await client.get("/api/v1/analytics", params=naive)).json()
        assert overall["since"] == "2026-03-01T00:00:00Z"
        assert [(g["key"], g["successful"], g["failed"]) for g in overall["groups"]] == [
            ("all", 2, 1)
        ]
        empty = await client.get(
            "/api/v1/analytics", params={**params, "since": "2020-01-01T00:00:00Z"}
        )
        assert empty.status_code == 200
        assert empty.json()["groups"][0]["key"] == "2026-03-01"
        nothing = await client.get(
            "/api/v1/analytics",
            params={"agent": "sales", "since": "2020-01-01T00:00:00Z", "until": "2020-02-01"},
        )
        assert nothing.json()["groups"] == []

        missing = await client.get("/api/v1/analytics", params={"agent": "nobody"})
        assert missing.status_code == 404
        assert missing.json()["error"]["code"] == "not_found"
        bad = await client.get("/api/v1/analytics", params={"agent": "sales", "group_by": "week"})
        assert bad.status_code == 422
        backwards = await client.get(
            "/api/v1/analytics", params={"agent": "sales", "since": UNTIL, "until": SINCE}
        )
        assert backwards.status_code == 422
        assert (await client.get("/api/v1/analytics")).status_code == 422

        anonymous = httpx.AsyncClient(transport=client._transport, base_url="http://parley.test")
        async with anonymous:
            denied = await anonymous.get("/api/v1/analytics", params={"agent": "sales"})
        assert denied.status_code == 401
