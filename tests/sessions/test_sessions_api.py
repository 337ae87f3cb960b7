"""`POST /api/v1/sessions`: the URL it answers is joined over WebSocket, the conversation runs
on the routed version, and the stored conversation is attributed to its start."""

from __future__ import annotations

import json
from typing import Any

import pytest
from sqlalchemy import select
from websockets.asyncio.client import connect

from parley.conversations import service as conversations
from parley.conversations.callers import hash_key
from parley.db.engine import session_scope
from parley.models import ConversationStart, ProviderAgent
from parley.sessions import routing
from tests.sessions.conftest import Live

COACH = "coaching-agent"
SALES = "etf-sales-specialist"


async def _starts(live: Live) -> list[ConversationStart]:
    async with session_scope(live.sessions) as session:
        return list((await session.scalars(select(ConversationStart))).all())


async def _binding(live: Live, agent: str, target: str) -> ProviderAgent:
    async with session_scope(live.sessions) as session:
        rows = (
            await session.scalars(select(ProviderAgent).where(ProviderAgent.target == target))
        ).all()
        from parley.sessions.repository import StartRepository

        found = await StartRepository(session).agent_by_name(agent)
        assert found is not None
        return next(r for r in rows if r.agent_id == found.id and r.live)


async def _talk_elevenlabs(url: str, client_data: dict[str, Any]) -> str:
    async with connect(url) as ws:
        await ws.send(json.dumps({"type": "conversation_initiation_client_data", **client_data}))
        first = json.loads(await ws.recv())
        assert first["type"] == "conversation_initiation_metadata"
        cid = first["conversation_initiation_metadata_event"]["conversation_id"]
        await ws.send(json.dumps({"type": "user_message", "text": "Hello there"}))
        while True:
            event = json.loads(await ws.recv())
            if event["type"] == "agent_response":
                break
    return str(cid)


async def _store(live: Live, target: str, conversation_id: str) -> Any:
    record = await live.providers.get(target).get_conversation(conversation_id)
    async with session_scope(live.sessions) as session:
        row, _ = await conversations.store(session, record, caller_key=hash_key(live.settings))
        return row


async def test_elevenlabs_session_runs_on_the_routed_version(live: Live) -> None:
    answer = await live.client.post(
        "/api/v1/sessions",
        json={
            "agent": COACH,
            "target": "elevenlabs",
            "user_id": "user-42",
            "variables": {"user_name": "Ada"},
        },
    )
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert (body["agent"], body["version"], body["target"]) == (COACH, 1, "elevenlabs")
    assert body["join_url"].startswith("ws://")
    variables = body["client_data"]["dynamic_variables"]
    assert variables["user_name"] == "Ada"
    assert variables["session_number"] == 1  # declared default
    assert variables["secret__profile_api_token"] == "tok-CONFIGURED-77"
    assert variables["parley_start"] == body["start_id"]
    assert body["client_data"]["user_id"] == "user-42"

    cid = await _talk_elevenlabs(body["join_url"], body["client_data"])
    binding = await _binding(live, COACH, "elevenlabs")
    remote = await live.providers.get("elevenlabs").get_conversation(cid)
    assert remote.remote_version_id == binding.remote_version_id

    row = await _store(live, "elevenlabs", cid)
    assert (row.version_number, row.experiment, row.arm) == (1, None, None)
    assert "tok-CONFIGURED-77" not in json.dumps(row.raw)
    (start,) = await _starts(live)
    assert (start.kind, start.status, start.token) == ("session", "started", body["start_id"])
    assert start.remote_conversation_id == cid  # linked when the conversation was stored
    assert start.unit_kind == "user"
    assert start.unit_hash
    assert "user-42" not in start.unit_hash
    assert "profile_api_token" not in start.variables
    assert "tok-CONFIGURED-77" not in json.dumps(start.variables)


async def test_experiment_arm_from_choose_route_reaches_the_provider_and_the_record(
    live: Live, monkeypatch: pytest.MonkeyPatch
) -> None:
    async def arm_b(session: Any, agent: Any, *, unit: Any, target: Any) -> routing.Route:
        return routing.Route("ultravox", 1, experiment="greeting-test", arm="b")

    monkeypatch.setattr("parley.sessions.service.choose_route", arm_b)
    answer = await live.client.post(
        "/api/v1/sessions",
        json={"agent": SALES, "variables": {"advisor_name": "Ana", "crm_token": "crm-SECRET-9"}},
    )
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert (body["target"], body["experiment"], body["arm"]) == ("ultravox", "greeting-test", "b")
    assert body["client_data"] is None
    call_id = body["conversation_id"]
    async with connect(body["join_url"]) as ws:
        await ws.send(json.dumps({"type": "user_text_message", "text": "Hi"}))
        for _ in range(20):
            message = await ws.recv()
            if isinstance(message, str) and json.loads(message).get("role") == "agent":
                break
    call = await live.providers.get("ultravox").get_conversation(call_id)
    labels = call.metadata["labels"]
    assert labels["parley_experiment"] == "greeting-test"
    assert labels["parley_arm"] == "b"
    assert labels["parley_agent"] == SALES
    assert labels["parley_version"] == "1"
    # Ultravox does not echo templateContext; the greeting was rendered from it.
    assert any("Ana" in turn.text for turn in call.turns if turn.role == "agent")
    assert "crm-SECRET-9" not in json.dumps(call.raw)  # Ultravox cannot keep secrets: not sent
    row = await _store(live, "ultravox", call_id)
    assert (row.experiment, row.arm, row.version_number) == ("greeting-test", "b", 1)
    (start,) = await _starts(live)
    assert (start.experiment, start.arm, start.remote_conversation_id) == (
        "greeting-test",
        "b",
        call_id,
    )
    assert start.variables["advisor_name"] == "Ana"
    assert "crm_token" not in start.variables


async def test_variables_are_checked_before_anything_starts(live: Live) -> None:
    cases = [
        ({"agent": SALES, "target": "elevenlabs", "variables": {"nope": "x"}}, 422),
        ({"agent": SALES, "target": "elevenlabs", "variables": {"parley_start": "x"}}, 422),
        ({"agent": SALES, "target": "elevenlabs"}, 422),  # advisor_name is required
        ({"agent": SALES, "variables": {"advisor_name": "A", "crm_token": "t"}}, 422),  # 2 targets
        ({"agent": "ghost", "target": "elevenlabs"}, 404),
    ]
    for body, status in cases:
        answer = await live.client.post("/api/v1/sessions", json=body)
        assert answer.status_code == status, (body, answer.text)
    assert await _starts(live) == []


async def test_sessions_need_a_bearer_token(live: Live) -> None:
    answer = await live.client.post(
        "/api/v1/sessions", json={"agent": SALES}, headers={"Authorization": ""}
    )
    assert answer.status_code == 401
