"""Calls: from agents and direct, rendering, filters, messages, recording, time-outs, deletion."""

from __future__ import annotations

import io
import wave

import httpx

from parley.emulator.state import Emulator
from tests.emulator.ultravox import spec
from tests.emulator.ultravox.helpers import BASE, H, create_agent, get_call, start_agent_call


async def test_agent_call_renders_the_template(client: httpx.AsyncClient) -> None:
    agent = await create_agent(
        client,
        systemPrompt="You help {{customer.name}} with {{topic}}.",
        voice="Jessica",
        joinTimeout="20s",
        timeExceededMessage="Sorry {{customer.name}}, time is up.",
    )
    call = await start_agent_call(
        client,
        agent["agentId"],
        templateContext={"customer": {"name": "Ada"}, "topic": "ETFs"},
        metadata={"cp_version": "v3", "cp_arm": "b"},
        maxDuration="300s",
    )
    assert call["systemPrompt"] == "You help Ada with ETFs."
    assert call["timeExceededMessage"] == "Sorry Ada, time is up."
    assert call["metadata"] == {"cp_version": "v3", "cp_arm": "b"}
    assert call["agent"] == {"agentId": agent["agentId"], "name": "support"}
    assert (call["joinTimeout"], call["maxDuration"]) == ("20s", "300s")
    assert call["joinUrl"] == f"ws://emulator.test/ultravox/calls/{call['callId']}/join"
    assert call["billingStatus"] == "BILLING_STATUS_PENDING"
    assert call["endReason"] is None
    assert call["joined"] is None
    assert call["firstSpeaker"] == "FIRST_SPEAKER_AGENT"
    assert await get_call(client, call["callId"]) == call
    again = await client.get(f"{BASE}/api/agents/{agent['agentId']}", headers=H)
    assert again.json()["statistics"]["calls"] == 1
    listed = await client.get(f"{BASE}/api/agents/{agent['agentId']}/calls", headers=H)
    spec.check(listed.json(), "/api/agents/{agent_id}/calls", "get", 200)
    assert [c["callId"] for c in listed.json()["results"]] == [call["callId"]]


async def test_agent_call_validation(client: httpx.AsyncClient) -> None:
    agent = await create_agent(
        client,
        systemPrompt="Hi {{name}}",
        contextSchema={"type": "object", "properties": {"name": {"type": "string"}},
                       "required": ["name"]},
    )  # fmt: skip
    url = f"{BASE}/api/agents/{agent['agentId']}/calls"
    missing = await client.post(url, json={}, headers=H)
    assert missing.status_code == 400
    assert "templateContext" in missing.json()
    wrong = await client.post(url, json={"templateContext": {"name": 3}}, headers=H)
    assert wrong.status_code == 400
    reserved = await client.post(
        url, json={"templateContext": {"name": "x"}, "metadata": {"ultravox.x": "1"}}, headers=H
    )
    assert reserved.status_code == 400
    assert "metadata" in reserved.json()
    not_str = await client.post(
        url, json={"templateContext": {"name": "x"}, "metadata": {"n": 1}}, headers=H
    )
    assert not_str.status_code == 400
    nowhere = await client.post(
        f"{BASE}/api/agents/00000000-0000-4000-8000-000000000000/calls", json={}, headers=H
    )
    assert (nowhere.status_code, nowhere.json()) == (404, {"detail": "Not found."})


async def test_tool_overrides_remove_then_add(client: httpx.AsyncClient, emu: Emulator) -> None:
    client_tool = {"temporaryTool": {"modelToolName": "lookup", "client": {}}}
    agent = await create_agent(client, selectedTools=[client_tool, {"toolName": "hangUp"}])
    call = await start_agent_call(
        client,
        agent["agentId"],
        toolOverrides={"remove": ["lookup"], "add": [{"temporaryTool": {
            "modelToolName": "book", "client": {}}}]},
    )  # fmt: skip
    stored = emu.state("ultravox").calls[call["callId"]]
    names = [t.get("toolName") or t["temporaryTool"]["modelToolName"]
             for t in stored.config["selectedTools"]]  # fmt: skip
    assert names == ["hangUp", "book"]
    duplicate = await client.post(
        f"{BASE}/api/calls",
        json={"selectedTools": [{"toolName": "hangUp"}, {"toolName": "hangUp"}]},
        headers=H,
    )
    assert duplicate.status_code == 400
    assert "selectedTools" in duplicate.json()


async def test_direct_call_and_prior_call(client: httpx.AsyncClient, emu: Emulator) -> None:
    body = {
        "systemPrompt": "Be brief.",
        "firstSpeaker": "FIRST_SPEAKER_USER",
        "medium": {"serverWebSocket": {"inputSampleRate": 16000}},
        "initialMessages": [{"role": "MESSAGE_ROLE_USER", "text": "earlier"}],
        "metadata": {"k": "v"},
        "initialState": {"step": 1},
        "sharedSecrets": ["x" * 16],
    }
    created = await client.post(f"{BASE}/api/calls", json=body, headers=H)
    assert created.status_code == 201, created.text
    call = created.json()
    spec.check(call, "/api/calls", "post", 201)
    assert call["agentId"] is None
    assert call["agent"] is None
    assert call["firstSpeaker"] == "FIRST_SPEAKER_USER"
    assert call["initialState"] == {"step": 1}
    assert "sharedSecrets" not in call
    clash = await client.post(
        f"{BASE}/api/calls", json={"firstSpeaker": "FIRST_SPEAKER_USER",
                                   "firstSpeakerSettings": {"agent": {}}}, headers=H,
    )  # fmt: skip
    assert clash.status_code == 400
    two_media = await client.post(
        f"{BASE}/api/calls", json={"medium": {"webRtc": {}, "twilio": {}}}, headers=H
    )
    assert two_media.status_code == 400
    assert "medium" in two_media.json()
    sip = await client.post(
        f"{BASE}/api/calls", json={"medium": {"sip": {"outgoing": {"to": "sip:a@b"}}}}, headers=H
    )
    assert sip.json()["joinUrl"] is None
    prior = await client.post(
        f"{BASE}/api/calls", params={"priorCallId": call["callId"]}, json={}, headers=H
    )
    assert prior.status_code == 201
    assert prior.json()["systemPrompt"] == "Be brief."
    messages = await client.get(f"{BASE}/api/calls/{prior.json()['callId']}/messages", headers=H)
    assert [m["text"] for m in messages.json()["results"]] == ["earlier"]
    both = await client.post(
        f"{BASE}/api/calls", params={"priorCallId": call["callId"]},
        json={"initialMessages": []}, headers=H,
    )  # fmt: skip
    assert both.status_code == 400


async def test_unjoined_calls_end_at_join_timeout(
    client: httpx.AsyncClient, emu: Emulator, receiver: object
) -> None:
    agent = await create_agent(client, joinTimeout="30s")
    call = await start_agent_call(client, agent["agentId"])
    await client.post("/_emulator/advance", json={"seconds": 29})
    assert (await get_call(client, call["callId"]))["ended"] is None
    await client.post("/_emulator/advance", json={"seconds": 2})
    ended = await get_call(client, call["callId"])
    assert ended["endReason"] == "unjoined"
    assert ended["billedDuration"] == "0s"
    assert ended["billingStatus"] == "BILLING_STATUS_FREE_ZERO_EFFECTIVE_DURATION"
    assert ended["summary"] is None
    gone = await client.post(
        "/_emulator/advance", json={"end_calls": {"ultravox": [call["callId"]]}}
    )
    assert gone.status_code == 404  # no longer live


async def test_list_filters(client: httpx.AsyncClient, emu: Emulator) -> None:
    one = await create_agent(client, name="one")
    two = await create_agent(client, name="two")
    a = await start_agent_call(client, one["agentId"], metadata={"arm": "a", "exp": "e1"})
    b = await start_agent_call(client, one["agentId"], metadata={"arm": "b", "exp": "e1"})
    await client.post("/_emulator/advance", json={"seconds": 3600})
    c = await start_agent_call(client, two["agentId"], metadata={"arm": "a", "exp": "e2"})

    async def ids(**params: object) -> list[str]:
        page = await client.get(f"{BASE}/api/calls", params=params, headers=H)  # type: ignore[arg-type]
        assert page.status_code == 200, page.text
        spec.check(page.json(), "/api/calls", "get", 200)
        return [x["callId"] for x in page.json()["results"]]

    assert await ids() == [c["callId"], b["callId"], a["callId"]]
    assert await ids(**{"metadata.arm": "a"}) == [c["callId"], a["callId"]]
    assert await ids(**{"metadata.arm": "a", "metadata.exp": "e1"}) == [a["callId"]]
    assert await ids(agentIds=[two["agentId"]]) == [c["callId"]]
    assert len(await ids(agentIds=f"{one['agentId']},{two['agentId']}")) == 3
    assert await ids(fromDate=c["created"]) == [c["callId"]]
    assert await ids(toDate=b["created"]) == [b["callId"], a["callId"]]
    assert await ids(sort="created") == [a["callId"], b["callId"], c["callId"]]
    assert await ids(search="e2") == [c["callId"]]
    assert await ids(durationMin="1s") == []  # nobody joined
    page = await client.get(f"{BASE}/api/calls", params={"pageSize": 1, "metadata.exp": "e1"},
                            headers=H)  # fmt: skip
    follow = await client.get(page.json()["next"], headers=H)
    assert [x["callId"] for x in follow.json()["results"]] == [a["callId"]]
    assert follow.json()["next"] is None
    assert follow.json()["total"] == 2


async def test_recording_redirects_to_wav(client: httpx.AsyncClient) -> None:
    agent = await create_agent(client, recordingEnabled=True)
    done = await client.post(
        "/_emulator/simulate",
        json={"provider": "ultravox", "options": {"agent_id": agent["agentId"], "count": 1}},
    )
    call_id = done.json()["calls"][0]
    first = await client.get(f"{BASE}/api/calls/{call_id}/recording", headers=H)
    assert first.status_code == 302
    assert first.headers["location"].startswith("http://emulator.test/ultravox/storage/")
    wav = await client.get(first.headers["location"])  # no API key: a signed storage URL
    assert wav.status_code == 200
    assert wav.headers["content-type"] == "audio/wav"
    with wave.open(io.BytesIO(wav.content)) as reader:
        assert reader.getnframes() > 0
        assert reader.getframerate() == 8000
    followed = await client.get(
        f"{BASE}/api/calls/{call_id}/recording", headers=H, follow_redirects=True
    )
    assert followed.content == wav.content
    tampered = await client.get(first.headers["location"].replace("signature=", "signature=0"))
    assert tampered.status_code == 403
    quiet = await create_agent(client, name="quiet")
    live = await start_agent_call(client, quiet["agentId"])
    none = await client.get(f"{BASE}/api/calls/{live['callId']}/recording", headers=H)
    assert none.status_code == 404


async def test_delete_only_finished_calls(client: httpx.AsyncClient) -> None:
    agent = await create_agent(client)
    call = await start_agent_call(client, agent["agentId"])
    url = f"{BASE}/api/calls/{call['callId']}"
    assert (await client.delete(url, headers=H)).status_code == 400
    await client.post("/_emulator/advance", json={"end_calls": {"ultravox": [call["callId"]]}})
    assert (await client.delete(url, headers=H)).status_code == 204
    assert (await client.get(url, headers=H)).status_code == 404
