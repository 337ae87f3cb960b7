"""`/api/v1/conversations`: search, export, retention and delete over the real app."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import httpx

from parley.conversations import service
from parley.db.engine import create_engine, session_factory, session_scope
from parley.models import Agent
from tests.api_client import api_client
from tests.conversations.records import elevenlabs_record


async def _seed(db_url: str) -> None:
    engine = create_engine(db_url)
    try:
        async with session_scope(session_factory(engine)) as session:
            session.add(Agent(name="seller", current_version=1))
            for i in range(1, 6):
                record = elevenlabs_record(i, verdict="success" if i % 2 else "failure")
                if i == 3:
                    record.summary = "The caller wants a refund."
                await service.store(session, record, caller_key=b"k")
    finally:
        await engine.dispose()


async def test_search_export_retention_delete(db_url: str, tmp_path: Path) -> None:
    await _seed(db_url)
    async with api_client(db_url, tmp_path) as client:
        found = await client.get("/api/v1/conversations", params={"search": 'refund" OR'})
        assert found.status_code == 200, found.text
        assert found.json()["items"] == []  # "or" is a word that must occur too
        found = await client.get(
            "/api/v1/conversations", params={"search": "REFUND", "successful": "true"}
        )
        assert [i["remote_id"] for i in found.json()["items"]] == ["conv_0003"]

        jsonl = await client.get("/api/v1/conversations/export", params={"format": "jsonl"})
        assert jsonl.status_code == 200, jsonl.text
        assert jsonl.headers["content-type"].startswith("application/x-ndjson")
        assert jsonl.headers["x-total-count"] == "5"
        lines = [json.loads(line) for line in jsonl.text.splitlines()]
        assert [r["remote_id"] for r in lines] == [f"conv_000{i}" for i in (5, 4, 3, 2, 1)]
        assert lines[0]["turns"]
        table = await client.get(
            "/api/v1/conversations/export", params={"format": "csv", "successful": "false"}
        )
        assert table.headers["content-type"].startswith("text/csv")
        rows = list(csv.DictReader(io.StringIO(table.text)))
        assert [r["remote_id"] for r in rows] == ["conv_0004", "conv_0002"]
        assert rows[0]["eval.meeting_booked"] == "failure"
        bad = await client.get("/api/v1/conversations/export", params={"format": "xml"})
        assert bad.status_code == 422

        put = await client.put(
            "/api/v1/conversations/retention",
            json={"agent": "*", "audio_days": 30, "conversation_days": 365},
        )
        assert put.status_code == 200, put.text
        assert put.json()["updated_by"] == "token:tests"
        unknown = await client.put("/api/v1/conversations/retention", json={"agent": "nobody"})
        assert unknown.status_code == 422
        invalid = await client.put(
            "/api/v1/conversations/retention", json={"agent": "seller", "audio_days": 0}
        )
        assert invalid.status_code == 422
        listed = await client.get("/api/v1/conversations/retention")
        assert [(p["agent"], p["audio_days"]) for p in listed.json()] == [("*", 30)]
        assert (await client.delete("/api/v1/conversations/retention/*")).status_code == 204
        assert (await client.get("/api/v1/conversations/retention")).json() == []

        deleted = await client.delete("/api/v1/conversations/conv_0003")
        assert deleted.status_code == 200, deleted.text
        assert deleted.json()["remote_id"] == "conv_0003"
        assert (await client.get("/api/v1/conversations/conv_0003")).status_code == 404
        assert (await client.delete("/api/v1/conversations/conv_0003")).status_code == 404

        anonymous = httpx.AsyncClient(transport=client._transport, base_url="http://parley.test")
        async with anonymous:
            for method, path in [
                ("GET", "/api/v1/conversations/export"),
                ("GET", "/api/v1/conversations/retention"),
                ("PUT", "/api/v1/conversations/retention"),
                ("DELETE", "/api/v1/conversations/conv_0001"),
            ]:
                denied = await anonymous.request(method, path, json={"agent": "*"})
                assert denied.status_code == 401, (method, path)
