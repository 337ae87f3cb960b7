"""Simulated inbound calls and the conversation-initiation webhook: the request the emulator sends
(body, literal and secret headers), merging the answer's variables, overrides and branch, the
override permission and the agent switch, and webhook failures ending the call with a verified
call_initiation_failure."""

from __future__ import annotations

from typing import Any

import httpx
from elevenlabs.client import AsyncElevenLabs
from elevenlabs.conversational_ai.phone_numbers.types import PhoneNumbersCreateRequestBody_Twilio
from elevenlabs.types import ConversationInitiationClientDataWebhook

from parley.emulator.state import Emulator
from tests.emulator.elevenlabs_telephony.conftest import (
    AGENT_NUMBER,
    INITIATION_URL,
    Advance,
    AnsweringReceiver,
    events,
    make_agent,
)

CALLER = "+15105550177"
ENABLED = {
    "overrides": {
        "enable_conversation_initiation_client_data_from_webhook": True,
        "conversation_config_override": {"agent": {"first_message": True}},
    }
}


async def ring(client: httpx.AsyncClient, **inbound: Any) -> dict[str, Any]:
    answer = await client.post(
        "/_emulator/simulate",
        json={"provider": "elevenlabs", "options": {"inbound": {"caller_id": CALLER, **inbound}}},
    )
    assert answer.status_code == 200, answer.text
    result: dict[str, Any] = answer.json()
    return result


async def number_for(sdk: AsyncElevenLabs, agent_id: str, number: str = AGENT_NUMBER) -> str:
    created = await sdk.conversational_ai.phone_numbers.create(
        request=PhoneNumbersCreateRequestBody_Twilio(
            phone_number=number, label="Inbound", sid="AC1", token="t", agent_id=agent_id
        )
    )
    return created.phone_number_id


async def workspace_hook(sdk: AsyncElevenLabs) -> None:
    stored = await sdk.conversational_ai.secrets.create(name="initiation", value="s3cret")
    await sdk.conversational_ai.settings.update(
        conversation_initiation_client_data_webhook=ConversationInitiationClientDataWebhook(
            url=INITIATION_URL,
            request_headers={"x-plain": "hello", "authorization": {"secret_id": stored.secret_id}},
        )
    )


async def test_webhook_personalises_the_inbound_call(
    sdk: AsyncElevenLabs,
    client: httpx.AsyncClient,
    receiver: AnsweringReceiver,
    advance: Advance,
) -> None:
    await workspace_hook(sdk)
    agent_id = await make_agent(sdk, **ENABLED)
    phone_number_id = await number_for(sdk, agent_id)
    receiver.answers["/initiation"] = (
        200,
        {
            "type": "conversation_initiation_client_data",
            "dynamic_variables": {"name": "Cleo", "tier": "gold"},
            "conversation_config_override": {"agent": {"first_message": "Hi {{name}}, welcome!"}},
            "user_id": "crm-42",
        },
    )
    rung = await ring(client, phone_number_id=phone_number_id)
    assert rung["agent_id"] == agent_id
    conversations = sdk.conversational_ai.conversations
    assert (await conversations.get(rung["conversation_id"])).status == "initiated"

    await advance(0)
    (request,) = [r for r in receiver.requests if r["path"] == "/initiation"]
    assert request["headers"]["x-plain"] == "hello"
    assert request["headers"]["authorization"] == "s3cret"
    assert receiver.bodies("/initiation") == [
        {
            "caller_id": CALLER,
            "agent_id": agent_id,
            "called_number": AGENT_NUMBER,
            "call_sid": rung["call_sid"],
        }
    ]
    await advance(3700)
    done = await conversations.get(rung["conversation_id"])
    assert done.status == "done"
    assert done.user_id == "crm-42"
    assert done.transcript[0].message == "Hi Cleo, welcome!"
    data = done.conversation_initiation_client_data
    assert data is not None
    assert data.dynamic_variables["tier"] == "gold"
    assert data.dynamic_variables["system__caller_id"] == CALLER
    assert data.dynamic_variables["system__called_number"] == AGENT_NUMBER
    call = done.metadata.phone_call
    assert call is not None
    assert (call.direction, call.external_number, call.agent_number) == (
        "inbound",
        CALLER,
        AGENT_NUMBER,
    )
    assert len(receiver.bodies("/initiation")) == 1  # asked once, however many ticks


async def test_agent_override_url_and_branch_choice(
    sdk: AsyncElevenLabs,
    client: httpx.AsyncClient,
    receiver: AnsweringReceiver,
    advance: Advance,
) -> None:
    own = {
        **ENABLED,
        "workspace_overrides": {
            "conversation_initiation_client_data_webhook": {
                "url": "http://hooks.test/agent-initiation",
                "request_headers": {},
            }
        },
    }
    agent_id = await make_agent(sdk, **own)
    agent = await sdk.conversational_ai.agents.get(agent_id)
    branch = await sdk.conversational_ai.agents.branches.create(
        agent_id, parent_version_id=agent.version_id, name="VIP", description="VIP callers"
    )
    await number_for(sdk, agent_id, "+14155550123")
    receiver.answers["/agent-initiation"] = (
        200,
        {"dynamic_variables": {"name": "Dee"}, "branch_id": branch.created_branch_id},
    )
    rung = await ring(client, called_number="+14155550123")
    await advance(3700)
    done = await sdk.conversational_ai.conversations.get(rung["conversation_id"])
    assert done.status == "done"
    assert done.branch_id == branch.created_branch_id
    assert done.transcript[0].message == "Hello Dee, this is Parley calling."


async def test_without_the_permission_no_webhook_is_called(
    sdk: AsyncElevenLabs,
    client: httpx.AsyncClient,
    receiver: AnsweringReceiver,
    advance: Advance,
) -> None:
    await workspace_hook(sdk)
    created = await sdk.conversational_ai.agents.create(
        name="Plain", conversation_config={"agent": {"first_message": "Hello caller."}}
    )
    await number_for(sdk, created.agent_id)
    rung = await ring(client, agent_id=created.agent_id)
    await advance(3700)
    assert receiver.bodies("/initiation") == []
    done = await sdk.conversational_ai.conversations.get(rung["conversation_id"])
    assert done.status == "done"
    assert done.transcript[0].message == "Hello caller."


async def _failure(
    sdk: AsyncElevenLabs,
    client: httpx.AsyncClient,
    receiver: AnsweringReceiver,
    advance: Advance,
    hook_secret: str,
) -> dict[str, Any]:
    agent_id = await make_agent(sdk, **ENABLED)
    await number_for(sdk, agent_id)
    rung = await ring(client, agent_id=agent_id)
    await advance(0)
    await advance(60)
    failed = await sdk.conversational_ai.conversations.get(rung["conversation_id"])
    assert failed.status == "failed"
    (event,) = events(sdk, receiver, hook_secret)
    assert event["type"] == "call_initiation_failure"
    data: dict[str, Any] = event["data"]
    assert data["conversation_id"] == rung["conversation_id"]
    assert data["failure_reason"] == "unknown"
    assert data["metadata"]["body"]["CallSid"] == rung["call_sid"]
    return data


async def test_webhook_error_fails_the_call(
    sdk: AsyncElevenLabs,
    client: httpx.AsyncClient,
    receiver: AnsweringReceiver,
    advance: Advance,
    hook_secret: str,
) -> None:
    await workspace_hook(sdk)
    receiver.answers["/initiation"] = (500, {"error": "down"})
    data = await _failure(sdk, client, receiver, advance, hook_secret)
    assert "answered 500" in data["metadata"]["body"]["error"]


async def test_webhook_timeout_fails_the_call(
    sdk: AsyncElevenLabs,
    client: httpx.AsyncClient,
    receiver: AnsweringReceiver,
    advance: Advance,
    hook_secret: str,
    emu: Emulator,
) -> None:
    await workspace_hook(sdk)
    emu.config.outgoing_timeout_s = 0.05
    receiver.stall_s["/initiation"] = 1.0
    data = await _failure(sdk, client, receiver, advance, hook_secret)
    assert "TimeoutError" in data["metadata"]["body"]["error"]


async def test_forbidden_override_or_missing_variable_fails_the_call(
    sdk: AsyncElevenLabs,
    client: httpx.AsyncClient,
    receiver: AnsweringReceiver,
    advance: Advance,
    hook_secret: str,
) -> None:
    await workspace_hook(sdk)
    receiver.answers["/initiation"] = (
        200,
        {
            "dynamic_variables": {"name": "Eve"},
            "conversation_config_override": {"tts": {"voice_id": "x"}},
        },
    )
    data = await _failure(sdk, client, receiver, advance, hook_secret)
    assert "tts.voice_id" in data["metadata"]["body"]["error"]


async def test_missing_variable_fails_the_call(
    sdk: AsyncElevenLabs,
    client: httpx.AsyncClient,
    receiver: AnsweringReceiver,
    advance: Advance,
    hook_secret: str,
) -> None:
    await workspace_hook(sdk)
    receiver.answers["/initiation"] = (200, {"dynamic_variables": {}})
    data = await _failure(sdk, client, receiver, advance, hook_secret)
    assert "name" in data["metadata"]["body"]["error"]


async def test_bad_inbound_options(client: httpx.AsyncClient, sdk: AsyncElevenLabs) -> None:
    no_target = await client.post(
        "/_emulator/simulate",
        json={"provider": "elevenlabs", "options": {"inbound": {"caller_id": CALLER}}},
    )
    assert no_target.status_code == 422
    unknown = await client.post(
        "/_emulator/simulate",
        json={
            "provider": "elevenlabs",
            "options": {"inbound": {"caller_id": CALLER, "phone_number_id": "phnum_x"}},
        },
    )
    assert unknown.status_code == 404
    created = await sdk.conversational_ai.phone_numbers.create(
        request=PhoneNumbersCreateRequestBody_Twilio(
            phone_number="+14155550188", label="Unassigned", sid="AC1", token="t"
        )
    )
    unassigned = await client.post(
        "/_emulator/simulate",
        json={
            "provider": "elevenlabs",
            "options": {
                "inbound": {"caller_id": CALLER, "phone_number_id": created.phone_number_id}
            },
        },
    )
    assert unassigned.status_code == 400
