"""`/_emulator/outcomes`: a known truth per agent version drives live phone calls' analysis."""

from __future__ import annotations

import httpx
from elevenlabs.client import AsyncElevenLabs

from tests.emulator.elevenlabs_telephony.conftest import Advance
from tests.emulator.elevenlabs_telephony.test_outbound import ADA


async def _calls(
    sdk: AsyncElevenLabs, agent_id: str, number: str, advance: Advance, count: int
) -> list[bool]:
    ids = []
    for i in range(count):
        placed = await sdk.conversational_ai.twilio.outbound_call(
            agent_id=agent_id,
            agent_phone_number_id=number,
            to_number=f"+151055{i:02d}123",
            conversation_initiation_client_data=ADA,
        )
        assert placed.conversation_id is not None
        ids.append(placed.conversation_id)
    await advance(3600)
    results = []
    for conversation_id in ids:
        done = await sdk.conversational_ai.conversations.get(conversation_id)
        assert done.status == "done"
        assert done.analysis is not None
        results.append(done.analysis.call_successful == "success")
    return results


async def test_rules_set_the_truth_of_live_calls(
    sdk: AsyncElevenLabs,
    client: httpx.AsyncClient,
    agent_id: str,
    twilio_number: str,
    advance: Advance,
) -> None:
    always = {"agent_id": agent_id, "model": {"p_success": 1.0}}
    assert (await client.post("/_emulator/outcomes", json=always)).status_code == 200
    assert all(await _calls(sdk, agent_id, twilio_number, advance, 6))

    agent = await sdk.conversational_ai.agents.get(agent_id)
    version = agent.version_id
    never = {"agent_id": agent_id, "version_id": version, "model": {"p_success": 0.0}}
    rules = (await client.post("/_emulator/outcomes", json=never)).json()
    assert len(rules) == 2
    assert not any(await _calls(sdk, agent_id, twilio_number, advance, 6))  # version wins

    other = {"agent_id": agent_id, "version_id": "not-this-one", "model": {"p_success": 0.0}}
    await client.post("/_emulator/outcomes", json=other)
    assert len((await client.get("/_emulator/outcomes")).json()) == 3
    assert (await client.delete("/_emulator/outcomes")).json() == {"removed": 3}
    bad = await client.post(
        "/_emulator/outcomes", json={"agent_id": agent_id, "provider": "ultravox"}
    )
    assert bad.status_code == 422
