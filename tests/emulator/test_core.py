"""The emulator core: isolation, controls, faults, outgoing webhooks, persistence."""

from __future__ import annotations

import ast
import json
from pathlib import Path

import httpx

from parley.emulator.app import create_emulator_app
from parley.emulator.config import EmulatorConfig
from parley.emulator.elevenlabs.agent_models import create_agent
from parley.emulator.state import Emulator
from tests.conftest import REPO
from tests.emulator.conftest import EL_KEY, UV_KEY, Receiver

EMULATOR = REPO / "src" / "parley" / "emulator"


def test_the_emulator_imports_nothing_else_from_parley() -> None:
    offenders = []
    for path in EMULATOR.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = []
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                names = [node.module]
            for name in names:
                if name.startswith("parley") and not name.startswith("parley.emulator"):
                    offenders.append(f"{path.relative_to(REPO)}: {name}")
    assert offenders == []


async def test_http_faults_take_the_provider_shape(client: httpx.AsyncClient) -> None:
    rule = await client.post(
        "/_emulator/faults",
        json={"kind": "http_error", "path": "/elevenlabs/*", "status": 429, "retry_after": 3,
              "count": 1},
    )  # fmt: skip
    assert rule.json()["id"] == "fault_1"
    limited = await client.get("/elevenlabs/v1/convai/agents", headers={"xi-api-key": EL_KEY})
    assert limited.status_code == 429
    assert limited.headers["retry-after"] == "3"
    assert limited.json()["detail"]["status"] == "too_many_concurrent_requests"
    after = await client.get("/elevenlabs/v1/convai/agents", headers={"xi-api-key": EL_KEY})
    assert after.status_code != 429  # the rule was used up
    await client.post("/_emulator/faults", json={"kind": "http_error", "path": "/ultravox/*"})
    down = await client.get("/ultravox/api/agents", headers={"X-API-Key": UV_KEY})
    assert (down.status_code, down.json()) == (500, {"detail": "injected fault"})
    listed = (await client.get("/_emulator/faults")).json()
    assert [r["matched"] for r in listed] == [1, 1]
    assert (await client.delete("/_emulator/faults")).json() == {"removed": 2}


async def test_faults_match_by_rate_with_the_seed(emu: Emulator) -> None:
    from parley.emulator.faults import FaultRule

    emu.faults.add(FaultRule(kind="drop_webhook", path="*", rate=0.3))
    hits = sum(emu.faults.match("drop_webhook", "x") is not None for _ in range(2000))
    assert 500 < hits < 700


async def test_outbox_retries_on_schedule_and_signs_each_attempt(
    emu: Emulator, receiver: Receiver, client: httpx.AsyncClient
) -> None:
    receiver.statuses = [500, 429, 200]
    signed_at: list[float] = []

    def sign(body: bytes, now: float) -> dict[str, str]:
        signed_at.append(now)
        return {"x-sig": f"t={int(now)}"}

    delivery = emu.outbox.enqueue(
        provider="elevenlabs",
        event="post_call_transcription",
        url="http://hooks.test/el",
        body=b'{"a":1}',
        sign=sign,
        retry_schedule=[30, 120, 480, 1800],
    )
    await client.post("/_emulator/webhooks/flush")
    assert [a.status_code for a in delivery.attempts] == [500]
    await client.post("/_emulator/advance", json={"seconds": 10})
    assert len(delivery.attempts) == 1  # not due yet: 30 s (+ up to 10% jitter)
    await client.post("/_emulator/advance", json={"seconds": 24})
    assert [a.status_code for a in delivery.attempts] == [500, 429]
    await client.post("/_emulator/advance", json={"seconds": 133})
    assert delivery.status == "delivered"
    assert len(receiver.requests) == 3
    assert receiver.requests[0]["body"] == b'{"a":1}'
    assert receiver.requests[2]["headers"]["x-sig"] == f"t={int(signed_at[2])}"
    log = (await client.get("/_emulator/webhooks")).json()
    assert log[0]["status"] == "delivered"


async def test_non_retryable_failures_stop(emu: Emulator, receiver: Receiver) -> None:
    receiver.statuses = [400]
    delivery = emu.outbox.enqueue(
        provider="p", event="e", url="http://h/x", body=b"{}", retry_schedule=[30]
    )
    await emu.outbox.pump()
    assert delivery.status == "failed"


async def test_dropped_and_duplicated_webhooks(emu: Emulator, receiver: Receiver) -> None:
    from parley.emulator.faults import FaultRule

    emu.faults.add(FaultRule(kind="drop_webhook", path="call.ended", count=1))
    emu.faults.add(FaultRule(kind="duplicate_webhook", path="call.billed", count=1))
    dropped = emu.outbox.enqueue(provider="u", event="call.ended", url="http://h/a", body=b"{}")
    emu.outbox.enqueue(provider="u", event="call.billed", url="http://h/b", body=b"{}")
    await emu.outbox.pump()
    assert dropped.status == "dropped"
    assert [r["path"] for r in receiver.requests] == ["/b", "/b"]


async def test_reset_and_state(client: httpx.AsyncClient, emu: Emulator) -> None:
    emu.outbox.enqueue(provider="p", event="e", url="http://h/x", body=b"{}")
    await client.post("/_emulator/advance", json={"seconds": 60})
    assert emu.clock.offset == 60
    assert (await client.post("/_emulator/reset", json={"seed": 3})).json() == {"seed": 3}
    state = (await client.get("/_emulator/state")).json()
    assert (state["seed"], state["deliveries"]) == (3, 0)
    assert emu.clock.offset == 0
    unknown = await client.post("/_emulator/simulate", json={"provider": "nope"})
    assert unknown.status_code == 404


async def test_state_file_survives_a_restart(tmp_path: Path) -> None:
    path = tmp_path / "state.json"
    app = create_emulator_app(EmulatorConfig(seed=5, state_file=path))
    emu: Emulator = app.state.emu
    async with app.router.lifespan_context(app):
        # A typed record (agents are pydantic models), created as the API would create it.
        agent_id = create_agent(
            emu, name="kept", tags=[], conversation_config={}, platform_settings={}, workflow=None
        ).agent_id
        emu.clock.advance(100)
    saved = json.loads(path.read_text())["states"]["elevenlabs"]["agents"]
    assert saved[agent_id]["name"] == "kept"
    again = create_emulator_app(EmulatorConfig(seed=5, state_file=path))
    async with again.router.lifespan_context(again):
        restored: Emulator = again.state.emu
        assert restored.state("elevenlabs").agents[agent_id].name == "kept"
        assert restored.clock.offset == 100


def test_ids_are_provider_shaped_and_seeded() -> None:
    one = create_emulator_app(EmulatorConfig(seed=1)).state.emu
    two = create_emulator_app(EmulatorConfig(seed=1)).state.emu
    agent_id = one.ids.elevenlabs("agent")
    assert agent_id == two.ids.elevenlabs("agent")
    assert agent_id.startswith("agent_")
    assert len(agent_id) == len("agent_") + 28
    assert len(one.ids.uuid()) == 36


async def test_any_failure_is_retried_when_the_provider_says_so(
    emu: Emulator, receiver: Receiver
) -> None:
    receiver.statuses = [404]
    delivery = emu.outbox.enqueue(
        provider="p", event="e", url="http://h/x", body=b"{}", retry_schedule=[30],
        retry_any_failure=True,
    )  # fmt: skip
    await emu.outbox.pump()
    assert delivery.status == "pending"
    emu.clock.advance(40)
    await emu.outbox.pump()
    assert delivery.status == "delivered"


async def test_simulate_reports_a_provider_refusal_as_the_callers_error(
    client: httpx.AsyncClient,
) -> None:
    created = await client.post(
        "/ultravox/api/agents",
        headers={"X-API-Key": UV_KEY},
        json={
            "name": "needs_name",
            "callTemplate": {
                "systemPrompt": "Greet {{name}}.",
                "contextSchema": {"type": "object", "properties": {"name": {"type": "string"}},
                                  "required": ["name"]},
            },
        },
    )  # fmt: skip
    agent_id = created.json()["agentId"]
    answer = await client.post(
        "/_emulator/simulate",
        json={"provider": "ultravox", "options": {"agent_id": agent_id, "count": 1}},
    )
    assert answer.status_code == 400
    assert "name" in answer.json()["detail"]
