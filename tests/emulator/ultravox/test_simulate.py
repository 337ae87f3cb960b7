"""Simulated traffic and persistence: finished calls with known outcomes, repeatable by seed."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import httpx

from parley.emulator.app import create_emulator_app
from parley.emulator.config import EmulatorConfig
from parley.emulator.state import Emulator
from tests.emulator.conftest import Receiver
from tests.emulator.ultravox import spec
from tests.emulator.ultravox.helpers import BASE, H, create_agent, get_call

OUTCOME = {"p_success": 0.5, "duration_s": {"kind": "constant", "value": 95}, "user_turns": 2}


async def simulate(client: httpx.AsyncClient, agent_id: str, **options: Any) -> dict[str, Any]:
    body = {"provider": "ultravox", "options": {"agent_id": agent_id, **options}}
    answer = await client.post("/_emulator/simulate", json=body)
    assert answer.status_code == 200, answer.text
    result: dict[str, Any] = answer.json()
    return result


async def test_simulated_calls_are_finished_and_billed(
    client: httpx.AsyncClient, receiver: Receiver
) -> None:
    await client.post(
        f"{BASE}/api/webhooks",
        json={"url": "http://h.test/uv",
              "events": ["call.started", "call.joined", "call.ended", "call.billed"]},
        headers=H,
    )  # fmt: skip
    agent = await create_agent(client, systemPrompt="Sell {{product}}")
    result = await simulate(
        client, agent["agentId"], count=4, outcome=OUTCOME,
        metadata={"cp_arm": "a"}, template_context={"product": "ETFs"},
    )  # fmt: skip
    assert len(result["calls"]) == 4
    for call_id in result["calls"]:
        call = await get_call(client, call_id)
        truth = result["outcomes"][call_id]
        assert call["systemPrompt"] == "Sell ETFs"
        assert call["metadata"] == {"cp_arm": "a"}
        assert call["billedDuration"] == "95s"
        assert call["billingStatus"] == "BILLING_STATUS_BILLED"
        assert call["endReason"] == ("agent_hangup" if truth["successful"] else "hangup")
        assert call["summary"]
        assert call["shortSummary"]
        page = (await client.get(f"{BASE}/api/calls/{call_id}/messages", headers=H)).json()
        spec.check(page, "/api/calls/{call_id}/messages", "get", 200)
        users = [m for m in page["results"] if m["role"] == "MESSAGE_ROLE_USER"]
        assert len(users) == 2 + truth["successful"]
        assert page["results"][-1]["wallClockTimespan"]["end"] <= "95s"
    outcomes = {o["successful"] for o in result["outcomes"].values()}
    assert outcomes == {True, False}  # seed 7 draws both
    await client.post("/_emulator/webhooks/flush")
    events = [json.loads(r["body"])["event"] for r in receiver.requests]
    assert events.count("call.billed") == 4
    assert events.count("call.joined") == 4
    listed = await client.get(f"{BASE}/api/calls", params={"durationMin": "90s"}, headers=H)
    assert listed.json()["total"] == 4


async def test_simulation_repeats_with_the_seed(client: httpx.AsyncClient, emu: Emulator) -> None:
    async def run() -> list[Any]:
        await client.post("/_emulator/reset", json={"seed": 11})
        agent = await create_agent(client)
        result = await simulate(client, agent["agentId"], count=3)
        texts = []
        for call_id in result["calls"]:
            page = await client.get(f"{BASE}/api/calls/{call_id}/messages", headers=H)
            texts.append([m["text"] for m in page.json()["results"]])
        return [result["calls"], result["outcomes"], texts]

    assert await run() == await run()
    missing = await client.post(
        "/_emulator/simulate", json={"provider": "ultravox", "options": {"agent_id": "nope"}}
    )
    assert missing.status_code == 404


async def test_state_survives_a_restart(tmp_path: Path) -> None:
    path = tmp_path / "state.json"
    app = create_emulator_app(EmulatorConfig(seed=5, state_file=path))
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://e.test") as client:
            agent = await create_agent(client)
            result = await simulate(client, agent["agentId"], count=1)
            before = await get_call(client, result["calls"][0])
    again = create_emulator_app(EmulatorConfig(seed=5, state_file=path))
    async with again.router.lifespan_context(again):
        transport = httpx.ASGITransport(app=again)
        async with httpx.AsyncClient(transport=transport, base_url="http://e.test") as client:
            assert await get_call(client, result["calls"][0]) == before
            agents = (await client.get(f"{BASE}/api/agents", headers=H)).json()
            assert [a["agentId"] for a in agents["results"]] == [agent["agentId"]]
