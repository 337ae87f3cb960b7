"""HTTP tools run by the emulated agent: real outgoing requests, parameters placed, auth, results.

The `receiver` fixture is swapped for a `ToolServer`, which plays the customer's tool server
behind the emulator's outgoing transport. Conversations are driven in-process (as the
simulator does), except for one test that goes through the joinUrl socket.
"""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest
from websockets.sync.client import connect

from parley.emulator.state import Emulator
from parley.emulator.ultravox import lifecycle
from parley.emulator.ultravox.conversation import Conversation
from tests.emulator.ultravox import spec
from tests.emulator.ultravox.conftest import Live
from tests.emulator.ultravox.helpers import BASE, H, create_agent, start_agent_call
from tests.emulator.ultravox.tool_server import ToolServer

ORDER_TOOL = {
    "description": "Look up an order.",
    "dynamicParameters": [
        {"name": "order_id", "location": "PARAMETER_LOCATION_PATH",
         "schema": {"type": "string"}, "required": True},
        {"name": "verbose", "location": "PARAMETER_LOCATION_QUERY", "schema": {"type": "boolean"}},
        {"name": "note", "location": "PARAMETER_LOCATION_BODY", "schema": {"type": "string"}},
        {"name": "X-Tenant", "location": "PARAMETER_LOCATION_HEADER",
         "schema": {"type": "string"}},
    ],
    "staticParameters": [{"name": "source", "location": "PARAMETER_LOCATION_BODY",
                          "value": "voice"}],
    "automaticParameters": [
        {"name": "call_id", "location": "PARAMETER_LOCATION_QUERY",
         "knownValue": "KNOWN_PARAM_CALL_ID"},
        {"name": "meta", "location": "PARAMETER_LOCATION_BODY",
         "knownValue": "KNOWN_PARAM_CALL_METADATA"},
    ],
    "requirements": {"httpSecurityOptions": {"options": [
        {"requirements": {"apiKey": {"queryApiKey": {"name": "key"}}}},
        {"requirements": {"token": {"httpAuth": {"scheme": "Bearer"}}}},
    ]}},
    "http": {"baseUrlPattern": "http://shop.test/orders/{order_id}", "httpMethod": "POST"},
}  # fmt: skip


@pytest.fixture
def receiver() -> ToolServer:
    return ToolServer()


async def joined(
    client: httpx.AsyncClient, emu: Emulator, agent_id: str, **body: Any
) -> Conversation:
    call = await start_agent_call(client, agent_id, **body)
    record = emu.state("ultravox").calls[call["callId"]]
    lifecycle.join(emu, record, "test")
    return Conversation(emu, record)


async def messages(client: httpx.AsyncClient, call_id: str) -> list[dict[str, Any]]:
    page = await client.get(f"{BASE}/api/calls/{call_id}/messages", headers=H)
    spec.check(page.json(), "/api/calls/{call_id}/messages", "get", 200)
    results: list[dict[str, Any]] = page.json()["results"]
    return results


def temporary(name: str, method: str = "GET", **extra: Any) -> dict[str, Any]:
    http = {"baseUrlPattern": f"http://tools.test/{name}", "httpMethod": method}
    return {"temporaryTool": {"modelToolName": name, "http": http, **extra}}


async def test_durable_http_tool_places_parameters_and_auth(
    client: httpx.AsyncClient, emu: Emulator, receiver: ToolServer
) -> None:
    made = await client.post(
        f"{BASE}/api/tools", json={"name": "lookupOrder", "definition": ORDER_TOOL}, headers=H
    )
    assert made.status_code == 201, made.text
    selected = {"toolId": made.json()["toolId"], "authTokens": {"token": "s3cret"},
                "parameterOverrides": {"X-Tenant": "acme"}}  # fmt: skip
    agent = await create_agent(client, selectedTools=[selected])
    talk = await joined(client, emu, agent["agentId"], metadata={"arm": "a"})
    receiver.replies.append((200, '{"status": "shipped"}', {}))

    args = {"order_id": "A-17", "verbose": True, "note": "hi"}
    await talk.user_text(f"use tool lookupOrder {json.dumps(args)}")

    [sent] = receiver.requests
    assert (sent["method"], sent["path"]) == ("POST", "/orders/A-17")
    assert sent["query"] == {"verbose": "true", "call_id": talk.call.call_id}
    assert sent["headers"]["authorization"] == "Bearer s3cret"  # the satisfied option
    assert sent["headers"]["x-tenant"] == "acme"  # parameterOverrides win
    assert json.loads(sent["body"]) == {"note": "hi", "source": "voice", "meta": {"arm": "a"}}
    history = await messages(client, talk.call.call_id)
    call_msg, result_msg, after = history[-3:]
    assert call_msg["role"] == "MESSAGE_ROLE_TOOL_CALL"
    assert (call_msg["toolName"], json.loads(call_msg["text"])) == ("lookupOrder", args)
    assert result_msg["role"] == "MESSAGE_ROLE_TOOL_RESULT"
    assert result_msg["invocationId"] == call_msg["invocationId"]
    assert result_msg["text"] == '{"status": "shipped"}'
    assert "errorDetails" not in result_msg
    assert after["text"] == 'lookupOrder says: {"status": "shipped"}'


async def test_failures_reactions_and_hang_up(
    client: httpx.AsyncClient, emu: Emulator, receiver: ToolServer
) -> None:
    required = [{"name": "q", "location": "PARAMETER_LOCATION_QUERY", "required": True}]
    agent = await create_agent(client, selectedTools=[
        temporary("status"),
        temporary("quiet", "POST", defaultReaction="AGENT_REACTION_LISTENS"),
        temporary("search", dynamicParameters=required),
        temporary("canned", staticResponse={"responseText": "Done."}),
        {**temporary("apiKeyed"), "authTokens": {"k": "abc"},
         "temporaryTool": {**temporary("apiKeyed")["temporaryTool"], "requirements": {
             "httpSecurityOptions": {"options": [
                 {"requirements": {}},
                 {"requirements": {"k": {"queryApiKey": {"name": "api_key"}}}}]}}}},
    ])  # fmt: skip
    talk = await joined(client, emu, agent["agentId"])
    hang_up = {"X-Ultravox-Response-Type": "hang-up"}
    receiver.replies += [(503, "Service down", {}), (200, "noted", {}), (200, "ok", {}),
                         (200, "raw", {}), (200, "Goodbye from the server", hang_up)]  # fmt: skip

    await talk.user_text("use tool status")
    result = (await messages(client, talk.call.call_id))[-2]
    assert (result["text"], result["errorDetails"]) == (
        "Service down", "HTTP 503 from http://tools.test/status",
    )  # fmt: skip
    assert (await messages(client, talk.call.call_id))[-1]["text"].startswith("Sorry, status")

    await talk.user_text("use tool quiet")
    assert (await messages(client, talk.call.call_id))[-1]["text"] == "noted"  # agent listens

    await talk.user_text("use tool search")  # a required parameter is missing: no request
    result = (await messages(client, talk.call.call_id))[-2]
    assert result["errorDetails"] == "Missing required parameters: q"
    assert len(receiver.requests) == 2

    await talk.user_text("use tool apiKeyed")  # the non-empty option is preferred
    assert receiver.requests[-1]["query"] == {"api_key": "abc"}

    await talk.user_text("use tool canned")  # still called, but the static text is the result
    assert receiver.requests[-1]["path"] == "/canned"
    assert (await messages(client, talk.call.call_id))[-2]["text"] == "Done."

    await talk.user_text("use tool status")
    assert talk.call.end_reason == "agent_hangup"
    assert (await messages(client, talk.call.call_id))[-2]["text"] == "Goodbye from the server"


def test_http_tool_over_the_join_url(live: Live, receiver: ToolServer) -> None:
    tc = live.http
    created = tc.post(
        f"{BASE}/api/agents",
        json={"callTemplate": {"selectedTools": [temporary("weather", "GET")]}},
        headers=H,
    )
    call = tc.post(f"{BASE}/api/agents/{created.json()['agentId']}/calls", json={}, headers=H)
    receiver.replies.append((200, "Sunny, 21 degrees", {}))
    with connect(call.json()["joinUrl"]) as ws:
        ws.send(
            json.dumps({"type": "user_text_message", "text": 'use tool weather {"city": "Oslo"}'})
        )
        finals: list[str] = []
        while "weather says: Sunny, 21 degrees" not in finals:
            message = json.loads(ws.recv(timeout=5))
            if message.get("type") == "transcript" and message.get("final"):
                finals.append(message["text"])
    assert receiver.requests[0]["method"] == "GET"
    assert receiver.requests[0]["query"] == {"city": "Oslo"}  # undeclared: query for GET
