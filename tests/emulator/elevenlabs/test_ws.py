"""The conversation WebSocket, driven by the official SDK's own `Conversation` client.

A real server (uvicorn in a thread) is needed because the SDK opens real sockets. Time-driven
behaviour (maximum duration, signed-URL expiry) is driven with `/_emulator/advance`.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from websockets.exceptions import ConnectionClosed
from websockets.sync.client import connect

from parley.emulator import audio
from tests.emulator.conftest import Receiver
from tests.emulator.elevenlabs.conftest import split
from tests.emulator.elevenlabs.live import (
    AudioInterface,
    Callbacks,
    ClientTools,
    Conversation,
    ConversationInitiationData,
    LiveServer,
    live_server,
)

EVENTS = [
    "conversation_initiation_metadata",
    "agent_response",
    "user_transcript",
    "audio",
    "interruption",
    "ping",
    "client_tool_call",
    "agent_tool_request",
    "agent_tool_response",
]
LONG_GREETING = (
    "Hello {{name}}, welcome to the emulated support line. I can help with plans, prices, "
    "bookings and anything else about your account today."
)


@pytest.fixture
def live(receiver: Receiver) -> Iterator[LiveServer]:
    with live_server(receiver) as server:
        yield server


def _agent(live: LiveServer, **config: Any) -> str:
    platform_settings = config.pop("platform_settings", None)
    conversation_config = {
        "agent": {"first_message": "Hi {{name}} {{secret__token}}", "prompt": {"prompt": "Help."}},
        "conversation": {"client_events": EVENTS},
        **config,
    }
    created = live.client.conversational_ai.agents.create(
        conversation_config=conversation_config, platform_settings=platform_settings, name="Live"
    )
    return created.agent_id


def _conversation(live: LiveServer, agent_id: str, calls: Callbacks, **extra: Any) -> Conversation:
    variables = extra.pop("dynamic_variables", {"name": "Ada", "secret__token": "tok_123"})
    config = ConversationInitiationData(
        dynamic_variables=variables,
        conversation_config_override=extra.pop("override", None),
    )
    return Conversation(
        live.client,
        agent_id,
        requires_auth=extra.pop("requires_auth", False),
        config=config,
        **calls.kwargs(),
        **extra,
    )


def test_text_conversation_with_a_client_tool(live: LiveServer) -> None:
    agent_id = _agent(
        live,
        agent={
            "first_message": "Hi {{name}} {{secret__token}}",
            "prompt": {
                "prompt": "Help {{name}}.",
                "tools": [
                    {"type": "client", "name": "show_offer", "description": "Show an offer",
                     "expects_response": True},
                ],
            },
        },
    )  # fmt: skip
    seen: list[dict[str, Any]] = []

    def show_offer(parameters: dict[str, Any]) -> str:
        seen.append(parameters)
        return "offer shown"

    tools = ClientTools()
    tools.register("show_offer", show_offer)
    calls = Callbacks()
    conversation = _conversation(live, agent_id, calls, client_tools=tools)
    conversation.start_session()
    assert calls.wait_responses(1) == ["Hi Ada {{secret__token}}"]  # secrets never reach text
    conversation.send_user_message('please show_offer {"plan": "pro"}')
    responses = calls.wait_responses(3)
    assert responses[1:] == ["One moment, I'll use show_offer.", "show_offer says: offer shown"]
    assert seen[0]["plan"] == "pro"
    conversation.send_user_message("Thanks, bye!")
    details = calls.wait_disconnect()
    assert (details.reason, details.close_code) == ("agent", 1000)
    conversation_id = conversation.wait_for_session_end()
    assert conversation_id is not None
    assert calls.transcripts == ['please show_offer {"plan": "pro"}', "Thanks, bye!"]

    record = live.client.conversational_ai.conversations.get(conversation_id)
    assert record.status == "done"
    assert record.analysis is not None
    assert record.analysis.call_successful == "success"
    tool_turn = record.transcript[2]
    assert tool_turn.tool_calls is not None
    assert tool_turn.tool_calls[0].tool_name == "show_offer"
    assert tool_turn.tool_results is not None
    assert tool_turn.tool_results[0].result_value == "offer shown"
    initiation = record.conversation_initiation_client_data
    assert initiation is not None
    assert initiation.dynamic_variables is not None
    assert "secret__token" not in initiation.dynamic_variables
    assert initiation.dynamic_variables["system__conversation_id"] == conversation_id
    assert record.metadata.text_only
    assert record.metadata.termination_reason == "end_call tool was called."


class FakeAudio(AudioInterface):
    """Records what the agent plays; lets the test speak through the SDK's input callback."""

    def __init__(self) -> None:
        self.speak: Callable[[bytes], None] | None = None
        self.ready = threading.Event()
        self.played: list[bytes] = []
        self.interruptions = 0

    def start(self, input_callback: Callable[[bytes], None]) -> None:
        self.speak = input_callback
        self.ready.set()

    def stop(self) -> None:
        self.speak = None

    def output(self, audio: bytes) -> None:
        self.played.append(audio)

    def interrupt(self) -> None:
        self.interruptions += 1


def test_audio_conversation_transcribes_and_interrupts(live: LiveServer) -> None:
    agent_id = _agent(
        live,
        agent={"first_message": LONG_GREETING, "prompt": {"prompt": "Help."}},
        tts={"agent_output_audio_format": "pcm_24000"},
    )
    calls = Callbacks()
    speaker = FakeAudio()
    conversation = _conversation(live, agent_id, calls, audio_interface=speaker)
    conversation.start_session()
    calls.wait_responses(1)
    assert speaker.ready.wait(5)
    greeting_audio = b"".join(speaker.played)
    assert len(greeting_audio) == len(
        audio.speech(LONG_GREETING.replace("{{name}}", "Ada"), "pcm_24000")
    )
    assert speaker.speak is not None
    speaker.speak(audio.tone(0.2, 16000))  # the user talks over the greeting...
    speaker.speak(bytes(3200))  # ...then falls silent, which ends the utterance
    calls.wait_responses(2)
    assert calls.transcripts == ["Hello, I would like some help with my account."]
    assert speaker.interruptions == 1
    conversation.end_session()
    conversation_id = conversation.wait_for_session_end()
    assert conversation_id is not None
    record = None
    for _ in range(200):  # the server notices the close a moment after the client
        record = live.client.conversational_ai.conversations.get(conversation_id)
        if record.status == "done":
            break
        threading.Event().wait(0.005)
    assert record is not None
    assert record.status == "done"
    assert record.transcript[0].interrupted
    assert record.has_user_audio
    assert record.metadata.termination_reason == "Client disconnected: 1000"


def test_overrides_need_permission(live: LiveServer) -> None:
    agent_id = _agent(live)
    calls = Callbacks()
    _conversation(
        live, agent_id, calls, override={"agent": {"prompt": {"prompt": "x"}}}
    ).start_session()
    details = calls.wait_disconnect()
    assert details.close_code == 1008
    assert "agent.prompt.prompt" in (details.close_reason or "")

    allowed = _agent(
        live,
        platform_settings={
            "overrides": {"conversation_config_override": {"agent": {"first_message": True}}}
        },
    )
    calls = Callbacks()
    conversation = _conversation(
        live, allowed, calls, override={"agent": {"first_message": "Custom {{name}}"}}
    )
    conversation.start_session()
    assert calls.wait_responses(1) == ["Custom Ada"]
    conversation.end_session()
    conversation.wait_for_session_end()


def test_missing_dynamic_variables_close_with_1008(live: LiveServer) -> None:
    agent_id = _agent(live)
    calls = Callbacks()
    _conversation(live, agent_id, calls, dynamic_variables={"name": "Ada"}).start_session()
    details = calls.wait_disconnect()
    assert details.close_code == 1008
    assert "Missing required dynamic variables" in (details.close_reason or "")
    assert "secret__token" in (details.close_reason or "")


def test_private_agents_need_a_signed_url_that_expires(live: LiveServer) -> None:
    agent_id = _agent(live, platform_settings={"auth": {"enable_auth": True}})
    calls = Callbacks()
    _conversation(live, agent_id, calls).start_session()
    assert calls.wait_disconnect().close_code == 1008

    calls = Callbacks()
    conversation = _conversation(live, agent_id, calls, requires_auth=True)
    conversation.start_session()
    assert calls.wait_responses(1) == ["Hi Ada {{secret__token}}"]
    conversation.end_session()
    conversation.wait_for_session_end()

    signed = live.client.conversational_ai.conversations.get_signed_url(agent_id=agent_id)
    assert "conversation_signature=" in signed.signed_url
    live.control("advance", {"seconds": 15 * 60 + 1})
    # The signature is checked as the socket opens, before any initiation data.
    with connect(signed.signed_url) as ws, pytest.raises(ConnectionClosed) as closed:
        ws.recv(timeout=5)
    assert closed.value.rcvd is not None
    assert closed.value.rcvd.code == 1008

    token = live.client.conversational_ai.conversations.get_webrtc_token(agent_id=agent_id)
    assert token.conversation_id.startswith("conv_")


def test_max_duration_ends_the_conversation(live: LiveServer) -> None:
    agent_id = _agent(live, conversation={"client_events": EVENTS, "max_duration_seconds": 60})
    calls = Callbacks()
    conversation = _conversation(live, agent_id, calls)
    conversation.start_session()
    calls.wait_responses(1)
    live.control("advance", {"seconds": 61})
    details = calls.wait_disconnect()
    assert (details.close_code, details.close_reason) == (1000, "max_duration_exceeded")
    conversation_id = conversation.wait_for_session_end()
    assert conversation_id is not None
    record = live.client.conversational_ai.conversations.get(conversation_id)
    assert record.metadata.termination_reason == "Maximum duration exceeded"
    assert record.metadata.call_duration_secs >= 60


def test_ws_close_fault(live: LiveServer) -> None:
    agent_id = _agent(live)
    live.control(
        "faults",
        {"kind": "ws_close", "path": "/elevenlabs/v1/convai/conversation", "after_messages": 1,
         "close_code": 1011, "close_reason": "injected", "count": 1},
    )  # fmt: skip
    calls = Callbacks()
    conversation = _conversation(live, agent_id, calls)
    conversation.start_session()
    details = calls.wait_disconnect()
    assert (details.reason, details.close_code, details.close_reason) == ("error", 1011, "injected")
    assert calls.responses == []  # only the initiation metadata got through
    assert conversation.wait_for_session_end() is not None


def test_live_traffic_is_split_by_conversation_id(live: LiveServer) -> None:
    agents = live.client.conversational_ai.agents
    agent_id = _agent(live, agent={"first_message": "", "prompt": {"prompt": "Help."}})
    main = agents.get(agent_id)
    assert main.version_id is not None
    assert main.main_branch_id is not None
    branch = agents.branches.create(
        agent_id, parent_version_id=main.version_id, name="b", description="variant"
    )
    agents.deployments.create(
        agent_id,
        deployment_request=split({main.main_branch_id: 0.5, branch.created_branch_id: 0.5}),
    )
    url = f"{live.url.replace('http', 'ws')}/elevenlabs/v1/convai/conversation?agent_id={agent_id}"
    opened = []
    for _ in range(8):
        with connect(url) as ws:
            ws.send(json.dumps({"type": "conversation_initiation_client_data"}))
            first = json.loads(ws.recv(timeout=5))
            opened.append(first["conversation_initiation_metadata_event"]["conversation_id"])
    agent = live.emu.state("elevenlabs").agents[agent_id]
    for conversation_id in opened:
        record = live.client.conversational_ai.conversations.get(conversation_id)
        expected = agent.route(conversation_id)
        assert (record.branch_id, record.version_id) == (expected.branch_id, expected.id)
    assert len({agent.route(c).branch_id for c in opened}) == 2

    pinned = live.client.conversational_ai.conversations.get_signed_url(
        agent_id=agent_id, branch_id=branch.created_branch_id
    )
    with connect(pinned.signed_url) as ws:
        ws.send(json.dumps({"type": "conversation_initiation_client_data"}))
        first = json.loads(ws.recv(timeout=5))
    conversation_id = first["conversation_initiation_metadata_event"]["conversation_id"]
    record = live.client.conversational_ai.conversations.get(conversation_id)
    assert record.branch_id == branch.created_branch_id


def test_server_tools_are_called_over_http(live: LiveServer, receiver: Receiver) -> None:
    secret = live.client.conversational_ai.secrets.create(name="crm", value="Bearer s3cret")
    agent_id = _agent(
        live,
        agent={
            "first_message": "Hello.",
            "prompt": {
                "prompt": "Help.",
                "tools": [
                    {
                        "type": "webhook",
                        "name": "crm_lookup",
                        "description": "Find the customer",
                        "api_schema": {
                            "url": "http://crm.test/customers/{customer_id}",
                            "method": "POST",
                            "request_headers": {"Authorization": {"secret_id": secret.secret_id}},
                        },
                    }
                ],
            },
        },
    )
    calls = Callbacks()
    conversation = _conversation(live, agent_id, calls)
    conversation.start_session()
    calls.wait_responses(1)
    conversation.send_user_message('crm_lookup {"customer_id": "c7", "detail": "plan"}')
    assert calls.wait_responses(3)[2] == "crm_lookup says:"
    (request,) = receiver.requests
    assert request["path"] == "/customers/c7"
    assert json.loads(request["body"]) == {"detail": "plan"}
    assert request["headers"]["authorization"] == "Bearer s3cret"
    conversation.end_session()
    conversation_id = conversation.wait_for_session_end()
    assert conversation_id is not None
    record = live.client.conversational_ai.conversations.get(conversation_id)
    tool_calls = record.transcript[2].tool_calls
    assert tool_calls is not None
    assert tool_calls[0].type == "webhook"
    assert tool_calls[0].tool_details is not None
    assert "s3cret" not in record.model_dump_json()


def test_the_control_api_ends_a_live_call(live: LiveServer) -> None:
    agent_id = _agent(live, agent={"first_message": "", "prompt": {"prompt": "Help."}})
    url = f"{live.url.replace('http', 'ws')}/elevenlabs/v1/convai/conversation?agent_id={agent_id}"
    with connect(url) as ws:
        ws.send(json.dumps({"type": "conversation_initiation_client_data"}))
        first = json.loads(ws.recv(timeout=5))
        conversation_id = first["conversation_initiation_metadata_event"]["conversation_id"]
        ended = live.control("advance", {"end_calls": {"elevenlabs": [conversation_id]}})
        assert ended["ended"] == {"elevenlabs": [conversation_id]}
        with pytest.raises(ConnectionClosed) as closed:
            ws.recv(timeout=5)
    assert closed.value.rcvd is not None
    assert closed.value.rcvd.code == 1000
    record = live.client.conversational_ai.conversations.get(conversation_id)
    assert record.status == "done"
    assert record.metadata.termination_reason == "end_call tool was called."
