"""Phone numbers through the official SDK: Twilio and SIP trunk imports, the v1 array list with
filters, the v2 cursor page, assigning and unassigning an agent, deletion and error shapes."""

from __future__ import annotations

import pytest
from elevenlabs import CreatePhoneNumberResponseModel, GetPhoneNumbersPageResponseModel
from elevenlabs.client import AsyncElevenLabs
from elevenlabs.conversational_ai.phone_numbers.types import (
    PhoneNumbersCreateRequestBody_SipTrunk,
    PhoneNumbersCreateRequestBody_Twilio,
    PhoneNumbersGetResponse,
    PhoneNumbersListResponseItem,
)
from elevenlabs.core.api_error import ApiError
from elevenlabs.errors import UnprocessableEntityError

from tests.emulator.elevenlabs_periphery.conftest import Wire


def twilio(
    number: str = "+14155550100", agent_id: str | None = None
) -> PhoneNumbersCreateRequestBody_Twilio:
    return PhoneNumbersCreateRequestBody_Twilio(
        phone_number=number, label="Support line", sid="AC123", token="secret", agent_id=agent_id
    )


async def test_twilio_number_assigned_to_an_agent(
    sdk: AsyncElevenLabs, wire: Wire, agent_id: str
) -> None:
    numbers = sdk.conversational_ai.phone_numbers
    created = await numbers.create(request=twilio(agent_id=agent_id))
    wire.conforms(CreatePhoneNumberResponseModel)
    assert created.phone_number_id.startswith("phnum_")
    got = await numbers.get(created.phone_number_id)
    wire.conforms(PhoneNumbersGetResponse)
    assert (got.provider, got.phone_number, got.label) == ("twilio", "+14155550100", "Support line")
    assert got.assigned_agent.agent_id == agent_id
    assert got.assigned_agent.agent_name == "Support"
    assert "token" not in wire.last()
    assert "sid" not in wire.last()

    unassigned = await numbers.update(created.phone_number_id, agent_id=None, label="Spare")
    wire.conforms(PhoneNumbersGetResponse)
    assert unassigned.assigned_agent is None
    assert unassigned.label == "Spare"
    reassigned = await numbers.update(created.phone_number_id, agent_id=agent_id)
    assert reassigned.assigned_agent.agent_id == agent_id
    assert reassigned.label == "Spare"  # fields not sent stay as they were


async def test_sip_trunk_numbers_and_lists(sdk: AsyncElevenLabs, wire: Wire, agent_id: str) -> None:
    numbers = sdk.conversational_ai.phone_numbers
    sip = await numbers.create(
        request=PhoneNumbersCreateRequestBody_SipTrunk(
            phone_number="+442071234567",
            label="London SIP",
            agent_id=agent_id,
            outbound_trunk_config={
                "address": "sip.example.com",
                "transport": "tls",
                "credentials": {"username": "bob", "password": "pw"},
            },
            inbound_trunk_config={"allowed_addresses": ["10.0.0.1"]},
        )
    )
    plain = await numbers.create(request=twilio("+14155550111"))
    got = await numbers.get(sip.phone_number_id)
    wire.conforms(PhoneNumbersGetResponse)
    assert got.provider == "sip_trunk"
    assert got.outbound_trunk.address == "sip.example.com"
    assert got.outbound_trunk.transport == "tls"
    assert got.outbound_trunk.has_auth_credentials
    assert got.outbound_trunk.username == "bob"
    assert got.inbound_trunk.allowed_addresses == ["10.0.0.1"]
    assert got.livekit_stack == "standard"
    assert "pw" not in str(wire.last())

    listed = await numbers.list()
    wire.conforms(list[PhoneNumbersListResponseItem])
    assert [n.phone_number_id for n in listed] == [sip.phone_number_id, plain.phone_number_id]
    assert [n.phone_number for n in await numbers.list(provider="twilio")] == ["+14155550111"]
    assert [n.phone_number for n in await numbers.list(agent_id=agent_id)] == ["+442071234567"]

    first = await numbers.list_v_2(page_size=1)
    wire.conforms(GetPhoneNumbersPageResponseModel)
    assert len(first.phone_numbers) == 1
    assert first.has_more
    rest = await numbers.list_v_2(page_size=1, cursor=first.next_cursor)
    assert rest.phone_numbers[0].phone_number_id == plain.phone_number_id
    assert not rest.has_more

    with pytest.raises(ApiError) as not_sip:
        await numbers.update(plain.phone_number_id, livekit_stack="static")
    assert not_sip.value.status_code == 400
    await numbers.delete(plain.phone_number_id)
    assert len(await numbers.list()) == 1


async def test_errors(sdk: AsyncElevenLabs) -> None:
    numbers = sdk.conversational_ai.phone_numbers
    with pytest.raises(ApiError) as missing:
        await numbers.get("phnum_missing")
    assert (missing.value.status_code, missing.value.body["detail"]["status"]) == (
        404,
        "phone_number_not_found",
    )
    with pytest.raises(ApiError) as no_agent:
        await numbers.create(request=twilio(agent_id="agent_missing"))
    assert no_agent.value.body["detail"]["status"] == "agent_not_found"
    with pytest.raises(UnprocessableEntityError) as invalid:
        await numbers.create(
            request=PhoneNumbersCreateRequestBody_Twilio.model_construct(
                provider="twilio", phone_number="+1", label="x"
            )
        )
    missing_fields = {tuple(e["loc"][-1:]) for e in invalid.value.body["detail"]}
    assert missing_fields == {("sid",), ("token",)}
