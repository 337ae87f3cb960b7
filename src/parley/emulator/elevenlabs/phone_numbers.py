"""Imported phone numbers: `v1/convai/phone-numbers` for Twilio, SIP trunk and Exotel numbers.

Importing a number stores it and, when `agent_id` is given, assigns it to that agent (inbound
calls on the number reach the agent). Credentials are kept but never returned: reads only say
whether SIP credentials exist, as the real API does. The v1 list is a plain array; the v2 list
is a cursor page.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query, Request
from pydantic import BaseModel, ConfigDict, Field

from parley.emulator.elevenlabs.auth import require_api_key
from parley.emulator.elevenlabs.errors import ElevenLabsError, not_found
from parley.emulator.elevenlabs.periphery import el_state, require_agent
from parley.emulator.elevenlabs.shapes import emulator, page

router = APIRouter(prefix="/v1/convai", dependencies=[Depends(require_api_key)])


class _Open(BaseModel):
    model_config = ConfigDict(extra="allow")


class Credentials(_Open):
    username: str
    password: str | None = None


class InboundTrunk(_Open):
    allowed_addresses: list[str] | None = None
    allowed_numbers: list[str] | None = None
    media_encryption: Literal["disabled", "allowed", "required"] | None = None
    credentials: Credentials | None = None


class OutboundTrunk(_Open):
    address: str
    transport: Literal["auto", "udp", "tcp", "tls"] | None = None
    media_encryption: Literal["disabled", "allowed", "required"] | None = None
    credentials: Credentials | None = None


class _NumberRequest(_Open):
    phone_number: str = Field(min_length=1)
    label: str
    supports_inbound: bool | None = None
    supports_outbound: bool | None = None
    agent_id: str | None = None


class TwilioRequest(_NumberRequest):
    provider: Literal["twilio"]
    sid: str
    token: str


class SipTrunkRequest(_NumberRequest):
    provider: Literal["sip_trunk"]
    inbound_trunk_config: InboundTrunk | None = None
    outbound_trunk_config: OutboundTrunk | None = None


class ExotelRequest(_NumberRequest):
    provider: Literal["exotel"]
    account_sid: str
    api_key: str
    api_token: str
    api_subdomain: str
    app_id: str


CreateRequest = Annotated[
    TwilioRequest | SipTrunkRequest | ExotelRequest, Field(discriminator="provider")
]


class UpdateRequest(BaseModel):
    agent_id: str | None = None
    label: str | None = None
    inbound_trunk_config: InboundTrunk | None = None
    outbound_trunk_config: OutboundTrunk | None = None
    livekit_stack: Literal["standard", "static"] | None = None
    store_sip_messages: bool | None = None
    environment: str | None = None
    branch_id: str | None = None


class PhoneNumber(BaseModel):
    phone_number_id: str
    provider: Literal["twilio", "sip_trunk", "exotel"]
    phone_number: str
    label: str
    supports_inbound: bool = True
    supports_outbound: bool = True
    agent_id: str | None = None
    branch_id: str | None = None
    environment: str | None = None
    # Provider credentials and trunk settings as sent (secrets included, never returned).
    provider_settings: dict[str, Any] = Field(default_factory=dict)
    inbound_trunk: dict[str, Any] | None = None
    outbound_trunk: dict[str, Any] | None = None
    livekit_stack: Literal["standard", "static"] = "standard"
    store_sip_messages: bool = False
    created_at_unix_secs: int


def _inbound_view(trunk: dict[str, Any] | None) -> dict[str, Any]:
    trunk = trunk or {}
    credentials = trunk.get("credentials") or {}
    return {
        "allowed_addresses": trunk.get("allowed_addresses") or [],
        "allowed_numbers": trunk.get("allowed_numbers"),
        "media_encryption": trunk.get("media_encryption") or "allowed",
        "has_auth_credentials": bool(credentials),
        "username": credentials.get("username"),
    }


def _outbound_view(trunk: dict[str, Any]) -> dict[str, Any]:
    credentials = trunk.get("credentials") or {}
    return {
        "address": trunk["address"],
        "transport": trunk.get("transport") or "auto",
        "media_encryption": trunk.get("media_encryption") or "allowed",
        "headers": trunk.get("headers") or {},
        "has_auth_credentials": bool(credentials),
        "username": credentials.get("username"),
        "has_outbound_trunk": True,
    }


def view(request: Request, number: PhoneNumber) -> dict[str, Any]:
    """PhoneNumbersGetResponse (also each item of the list)."""
    out: dict[str, Any] = {
        "provider": number.provider,
        "phone_number": number.phone_number,
        "label": number.label,
        "supports_inbound": number.supports_inbound,
        "supports_outbound": number.supports_outbound,
        "phone_number_id": number.phone_number_id,
        "assigned_agent": None,
    }
    agent = el_state(request).agents.get(number.agent_id) if number.agent_id else None
    if agent is not None:
        out["assigned_agent"] = {
            "agent_id": agent.agent_id,
            "agent_name": agent.name,
            "environment": number.environment,
            "branch_id": number.branch_id,
        }
    if number.provider == "sip_trunk":
        outbound = _outbound_view(number.outbound_trunk) if number.outbound_trunk else None
        out.update(
            provider_config=outbound,
            outbound_trunk=outbound,
            inbound_trunk=_inbound_view(number.inbound_trunk),
            livekit_stack=number.livekit_stack,
            store_sip_messages=number.store_sip_messages,
        )
    return out


def _number(request: Request, phone_number_id: str) -> PhoneNumber:
    number = el_state(request).phone_numbers.get(phone_number_id)
    if number is None:
        raise not_found("phone_number", phone_number_id)
    return number


@router.post("/phone-numbers")
async def create_phone_number(body: CreateRequest, request: Request) -> dict[str, Any]:
    emu = emulator(request)
    if body.agent_id:
        require_agent(emu, body.agent_id)
    inbound = outbound = None
    if isinstance(body, SipTrunkRequest):
        inbound = (
            body.inbound_trunk_config.model_dump(exclude_none=True)
            if body.inbound_trunk_config
            else None
        )
        outbound = (
            body.outbound_trunk_config.model_dump(exclude_none=True)
            if body.outbound_trunk_config
            else None
        )
    common = {
        "provider",
        "phone_number",
        "label",
        "supports_inbound",
        "supports_outbound",
        "agent_id",
    }
    number = PhoneNumber(
        phone_number_id=emu.ids.elevenlabs("phnum"),
        provider=body.provider,
        phone_number=body.phone_number,
        label=body.label,
        supports_inbound=body.supports_inbound is not False,
        supports_outbound=body.supports_outbound is not False,
        agent_id=body.agent_id,
        provider_settings=body.model_dump(
            exclude=common | {"inbound_trunk_config", "outbound_trunk_config"}, exclude_none=True
        ),
        inbound_trunk=inbound,
        outbound_trunk=outbound,
        created_at_unix_secs=emu.clock.now_secs(),
    )
    el_state(request).phone_numbers[number.phone_number_id] = number
    return {"phone_number_id": number.phone_number_id}


def _matching(
    request: Request, provider: str | None, agent_id: str | None, branch_id: str | None
) -> list[PhoneNumber]:
    numbers = sorted(
        el_state(request).phone_numbers.values(),
        key=lambda n: (n.created_at_unix_secs, n.phone_number_id),
    )
    return [
        n
        for n in numbers
        if (provider is None or n.provider == provider)
        and (agent_id is None or n.agent_id == agent_id)
        and (branch_id is None or n.branch_id == branch_id)
    ]


@router.get("/phone-numbers")
async def list_phone_numbers(
    request: Request,
    provider: str | None = None,
    agent_id: str | None = None,
    branch_id: str | None = None,
) -> list[dict[str, Any]]:
    return [view(request, n) for n in _matching(request, provider, agent_id, branch_id)]


@router.get("/v2/phone-numbers")
async def list_phone_numbers_v2(
    request: Request,
    page_size: Annotated[int, Query(ge=1, le=100)] = 30,
    search: str | None = None,
    label: str | None = None,
    phone_number: str | None = None,
    provider: str | None = None,
    supports_outbound: bool | None = None,
    agent_id: str | None = None,
    branch_id: str | None = None,
    sort_by: str | None = None,
    sort_direction: Literal["asc", "desc"] = "asc",
    cursor: str | None = None,
) -> dict[str, Any]:
    numbers = _matching(request, provider, agent_id, branch_id)
    if search:
        needle = search.lower()
        numbers = [n for n in numbers if needle in n.label.lower() or needle in n.phone_number]
    if label is not None:
        numbers = [n for n in numbers if n.label == label]
    if phone_number is not None:
        numbers = [n for n in numbers if n.phone_number == phone_number]
    if supports_outbound is not None:
        numbers = [n for n in numbers if n.supports_outbound == supports_outbound]
    if sort_direction == "desc":
        numbers.reverse()
    chunk, next_cursor = page(numbers, cursor, page_size)
    return {
        "phone_numbers": [view(request, n) for n in chunk],
        "next_cursor": next_cursor,
        "has_more": next_cursor is not None,
    }


@router.get("/phone-numbers/{phone_number_id}")
async def get_phone_number(phone_number_id: str, request: Request) -> dict[str, Any]:
    return view(request, _number(request, phone_number_id))


@router.patch("/phone-numbers/{phone_number_id}")
async def update_phone_number(
    phone_number_id: str, body: UpdateRequest, request: Request
) -> dict[str, Any]:
    number = _number(request, phone_number_id)
    sent = body.model_fields_set
    trunk_fields = {"inbound_trunk_config", "outbound_trunk_config", "livekit_stack"}
    if sent & trunk_fields and number.provider != "sip_trunk":
        raise ElevenLabsError(
            400, "invalid_request", "Trunk settings apply to SIP trunk numbers only."
        )
    if "agent_id" in sent:
        # An explicit null unassigns the number.
        if body.agent_id:
            require_agent(emulator(request), body.agent_id)
        number.agent_id = body.agent_id or None
    if "branch_id" in sent:
        number.branch_id = body.branch_id
    if body.label is not None:
        number.label = body.label
    if body.environment is not None:
        number.environment = body.environment
    if body.inbound_trunk_config is not None:
        number.inbound_trunk = body.inbound_trunk_config.model_dump(exclude_none=True)
    if body.outbound_trunk_config is not None:
        number.outbound_trunk = body.outbound_trunk_config.model_dump(exclude_none=True)
    if body.livekit_stack is not None:
        number.livekit_stack = body.livekit_stack
    if body.store_sip_messages is not None:
        number.store_sip_messages = body.store_sip_messages
    return view(request, number)


@router.delete("/phone-numbers/{phone_number_id}")
async def delete_phone_number(phone_number_id: str, request: Request) -> dict[str, Any]:
    _number(request, phone_number_id)
    del el_state(request).phone_numbers[phone_number_id]
    return {}
