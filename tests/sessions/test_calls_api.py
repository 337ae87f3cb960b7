"""`POST /api/v1/calls`: outbound calls on both providers, recorded and attributed; provider
refusals answered as clear errors and recorded as failed starts."""

from __future__ import annotations

import json
from typing import Any

import httpx
from sqlalchemy import select

from parley.conversations import service as conversations
from parley.conversations.callers import hash_key
from parley.db.engine import session_scope
from parley.models import ConversationStart
from tests.sessions.conftest import Live

SALES = "etf-sales-specialist"
TO = "+44 20 7946 0958"
VARIABLES = {"advisor_name": "Ana", "crm_token": "crm-SECRET-9"}


async def _number(live: Live, **extra: Any) -> str:
    async with httpx.AsyncClient(base_url=f"{live.emulator.url}/elevenlabs") as http:
        made = await http.post(
            "/v1/convai/phone-numbers",
            headers={"xi-api-key": "xi-sessions"},
            json={
                "phone_number": "+15550100",
                "label": "sales line",
                "provider": "twilio",
                "sid": "AC123",
                "token": "twilio-token",
                **extra,
            },
        )
        made.raise_for_status()
        return str(made.json()["phone_number_id"])


async def _starts(live: Live) -> list[ConversationStart]:
    async with session_scope(live.sessions) as session:
        return list((await session.scalars(select(ConversationStart))).all())


async def test_elevenlabs_outbound_call(live: Live) -> None:
    line = await _number(live)
    answer = await live.client.post(
        "/api/v1/calls",
        json={
            "agent": SALES,
            "target": "elevenlabs",
            "to": TO,
            "line": line,
            "variables": VARIABLES,
        },
    )
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert body["conversation_id"]
    assert body["call_sid"]
    (start,) = await _starts(live)
    assert (start.kind, start.status, start.call_sid) == ("call", "started", body["call_sid"])
    assert start.remote_conversation_id == body["conversation_id"]
    assert start.unit_kind == "caller"
    assert start.caller_masked == "+44••••••0958"
    assert "2079460958" not in json.dumps([start.caller_hash, start.unit_hash, start.variables])
    assert "crm_token" not in start.variables
    record = await live.providers.get("elevenlabs").get_conversation(body["conversation_id"])
    assert record.dynamic_variables["parley_start"] == body["start_id"]
    assert record.dynamic_variables["advisor_name"] == "Ana"
    async with session_scope(live.sessions) as session:
        row, _ = await conversations.store(session, record, caller_key=hash_key(live.settings))
        assert (row.version_number, row.caller_hash) == (1, start.caller_hash)


async def test_ultravox_outbound_call_uses_an_outgoing_medium(live: Live) -> None:
    answer = await live.client.post(
        "/api/v1/calls",
        json={
            "agent": SALES,
            "target": "ultravox",
            "to": TO,
            "line": "+15550100",
            "via": "twilio",
            "variables": VARIABLES,
        },
    )
    assert answer.status_code == 200, answer.text
    body = answer.json()
    call = await live.providers.get("ultravox").get_conversation(body["conversation_id"])
    assert call.metadata["labels"]["parley_start"] == body["start_id"]
    assert call.direction == "outbound"


async def test_provider_refusals_are_clear_errors_and_recorded(live: Live) -> None:
    answer = await live.client.post(
        "/api/v1/calls",
        json={
            "agent": SALES,
            "target": "elevenlabs",
            "to": TO,
            "line": "phnum_missing",
            "variables": VARIABLES,
        },
    )
    assert answer.status_code == 404, answer.text
    error = answer.json()["error"]
    assert error["details"]["provider"] == "elevenlabs"
    assert error["details"]["start_id"].startswith("st_")
    bad_via = await live.client.post(
        "/api/v1/calls",
        json={
            "agent": SALES,
            "target": "ultravox",
            "to": TO,
            "line": "+15550100",
            "via": "sip_trunk",
            "variables": VARIABLES,
        },
    )
    assert bad_via.status_code == 422, bad_via.text
    not_a_number = await live.client.post(
        "/api/v1/calls",
        json={"agent": SALES, "target": "ultravox", "to": "hello", "line": "x"},
    )
    assert not_a_number.status_code == 422
    starts = await _starts(live)
    assert sorted(s.status for s in starts) == ["failed", "failed"]
    assert all(s.error and "crm-SECRET-9" not in s.error for s in starts)
