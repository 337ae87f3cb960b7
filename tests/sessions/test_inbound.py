"""The inbound initiation webhook, called by the emulator while an inbound call rings.

Parley runs on a real port; the ElevenLabs agent (in the emulator) is configured to fetch its
client data from Parley with the shared-secret header. The caller's earlier conversation in
Parley's store personalises the call (the advisor's name collected last time).
"""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import yaml
from sqlalchemy import select

from parley.conversations.callers import caller_hash, hash_key
from parley.db.engine import create_engine, session_factory, session_scope
from parley.models import Agent, Conversation, ConversationStart
from tests.live_emulator import RunningEmulator
from tests.sessions.conftest import INITIATION_SECRET, Live, make_live, running_parley

SALES = "etf-sales-specialist"
CALLER = "+44 7700 900123"
SECRETS = '{"crm_token": "crm-CONFIGURED-5"}'
HEADER = "X-Parley-Initiation-Secret"


def _edits(examples: Path) -> dict[str, Any]:
    spec = yaml.safe_load((examples / f"{SALES}.yaml").read_text())
    providers = spec["providers"]
    providers["elevenlabs"]["platform_settings"]["overrides"] = {
        "enable_conversation_initiation_client_data_from_webhook": True
    }
    return {SALES: {"providers": providers}}


async def _seed_history(live: Live) -> None:
    """One earlier call from the caller, where the advisor's name was collected."""
    key = hash_key(live.settings)
    async with session_scope(live.sessions) as session:
        agent = await session.scalar(select(Agent).where(Agent.name == SALES))
        assert agent is not None
        session.add(
            Conversation(
                provider="elevenlabs",
                remote_id="conv_earlier",
                agent_id=agent.id,
                version_number=1,
                caller_hash=caller_hash("+447700900123", key),
                started_at=datetime(2026, 11, 1, 9, 30, tzinfo=UTC),
                status="done",
                summary="Asked about the NBGD fact sheet.",
                data_collection={"advisor_name": {"value": "Ana", "rationale": None}},
                normaliser_version=1,
            )
        )


async def _emu(live: Live, method: str, path: str, **kwargs: Any) -> Any:
    async with httpx.AsyncClient(base_url=live.emulator.url) as http:
        answer = await http.request(method, path, headers={"xi-api-key": "xi-sessions"}, **kwargs)
        answer.raise_for_status()
        return answer.json()


async def test_inbound_call_runs_with_parleys_variables(
    emulator: RunningEmulator, db_url: str, tmp_path: Path, examples: Path
) -> None:
    async for live in make_live(
        emulator, db_url, tmp_path, examples, edits=_edits(examples), secret_variables=SECRETS
    ):
        await _seed_history(live)
        remote_agent = live.remote[(SALES, "elevenlabs")]
        with running_parley(live.settings) as parley_url:
            await _emu(
                live, "PATCH", "/elevenlabs/v1/convai/settings",
                json={"conversation_initiation_client_data_webhook": {
                    "url": f"{parley_url}/webhooks/elevenlabs/conversation-initiation",
                    "request_headers": {HEADER: INITIATION_SECRET},
                }},
            )  # fmt: skip
            await _emu(
                live, "POST", "/elevenlabs/v1/convai/phone-numbers",
                json={"phone_number": "+15550199", "label": "inbound", "provider": "twilio",
                      "sid": "AC1", "token": "t", "agent_id": remote_agent},
            )  # fmt: skip
            rang = await live.emu_post(
                "/_emulator/simulate",
                {"provider": "elevenlabs", "options": {"inbound": {"caller_id": CALLER,
                                                                   "agent_id": remote_agent}}},
            )  # fmt: skip
            cid = rang["conversation_id"]
            conversation: dict[str, Any] = {}
            for _ in range(200):  # until the emulator's tick has asked Parley (no timing asserted)
                await live.emu_post("/_emulator/advance", {"seconds": 0})
                conversation = await _emu(live, "GET", f"/elevenlabs/v1/convai/conversations/{cid}")
                client = conversation.get("conversation_initiation_client_data") or {}
                if (client.get("dynamic_variables") or {}).get("parley_start"):
                    break
                await asyncio.sleep(0.02)
        variables = conversation["conversation_initiation_client_data"]["dynamic_variables"]
        assert variables["advisor_name"] == "Ana"  # from the caller's last conversation
        assert variables["firm_name"] == "an independent advisory firm"  # declared default
        assert "secret__crm_token" not in variables  # the provider never shows secrets
        assert conversation["status"] != "failed"
        async with session_scope(live.sessions) as session:
            (start,) = (await session.scalars(select(ConversationStart))).all()
        assert (start.kind, start.status, start.error) == ("inbound", "started", None)
        assert start.call_sid == rang["call_sid"]
        assert start.caller_masked == "+44••••••0123"
        assert start.token == variables["parley_start"]
        assert "crm-CONFIGURED-5" not in json.dumps(start.variables)


async def test_initiation_webhook_authentication(live: Live) -> None:
    body = {"caller_id": CALLER, "agent_id": live.remote[(SALES, "elevenlabs")], "call_sid": "CA1"}
    url = "/webhooks/elevenlabs/conversation-initiation"
    for headers in ({}, {HEADER: "wrong"}, {HEADER: INITIATION_SECRET[:-1]}):
        answer = await live.client.post(url, json=body, headers=headers)
        assert answer.status_code == 401, answer.text
    good = await live.client.post(url, json=body, headers={HEADER: INITIATION_SECRET})
    assert good.status_code == 200, good.text
    data = good.json()
    assert data["type"] == "conversation_initiation_client_data"
    assert "secret__crm_token" not in data["dynamic_variables"]  # not configured here
    unknown = await live.client.post(
        url, json={**body, "agent_id": "agent_unknown"}, headers={HEADER: INITIATION_SECRET}
    )
    assert unknown.status_code == 404
    garbage = await live.client.post(url, content=b"[1", headers={HEADER: INITIATION_SECRET})
    assert garbage.status_code == 400


async def test_initiation_webhook_refuses_everything_without_a_secret(
    emulator: RunningEmulator, db_url: str, tmp_path: Path, examples: Path
) -> None:
    async for live in make_live(
        emulator, db_url, tmp_path, examples, elevenlabs_initiation_secret=None
    ):
        answer = await live.client.post(
            "/webhooks/elevenlabs/conversation-initiation",
            json={"agent_id": live.remote[(SALES, "elevenlabs")]},
            headers={HEADER: ""},
        )
        assert answer.status_code == 401


async def test_missing_required_variable_is_recorded_not_fatal(live: Live) -> None:
    answer = await live.client.post(
        "/webhooks/elevenlabs/conversation-initiation",
        json={"caller_id": CALLER, "agent_id": live.remote[(SALES, "elevenlabs")]},
        headers={HEADER: INITIATION_SECRET},
    )
    assert answer.status_code == 200
    engine = create_engine(live.settings.resolved_database_url)
    try:
        async with session_scope(session_factory(engine)) as session:
            (start,) = (await session.scalars(select(ConversationStart))).all()
    finally:
        await engine.dispose()
    assert start.error is not None
    assert "advisor_name" in start.error  # names only: no secret is configured in `live`
    assert "crm_token" in start.error
