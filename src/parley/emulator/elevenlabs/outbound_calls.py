"""Single outbound calls: `v1/convai/twilio/outbound-call` and `v1/convai/sip-trunk/outbound-call`.

The agent and the number must exist (404 otherwise); the number must belong to the endpoint's
provider, support outbound calls and, for SIP, have an outbound trunk (400 `invalid_phone_number`
otherwise). The call is then placed and the answer comes at once, as the real API answers when
the carrier accepts the call: `{success, message, conversation_id, callSid | sip_call_id}`. When
the conversation could not start (an override the agent does not allow, a dynamic variable the
agent needs but was not given) the answer is `success: false` with the reason and no ids, and no
call is made. Everything after that (ringing, answer, end, webhooks) follows the emulator clock;
see telephony.py.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from fastapi import APIRouter, Depends, Request
from pydantic import BaseModel, ConfigDict

from parley.emulator.elevenlabs.agent_models import get_agent
from parley.emulator.elevenlabs.auth import require_api_key
from parley.emulator.elevenlabs.conversation_models import Conversation
from parley.emulator.elevenlabs.errors import ElevenLabsError, not_found
from parley.emulator.elevenlabs.phone_numbers import PhoneNumber
from parley.emulator.elevenlabs.shapes import emulator
from parley.emulator.elevenlabs.telephony import CallRefused, place_call

if TYPE_CHECKING:
    from parley.emulator.state import Emulator

router = APIRouter(prefix="/v1/convai", dependencies=[Depends(require_api_key)])


class OutboundCallBody(BaseModel):
    model_config = ConfigDict(extra="allow")
    agent_id: str
    agent_phone_number_id: str
    to_number: str
    conversation_initiation_client_data: dict[str, Any] | None = None
    call_recording_enabled: bool | None = None
    telephony_call_config: dict[str, Any] | None = None


def usable_number(emu: Emulator, phone_number_id: str, provider: str | None) -> PhoneNumber:
    """The number, if it can place outbound calls (through `provider`'s endpoint, when given)."""
    number: PhoneNumber | None = emu.state("elevenlabs").phone_numbers.get(phone_number_id)
    if number is None:
        raise not_found("phone_number", phone_number_id)
    if provider is not None and number.provider != provider:
        raise ElevenLabsError(
            400,
            "invalid_phone_number",
            f"Phone number {phone_number_id} is not a {provider} number.",
        )
    if not number.supports_outbound:
        raise ElevenLabsError(
            400, "invalid_phone_number", f"Phone number {phone_number_id} cannot place calls."
        )
    if number.provider == "sip_trunk" and not number.outbound_trunk:
        raise ElevenLabsError(
            400, "invalid_phone_number", f"Phone number {phone_number_id} has no outbound trunk."
        )
    return number


def _place(emu: Emulator, body: OutboundCallBody, provider: str) -> Conversation | str:
    """The placed call's conversation, or why the conversation could not start."""
    agent = get_agent(emu, body.agent_id)
    number = usable_number(emu, body.agent_phone_number_id, provider)
    initiation = dict(body.conversation_initiation_client_data or {})
    if initiation.get("branch_id"):
        agent.branch(initiation["branch_id"])
    timeout = (body.telephony_call_config or {}).get("ringing_timeout_secs")
    try:
        return place_call(
            emu,
            agent,
            number,
            external_number=body.to_number,
            initiation=initiation,
            ringing_timeout_s=timeout,
        )
    except CallRefused as refused:
        return str(refused)


@router.post("/twilio/outbound-call")
async def twilio_outbound_call(body: OutboundCallBody, request: Request) -> dict[str, Any]:
    placed = _place(emulator(request), body, "twilio")
    if isinstance(placed, str):
        return {"success": False, "message": placed, "conversation_id": None, "callSid": None}
    return {
        "success": True,
        "message": "Success",
        "conversation_id": placed.conversation_id,
        "callSid": (placed.phone_call or {}).get("call_sid"),
    }


@router.post("/sip-trunk/outbound-call")
async def sip_trunk_outbound_call(body: OutboundCallBody, request: Request) -> dict[str, Any]:
    placed = _place(emulator(request), body, "sip_trunk")
    if isinstance(placed, str):
        return {"success": False, "message": placed, "conversation_id": None, "sip_call_id": None}
    return {
        "success": True,
        "message": "Success",
        "conversation_id": placed.conversation_id,
        "sip_call_id": (placed.phone_call or {}).get("call_id"),
    }
