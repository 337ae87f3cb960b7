"""Single outbound calls through the official SDK: Twilio and SIP, the callee's answer by number,
ringing and talking on the emulator clock, post-call and call_initiation_failure webhooks verified
with the SDK's construct_event, refusals and number errors, branch pinning and hanging up."""

from __future__ import annotations

import pytest
from elevenlabs import SipTrunkOutboundCallResponse, TwilioOutboundCallResponse
from elevenlabs.client import AsyncElevenLabs
from elevenlabs.conversational_ai.phone_numbers.types import PhoneNumbersCreateRequestBody_Twilio
from elevenlabs.core.api_error import ApiError
from elevenlabs.types import (
    ConversationInitiationClientDataRequestInput,
    GetConversationResponseModel,
    TelephonyCallConfigInput,
)

from tests.emulator.elevenlabs_periphery.conftest import Wire
from tests.emulator.elevenlabs_telephony.conftest import (
    AGENT_NUMBER,
    Advance,
    AnsweringReceiver,
    events,
    make_agent,
)

ADA = ConversationInitiationClientDataRequestInput(dynamic_variables={"name": "Ada"})


async def test_twilio_call_rings_talks_and_reports(
    sdk: AsyncElevenLabs,
    wire: Wire,
    agent_id: str,
    twilio_number: str,
    hook_secret: str,
    receiver: AnsweringReceiver,
    advance: Advance,
) -> None:
    placed = await sdk.conversational_ai.twilio.outbound_call(
        agent_id=agent_id,
        agent_phone_number_id=twilio_number,
        to_number="+15105550123",
        conversation_initiation_client_data=ADA,
        call_recording_enabled=False,
    )
    wire.conforms(TwilioOutboundCallResponse)
    assert placed.success is True
    assert placed.conversation_id is not None
    assert placed.call_sid is not None
    assert placed.call_sid.startswith("CA")
    conversations = sdk.conversational_ai.conversations

    ringing = await conversations.get(placed.conversation_id)
    wire.conforms(GetConversationResponseModel)
    assert ringing.status == "initiated"
    call = ringing.metadata.phone_call
    assert call is not None
    assert (call.type, call.direction, call.call_sid) == ("twilio", "outbound", placed.call_sid)
    assert (call.agent_number, call.external_number) == (AGENT_NUMBER, "+15105550123")

    await advance(10)  # answered within 2-8 s of ringing
    talking = await conversations.get(placed.conversation_id)
    assert talking.status == "in-progress"
    assert talking.transcript == []
    assert not receiver.requests

    await advance(3600)
    done = await conversations.get(placed.conversation_id)
    wire.conforms(GetConversationResponseModel)
    assert done.status == "done"
    assert done.transcript[0].message == "Hello Ada, this is Parley calling."
    assert done.metadata.call_duration_secs > 0
    assert done.metadata.phone_call is not None
    assert done.metadata.phone_call.call_result == "answered"
    variables = done.conversation_initiation_client_data.dynamic_variables
    assert variables["name"] == "Ada"
    assert variables["system__called_number"] == "+15105550123"
    assert variables["system__caller_id"] == AGENT_NUMBER
    assert variables["system__call_sid"] == placed.call_sid
    listed = await conversations.list(agent_id=agent_id)
    assert listed.conversations[0].direction == "outbound"
    assert listed.conversations[0].conversation_initiation_source == "twilio"

    (event,) = events(sdk, receiver, hook_secret)
    assert event["type"] == "post_call_transcription"
    data = GetConversationResponseModel.model_validate(event["data"])
    assert data.conversation_id == placed.conversation_id
    assert data.status == "done"


async def test_sip_trunk_call(
    sdk: AsyncElevenLabs, wire: Wire, agent_id: str, sip_number: str, advance: Advance
) -> None:
    placed = await sdk.conversational_ai.sip_trunk.outbound_call(
        agent_id=agent_id,
        agent_phone_number_id=sip_number,
        to_number="+15105550124",
        conversation_initiation_client_data=ADA,
    )
    wire.conforms(SipTrunkOutboundCallResponse)
    assert placed.success is True
    assert placed.sip_call_id is not None
    assert placed.conversation_id is not None
    await advance(3700)
    done = await sdk.conversational_ai.conversations.get(placed.conversation_id)
    assert done.status == "done"
    call = done.metadata.phone_call
    assert call is not None
    assert call.type == "sip_trunking"
    assert call.call_id == placed.sip_call_id
    assert call.call_result == "answered"


@pytest.mark.parametrize(
    ("to_number", "reason", "seconds"),
    [
        ("+15105550002", "busy", 1),
        ("+15105550003", "no-answer", 25),
        ("+15105550005", "unknown", 1),
    ],
)
async def test_unanswered_calls_send_call_initiation_failure(
    sdk: AsyncElevenLabs,
    agent_id: str,
    twilio_number: str,
    hook_secret: str,
    receiver: AnsweringReceiver,
    advance: Advance,
    to_number: str,
    reason: str,
    seconds: int,
) -> None:
    placed = await sdk.conversational_ai.twilio.outbound_call(
        agent_id=agent_id,
        agent_phone_number_id=twilio_number,
        to_number=to_number,
        conversation_initiation_client_data=ADA,
        telephony_call_config=TelephonyCallConfigInput(ringing_timeout_secs=25),
    )
    assert placed.conversation_id is not None
    await advance(seconds - 0.5)
    assert not receiver.requests  # still ringing
    await advance(0.5)
    (event,) = events(sdk, receiver, hook_secret)
    assert event["type"] == "call_initiation_failure"
    data = event["data"]
    assert set(data) == {"agent_id", "conversation_id", "failure_reason", "metadata"}
    assert (data["agent_id"], data["conversation_id"]) == (agent_id, placed.conversation_id)
    assert data["failure_reason"] == reason
    assert data["metadata"]["type"] == "twilio"
    assert data["metadata"]["body"]["CallSid"] == placed.call_sid
    failed = await sdk.conversational_ai.conversations.get(placed.conversation_id)
    assert failed.status == "failed"
    assert failed.transcript == []


async def test_voicemail_is_a_short_conversation(
    sdk: AsyncElevenLabs, agent_id: str, twilio_number: str, advance: Advance
) -> None:
    placed = await sdk.conversational_ai.twilio.outbound_call(
        agent_id=agent_id,
        agent_phone_number_id=twilio_number,
        to_number="+15105550004",
        conversation_initiation_client_data=ADA,
    )
    assert placed.conversation_id is not None
    await advance(120)
    done = await sdk.conversational_ai.conversations.get(placed.conversation_id)
    assert done.status == "done"
    assert done.metadata.phone_call is not None
    assert done.metadata.phone_call.call_result == "voicemail"
    assert done.metadata.termination_reason == "Voicemail detected"
    assert [t.role for t in done.transcript] == ["agent"]
    assert done.analysis is not None
    assert done.analysis.call_successful == "failure"


async def test_refused_calls_say_why(
    sdk: AsyncElevenLabs, agent_id: str, twilio_number: str
) -> None:
    twilio = sdk.conversational_ai.twilio
    missing = await twilio.outbound_call(
        agent_id=agent_id, agent_phone_number_id=twilio_number, to_number="+15105550123"
    )
    assert missing.success is False
    assert "name" in missing.message
    assert missing.conversation_id is None
    forbidden = await twilio.outbound_call(
        agent_id=agent_id,
        agent_phone_number_id=twilio_number,
        to_number="+15105550123",
        conversation_initiation_client_data=ConversationInitiationClientDataRequestInput(
            dynamic_variables={"name": "Ada"},
            conversation_config_override={"agent": {"first_message": "Hi!"}},
        ),
    )
    assert forbidden.success is False
    assert "agent.first_message" in forbidden.message
    assert (await sdk.conversational_ai.conversations.list()).conversations == []


async def test_number_and_agent_errors(
    sdk: AsyncElevenLabs, agent_id: str, twilio_number: str, sip_number: str
) -> None:
    twilio = sdk.conversational_ai.twilio
    with pytest.raises(ApiError) as unknown_number:
        await twilio.outbound_call(
            agent_id=agent_id, agent_phone_number_id="phnum_nope", to_number="+15105550123"
        )
    assert unknown_number.value.status_code == 404
    assert unknown_number.value.body["detail"]["status"] == "phone_number_not_found"
    with pytest.raises(ApiError) as unknown_agent:
        await twilio.outbound_call(
            agent_id="agent_nope", agent_phone_number_id=twilio_number, to_number="+15105550123"
        )
    assert unknown_agent.value.status_code == 404
    with pytest.raises(ApiError) as wrong_provider:
        await twilio.outbound_call(
            agent_id=agent_id, agent_phone_number_id=sip_number, to_number="+15105550123"
        )
    assert wrong_provider.value.status_code == 400
    inbound_only = await sdk.conversational_ai.phone_numbers.create(
        request=PhoneNumbersCreateRequestBody_Twilio(
            phone_number="+14155550111",
            label="Inbound only",
            sid="AC1",
            token="t",
            supports_outbound=False,
        )
    )
    with pytest.raises(ApiError) as cannot_dial:
        await twilio.outbound_call(
            agent_id=agent_id,
            agent_phone_number_id=inbound_only.phone_number_id,
            to_number="+15105550123",
        )
    assert cannot_dial.value.body["detail"]["status"] == "invalid_phone_number"


async def test_branch_pinning_and_hanging_up(
    sdk: AsyncElevenLabs, agent_id: str, twilio_number: str, advance: Advance
) -> None:
    agent = await sdk.conversational_ai.agents.get(agent_id)
    branch = await sdk.conversational_ai.agents.branches.create(
        agent_id, parent_version_id=agent.version_id, name="Shorter", description="B"
    )
    placed = await sdk.conversational_ai.twilio.outbound_call(
        agent_id=agent_id,
        agent_phone_number_id=twilio_number,
        to_number="+15105550123",
        conversation_initiation_client_data=ConversationInitiationClientDataRequestInput(
            dynamic_variables={"name": "Bo"}, branch_id=branch.created_branch_id
        ),
    )
    assert placed.conversation_id is not None
    await advance(10)
    ended = await advance(2, end_calls={"elevenlabs": [placed.conversation_id]})
    assert ended["ended"] == {"elevenlabs": [placed.conversation_id]}
    done = await sdk.conversational_ai.conversations.get(placed.conversation_id)
    assert done.status == "done"
    assert done.branch_id == branch.created_branch_id
    assert done.metadata.termination_reason == "end_call tool was called."
    assert done.transcript[0].message == "Hello Bo, this is Parley calling."


async def test_calls_respect_max_duration(
    sdk: AsyncElevenLabs, twilio_number: str, advance: Advance
) -> None:
    agent_id = await make_agent(sdk)
    await sdk.conversational_ai.agents.update(
        agent_id, conversation_config={"conversation": {"max_duration_seconds": 20}}
    )
    placed = await sdk.conversational_ai.twilio.outbound_call(
        agent_id=agent_id,
        agent_phone_number_id=twilio_number,
        to_number="+15105550123",
        conversation_initiation_client_data=ADA,
    )
    assert placed.conversation_id is not None
    await advance(60)
    done = await sdk.conversational_ai.conversations.get(placed.conversation_id)
    assert done.status == "done"
    assert done.metadata.call_duration_secs == 20
    assert done.metadata.termination_reason == "Maximum duration exceeded"
