"""The joinUrl socket: data messages, the emulated agent, client tools, hang-ups and faults.

These tests are synchronous and talk to a live emulator (`live` fixture) with httpx and the
`websockets` client, following the joinUrl the API returns.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import httpx
import pytest
from websockets.exceptions import ConnectionClosed, InvalidStatus
from websockets.sync.client import ClientConnection, connect

from parley.emulator import audio
from tests.emulator.conftest import Receiver
from tests.emulator.ultravox import spec
from tests.emulator.ultravox.conftest import Live
from tests.emulator.ultravox.helpers import BASE, H

Message = dict[str, Any]
TIMEOUT = 5


@pytest.fixture
def tc(live: Live) -> httpx.Client:
    return live.http


def send(ws: ClientConnection, message: Message) -> None:
    ws.send(json.dumps(message))


def receive(ws: ClientConnection) -> Message:
    frame = ws.recv(timeout=TIMEOUT)
    assert isinstance(frame, str)
    message: Message = json.loads(frame)
    return message


def agent(tc: httpx.Client, **template: Any) -> str:
    answer = tc.post(f"{BASE}/api/agents", json={"name": "ws", "callTemplate": template}, headers=H)
    assert answer.status_code == 201, answer.text
    agent_id: str = answer.json()["agentId"]
    return agent_id


def start(tc: httpx.Client, agent_id: str, **body: Any) -> Message:
    answer = tc.post(f"{BASE}/api/agents/{agent_id}/calls", json=body, headers=H)
    assert answer.status_code == 201, answer.text
    call: Message = answer.json()
    return call


def until(ws: ClientConnection, done: Callable[[Message], bool]) -> list[Message]:
    """Collect frames until one satisfies `done`; binary frames appear as {"audio": n}."""
    seen: list[Message] = []
    while True:
        frame = ws.recv(timeout=TIMEOUT)
        message = {"audio": len(frame)} if isinstance(frame, bytes) else json.loads(frame)
        seen.append(message)
        if done(message):
            return seen


def listening(message: Message) -> bool:
    return message == {"type": "state", "state": "listening"}


def finals(messages: list[Message], role: str) -> list[str]:
    return [m["text"] for m in messages
            if m.get("type") == "transcript" and m["role"] == role and m["final"]]  # fmt: skip


def test_a_conversation_with_a_client_tool(tc: httpx.Client, receiver: Receiver) -> None:
    tc.post(f"{BASE}/api/webhooks", json={"url": "http://h.test/uv", "events": ["call.joined"]},
            headers=H)  # fmt: skip
    tool = {"temporaryTool": {"modelToolName": "lookup", "client": {}}}
    agent_id = agent(
        tc, systemPrompt="Help {{name}}", selectedTools=[tool],
        firstSpeakerSettings={"agent": {"text": "Hi {{name}}!"}},
    )  # fmt: skip
    call = start(tc, agent_id, templateContext={"name": "Ada"})
    with connect(call["joinUrl"] + "?apiVersion=1&clientVersion=python_0.1.0") as ws:
        greeting = until(ws, listening)
        assert greeting[0] == {"type": "call_started", "callId": call["callId"]}
        assert greeting[1] == {"type": "state", "state": "speaking"}
        assert finals(greeting, "agent") == ["Hi Ada!"]
        pieces = [m for m in greeting if m.get("type") == "transcript"]
        assert "text" in pieces[0]
        assert "delta" in pieces[1]
        assert not pieces[1]["final"]
        assert len({m["ordinal"] for m in pieces}) == 1

        send(ws, {"type": "user_text_message", "text": "I like ETFs"})
        turn = until(ws, listening)
        assert finals(turn, "user") == ["I like ETFs"]
        assert turn[1] == {"type": "state", "state": "thinking"}
        assert "I like ETFs" in finals(turn, "agent")[0]

        send(ws, {"type": "ping", "timestamp": 12.5})
        assert until(ws, lambda m: m["type"] == "pong") == [{"type": "pong", "timestamp": 12.5}]

        send(ws, {"type": "user_text_message", "text": 'use tool lookup {"q": "fees"}'})
        asked = until(ws, lambda m: m["type"] == "client_tool_invocation")[-1]
        assert (asked["toolName"], asked["parameters"]) == ("lookup", {"q": "fees"})
        send(ws, {"type": "client_tool_result", "invocationId": asked["invocationId"],
                      "result": '{"fee": "0.2%"}'})  # fmt: skip
        answered = until(ws, listening)
        assert finals(answered, "agent") == ['lookup says: {"fee": "0.2%"}']

        send(ws, {"type": "user_text_message", "text": "ok, bye"})
        bye = until(ws, lambda m: m == {"type": "state", "state": "idle"})
        assert finals(bye, "agent") == ["Thank you for your time. Goodbye!"]
        with pytest.raises(ConnectionClosed):
            receive(ws)

    ended = tc.get(f"{BASE}/api/calls/{call['callId']}", headers=H).json()
    spec.check(ended, "/api/calls/{call_id}", "get", 200)
    assert ended["endReason"] == "agent_hangup"
    assert ended["clientVersion"] == "python_0.1.0"
    assert ended["joined"] is not None
    assert ended["billingStatus"] == "BILLING_STATUS_BILLED"
    assert ended["shortSummary"]
    assert ended["summary"]
    page = tc.get(f"{BASE}/api/calls/{call['callId']}/messages", headers=H).json()
    spec.check(page, "/api/calls/{call_id}/messages", "get", 200)
    roles = [m["role"].removeprefix("MESSAGE_ROLE_") for m in page["results"]]
    assert roles == ["AGENT", "USER", "AGENT", "USER", "AGENT", "TOOL_CALL", "TOOL_RESULT",
                     "AGENT", "USER", "AGENT"]  # fmt: skip
    tool_call, tool_result = page["results"][5], page["results"][6]
    assert tool_call["invocationId"] == tool_result["invocationId"] == asked["invocationId"]
    assert json.loads(tool_call["text"]) == {"q": "fees"}
    assert [m["callStageMessageIndex"] for m in page["results"]] == list(range(10))
    tc.post("/_emulator/webhooks/flush")
    joined = [json.loads(r["body"]) for r in receiver.requests]
    assert [j["event"] for j in joined] == ["call.joined"]
    assert joined[0]["call"]["joined"] is not None


def test_server_websocket_streams_audio_and_user_hangs_up(tc: httpx.Client) -> None:
    medium = {"serverWebSocket": {"inputSampleRate": 16000, "outputSampleRate": 8000}}
    call = start(tc, agent(tc), medium=medium)
    with connect(call["joinUrl"]) as ws:
        greeting = until(ws, listening)
        text = finals(greeting, "agent")[0]
        sent = sum(m["audio"] for m in greeting if "audio" in m)
        assert sent == len(audio.tone(audio.speech_duration(text), 8000))
        ws.send(b"\x00\x00" * 160)  # user audio is accepted (and ignored)
        send(ws, {"type": "set_output_medium", "medium": "text"})
        send(ws, {"type": "user_text_message", "text": "hello"})
        quiet = until(ws, listening)
        assert not any("audio" in m for m in quiet)
        assert finals(quiet, "agent")
        assert all(m["medium"] == "text" for m in quiet if m.get("role") == "agent")
        send(ws, {"type": "hang_up", "message": "See you"})
        until(ws, lambda m: m == {"type": "state", "state": "idle"})
    ended = tc.get(f"{BASE}/api/calls/{call['callId']}", headers=H).json()
    assert ended["endReason"] == "hangup"
    with pytest.raises(InvalidStatus):
        connect(call["joinUrl"]).close()


def test_disabled_data_messages_are_not_sent(tc: httpx.Client) -> None:
    medium = {"webRtc": {"dataMessages": {"transcript": False, "callStarted": False}}}
    call = start(tc, agent(tc), medium=medium)
    with connect(call["joinUrl"]) as ws:
        greeting = until(ws, listening)
        assert {m["type"] for m in greeting} == {"state"}


def test_calls_ended_elsewhere_close_the_socket(tc: httpx.Client) -> None:
    agent_id = agent(tc, maxDuration="60s", timeExceededMessage="Time is up.")
    first = start(tc, agent_id)
    with connect(first["joinUrl"]) as ws:
        until(ws, listening)
        ended = tc.post("/_emulator/advance", json={"end_calls": {"ultravox": [first["callId"]]}})
        assert ended.status_code == 200
        assert receive(ws) == {"type": "state", "state": "idle"}
        with pytest.raises(ConnectionClosed):
            receive(ws)
    assert tc.get(f"{BASE}/api/calls/{first['callId']}", headers=H).json()["endReason"] == (
        "agent_hangup"
    )
    second = start(tc, agent_id)
    with connect(second["joinUrl"]) as ws:
        until(ws, listening)
        tc.post("/_emulator/advance", json={"seconds": 61})
        assert receive(ws) == {"type": "state", "state": "idle"}
    timed_out = tc.get(f"{BASE}/api/calls/{second['callId']}", headers=H).json()
    assert timed_out["endReason"] == "timeout"
    texts = [
        m["text"]
        for m in tc.get(f"{BASE}/api/calls/{second['callId']}/messages", headers=H).json()[
            "results"
        ]
    ]
    assert texts[-1] == "Time is up."  # fmt: skip


def test_send_data_message_reaches_the_live_call(tc: httpx.Client) -> None:
    call = start(tc, agent(tc))
    url = f"{BASE}/api/calls/{call['callId']}/send_data_message"
    early = tc.post(url, json={"type": "user_text_message", "text": "hi"}, headers=H)
    assert (early.status_code, early.json()) == (422, {"detail": "Call is not active."})
    with connect(call["joinUrl"]) as ws:
        until(ws, listening)
        sent = tc.post(url, json={"type": "forced_agent_message", "content": "Quick note."},
                       headers=H)  # fmt: skip
        assert sent.status_code == 204
        assert finals(until(ws, listening), "agent") == ["Quick note."]
        tc.post(url, json={"type": "hang_up"}, headers=H)
        until(ws, lambda m: m == {"type": "state", "state": "idle"})
    assert tc.post(url, json={"type": "hang_up"}, headers=H).status_code == 422
    assert tc.post(url, json={}, headers=H).status_code == 400


def test_ws_close_fault_ends_with_a_connection_error(tc: httpx.Client) -> None:
    rule = {"kind": "ws_close", "path": "/ultravox/calls/*", "after_messages": 2,
            "close_code": 1011, "close_reason": "injected"}  # fmt: skip
    assert tc.post("/_emulator/faults", json=rule).status_code == 200
    call = start(tc, agent(tc))
    with connect(call["joinUrl"]) as ws:
        assert receive(ws)["type"] == "call_started"
        assert receive(ws)["type"] == "state"
        with pytest.raises(ConnectionClosed) as closed:
            receive(ws)
        assert closed.value.rcvd is not None
        assert closed.value.rcvd.code == 1011
    ended = tc.get(f"{BASE}/api/calls/{call['callId']}", headers=H).json()
    assert ended["endReason"] == "connection_error"
