"""Webhooks: CRUD, signed deliveries (verified from the contract), rotation, retries, faults."""

from __future__ import annotations

import json
from typing import Any

import httpx

from parley.emulator.state import Emulator
from tests.emulator.conftest import Receiver
from tests.emulator.ultravox import spec
from tests.emulator.ultravox.helpers import (
    BASE,
    H,
    create_agent,
    emulator_now,
    start_agent_call,
    verify_signature,
)

HOOK_URL = "http://hooks.test/ultravox"


async def make_hook(client: httpx.AsyncClient, **body: Any) -> dict[str, Any]:
    payload = {"url": HOOK_URL, "events": ["call.ended", "call.billed"], **body}
    answer = await client.post(f"{BASE}/api/webhooks", json=payload, headers=H)
    assert answer.status_code == 201, answer.text
    spec.check(answer.json(), "/api/webhooks", "post", 201)
    result: dict[str, Any] = answer.json()
    return result


async def test_webhook_crud(client: httpx.AsyncClient) -> None:
    hook = await make_hook(client)
    assert hook["status"] == "normal"
    assert hook["recentFailures"] == []
    assert len(hook["secrets"]) == 1
    assert len(hook["secrets"][0]) >= 32
    url = f"{BASE}/api/webhooks/{hook['webhookId']}"
    got = await client.get(url, headers=H)
    spec.check(got.json(), "/api/webhooks/{webhook_id}", "get", 200)
    patched = await client.patch(url, json={"events": ["call.joined"]}, headers=H)
    spec.check(patched.json(), "/api/webhooks/{webhook_id}", "patch", 200)
    assert patched.json()["events"] == ["call.joined"]
    assert patched.json()["secrets"] == hook["secrets"]
    put = await client.put(
        url, json={"url": "https://x.test/h", "events": ["call.ended"], "secrets": ["a", "b"]},
        headers=H,
    )  # fmt: skip
    spec.check(put.json(), "/api/webhooks/{webhook_id}", "put", 200)
    assert put.json()["secrets"] == ["a", "b"]
    incomplete = await client.put(url, json={"events": ["call.ended"]}, headers=H)
    assert incomplete.status_code == 400
    assert incomplete.json() == {"url": ["This field is required."]}
    bad_event = await client.post(
        f"{BASE}/api/webhooks", json={"url": HOOK_URL, "events": ["call.nope"]}, headers=H
    )
    assert bad_event.status_code == 400
    assert "events.0" in bad_event.json()
    listed = await client.get(f"{BASE}/api/webhooks", headers=H)
    spec.check(listed.json(), "/api/webhooks", "get", 200)
    assert listed.json()["total"] == 1
    assert (await client.delete(url, headers=H)).status_code == 204
    assert (await client.get(url, headers=H)).status_code == 404


async def test_call_events_are_signed_and_verify(
    client: httpx.AsyncClient, emu: Emulator, receiver: Receiver
) -> None:
    hook = await make_hook(client, events=["call.started", "call.ended", "call.billed"])
    agent = await create_agent(client)
    call = await start_agent_call(client, agent["agentId"], metadata={"cp": "1"})
    await client.post("/_emulator/advance", json={"end_calls": {"ultravox": [call["callId"]]}})
    events = [json.loads(r["body"])["event"] for r in receiver.requests]
    assert events == ["call.started", "call.ended", "call.billed"]
    for request in receiver.requests:
        assert request["path"] == "/ultravox"
        assert verify_signature(request["body"], request["headers"], hook["secrets"][0],
                                emulator_now(emu))  # fmt: skip
        assert not verify_signature(request["body"] + b" ", request["headers"],
                                    hook["secrets"][0], emulator_now(emu))  # fmt: skip
        payload = json.loads(request["body"])
        assert set(payload) == {"event", "call"}
        spec.check_component(payload["call"], "Call")
        assert payload["call"]["metadata"] == {"cp": "1"}
    billed = json.loads(receiver.requests[-1]["body"])["call"]
    assert billed["endReason"] == "unjoined"
    assert billed["billingStatus"] == "BILLING_STATUS_FREE_ZERO_EFFECTIVE_DURATION"


async def test_rotation_signs_with_every_secret(
    client: httpx.AsyncClient, emu: Emulator, receiver: Receiver
) -> None:
    await make_hook(client, secrets=["old-secret", "new-secret"], events=["call.started"])
    agent = await create_agent(client)
    await start_agent_call(client, agent["agentId"])
    await client.post("/_emulator/webhooks/flush")
    request = receiver.requests[0]
    assert len(request["headers"]["x-ultravox-webhook-signature"].split(",")) == 2
    for secret in ("old-secret", "new-secret"):
        assert verify_signature(request["body"], request["headers"], secret, emulator_now(emu))
    assert not verify_signature(request["body"], request["headers"], "other", emulator_now(emu))
    await client.post("/_emulator/advance", json={"seconds": 120})
    assert not verify_signature(  # a replay two minutes later is stale
        request["body"], request["headers"], "old-secret", emulator_now(emu)
    )


async def test_agent_scoped_hooks_and_call_callbacks(
    client: httpx.AsyncClient, receiver: Receiver
) -> None:
    mine = await create_agent(client, name="mine")
    other = await create_agent(client, name="other")
    await make_hook(client, agentId=mine["agentId"], events=["call.started"])
    nobody = "00000000-0000-4000-8000-000000000000"
    bad = await client.post(
        f"{BASE}/api/webhooks",
        json={"url": HOOK_URL, "events": ["call.ended"], "agentId": nobody},
        headers=H,
    )
    assert bad.status_code == 400
    assert "agentId" in bad.json()
    await start_agent_call(client, other["agentId"])
    await start_agent_call(
        client, mine["agentId"],
        callbacks={"ended": {"url": "http://cb.test/ended", "secrets": ["cb-secret"]}},
    )  # fmt: skip
    await client.post("/_emulator/advance", json={"seconds": 31})  # both time out unjoined
    paths = [(r["path"], json.loads(r["body"])["event"]) for r in receiver.requests]
    assert paths == [("/ultravox", "call.started"), ("/ended", "call.ended")]
    scoped = await client.get(f"{BASE}/api/webhooks", params={"agentId": other["agentId"]},
                              headers=H)  # fmt: skip
    assert scoped.json()["total"] == 0


async def test_failed_deliveries_retry_then_mark_unhealthy(
    client: httpx.AsyncClient, emu: Emulator, receiver: Receiver
) -> None:
    hook = await make_hook(client, events=["call.started"])
    receiver.statuses = [500, 503]
    agent = await create_agent(client)
    await start_agent_call(client, agent["agentId"])
    await client.post("/_emulator/webhooks/flush")
    await client.post("/_emulator/advance", json={"seconds": 34})  # 30 s (+ up to 10%)
    await client.post("/_emulator/advance", json={"seconds": 67})  # then 60 s
    assert [r["body"] == receiver.requests[0]["body"] for r in receiver.requests] == [True] * 3
    stamps = [r["headers"]["x-ultravox-webhook-timestamp"] for r in receiver.requests]
    assert len(set(stamps)) == 3  # re-signed at each attempt
    state = (await client.get(f"{BASE}/api/webhooks/{hook['webhookId']}", headers=H)).json()
    assert state["status"] == "normal"
    assert [f["failure"] for f in state["recentFailures"]] == ["HTTP 500", "HTTP 503"]

    receiver.statuses = [500] * 11
    await start_agent_call(client, agent["agentId"])
    for _ in range(11):
        await client.post("/_emulator/advance", json={"seconds": 30 * 2**10})
    state = (await client.get(f"{BASE}/api/webhooks/{hook['webhookId']}", headers=H)).json()
    spec.check(state, "/api/webhooks/{webhook_id}", "get", 200)
    assert state["status"] == "unhealthy"
    assert state["lastStatusChange"] is not None
    deliveries = (await client.get("/_emulator/webhooks", params={"provider": "ultravox"})).json()
    assert len(deliveries[-1]["attempts"]) == 11  # first try + ten retries


async def test_dropped_call_ended_webhook(client: httpx.AsyncClient, receiver: Receiver) -> None:
    await make_hook(client)
    fault = await client.post(
        "/_emulator/faults", json={"kind": "drop_webhook", "path": "call.ended", "count": 1}
    )
    assert fault.status_code == 200
    agent = await create_agent(client)
    call = await start_agent_call(client, agent["agentId"])
    await client.post("/_emulator/advance", json={"end_calls": {"ultravox": [call["callId"]]}})
    assert [json.loads(r["body"])["event"] for r in receiver.requests] == ["call.billed"]
    log = (await client.get("/_emulator/webhooks", params={"provider": "ultravox"})).json()
    assert [(d["event"], d["status"]) for d in log] == [
        ("call.ended", "dropped"), ("call.billed", "delivered")
    ]  # fmt: skip
