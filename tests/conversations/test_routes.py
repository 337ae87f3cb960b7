"""`/api/v1/conversations` over the real app, on both databases."""

from __future__ import annotations

from pathlib import Path

import httpx

from parley.conversations import service
from parley.db.engine import create_engine, session_factory, session_scope
from tests.api_client import api_client
from tests.conversations.records import elevenlabs_record, ultravox_record


async def _seed(db_url: str) -> None:
    engine = create_engine(db_url)
    try:
        async with session_scope(session_factory(engine)) as session:
            for i in range(1, 6):
                record = elevenlabs_record(i, verdict="success" if i % 2 else "failure")
                await service.store(session, record, caller_key=b"k")
            await service.store(session, ultravox_record(1), caller_key=b"k")
    finally:
        await engine.dispose()


async def test_list_filter_page_and_show(db_url: str, tmp_path: Path) -> None:
    await _seed(db_url)
    async with api_client(db_url, tmp_path) as client:
        listed = await client.get("/api/v1/conversations")
        assert listed.status_code == 200, listed.text
        items = listed.json()["items"]
        assert len(items) == 6
        first = items[0]
        assert set(first) >= {"id", "provider", "remote_id", "agent", "version", "started_at"}
        assert "raw" not in first
        assert "caller_number" not in first

        wanted = {"provider": "elevenlabs", "successful": "true"}
        wanted["evaluation"] = "meeting_booked:success"
        wins = await client.get("/api/v1/conversations", params=wanted)
        assert [i["remote_id"] for i in wins.json()["items"]] == [
            "conv_0005",
            "conv_0003",
            "conv_0001",
        ]
        booked = await client.get("/api/v1/conversations", params={"data": "meeting_booked=true"})
        assert len(booked.json()["items"]) == 5

        page = await client.get("/api/v1/conversations", params={"limit": 4})
        rest = await client.get(
            "/api/v1/conversations", params={"cursor": page.json()["next_cursor"]}
        )
        ids = [i["id"] for i in page.json()["items"] + rest.json()["items"]]
        assert ids == [i["id"] for i in items]
        bad = await client.get("/api/v1/conversations", params={"cursor": "x!"})
        assert bad.json()["error"]["code"] == "invalid_input"

        shown = await client.get(f"/api/v1/conversations/{first['id']}")
        detail = shown.json()
        assert detail["id"] == first["id"]
        assert detail["turns"]
        assert {"role", "text", "offset_s", "tool_calls"} <= set(detail["turns"][0])
        by_remote = await client.get("/api/v1/conversations/conv_0002")
        assert by_remote.json()["successful"] is False
        missing = await client.get("/api/v1/conversations/nope")
        assert missing.status_code == 404

        anonymous = httpx.AsyncClient(transport=client._transport, base_url="http://parley.test")
        async with anonymous:
            denied = await anonymous.get("/api/v1/conversations")
        assert denied.status_code == 401
