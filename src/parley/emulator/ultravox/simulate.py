"""Simulated traffic: finished agent calls with Brain transcripts and outcomes drawn from the seed.

`/_emulator/simulate {"provider": "ultravox", "options": {agent_id, count, outcome, metadata,
template_context}}` starts each call exactly as `POST /api/agents/{id}/calls` would, joins it,
lets a scripted caller talk to the Brain, and ends it after the drawn duration. Successful calls
end with the agent saying goodbye (`agent_hangup`), unsuccessful ones with the caller hanging up
(`hangup`). All four webhook events fire. The drawn outcomes come back as ground truth.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from fastapi import HTTPException
from pydantic import BaseModel, Field, ValidationError

from parley.emulator.outcomes import OutcomeModel, draw
from parley.emulator.ultravox import calls, lifecycle
from parley.emulator.ultravox.conversation import Conversation
from parley.emulator.ultravox.schemas import StartAgentCallRequest

if TYPE_CHECKING:
    from parley.emulator.state import Emulator

CALLER_LINES = (
    "I'd like to know more about your offer.",
    "Can you tell me what it costs per month?",
    "I'm mostly interested in the details for my family.",
    "What would the next step be?",
    "Could we find a time that works next week?",
    "I have a question about my current plan.",
)


class SimulateOptions(BaseModel):
    agent_id: str
    count: int = Field(default=1, ge=1, le=1000)
    outcome: OutcomeModel = Field(default_factory=OutcomeModel)
    metadata: dict[str, str] = Field(default_factory=dict)
    template_context: dict[str, Any] = Field(default_factory=dict)


async def simulate(emu: Emulator, raw: dict[str, Any]) -> dict[str, Any]:
    # Errors here answer in the control API's shape, not Ultravox's.
    try:
        options = SimulateOptions.model_validate(raw)
    except ValidationError as exc:
        raise HTTPException(422, exc.errors(include_url=False)) from None
    agent = lifecycle.state(emu).agents.get(options.agent_id)
    if agent is None:
        raise HTTPException(404, f"ultravox has no agent {options.agent_id!r}")
    ids: list[str] = []
    truth: dict[str, Any] = {}
    for _ in range(options.count):
        outcome = draw(options.outcome, emu.rng)
        request = StartAgentCallRequest(
            metadata=options.metadata or None, templateContext=options.template_context or None
        )
        call = calls.start_from_agent(emu, agent, request)
        # Backdate the call so that it ends now, having lasted the drawn duration.
        now = emu.clock.now()
        call.created = now - outcome.duration_s - 1.0
        lifecycle.join(emu, call, "emulator_simulation", at=call.created + 1.0)
        talk = Conversation(emu, call)
        await talk.greet()
        for turn in range(outcome.user_turns):
            if not lifecycle.is_live(call):
                break
            await talk.user_text(emu.rng.choice(CALLER_LINES), medium="voice")
            del turn
        _spread(call, outcome.duration_s)
        if outcome.successful:
            await talk.user_text("That's all, thank you. Bye!", medium="voice")
            _spread(call, outcome.duration_s)
        lifecycle.end(emu, call, "agent_hangup" if outcome.successful else "hangup", at=now)
        ids.append(call.call_id)
        truth[call.call_id] = outcome.model_dump(mode="json")
    return {"calls": ids, "outcomes": truth}


def _spread(call: Any, duration_s: float) -> None:
    """Lay the messages out evenly over the call, as if the conversation took that long."""
    spoken = call.messages
    step = duration_s / max(1, len(spoken))
    for index, message in enumerate(spoken):
        message.start_s = round(index * step, 3)
        message.end_s = round(min(duration_s, index * step + step * 0.8), 3)
