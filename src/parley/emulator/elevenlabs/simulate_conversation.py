"""`POST v1/convai/agents/{agent_id}/simulate-conversation`: a conversation with a simulated user.

Deprecated by ElevenLabs (removal on 2026-10-31) in favour of simulation tests, but still used.
The simulated user speaks its `first_message` and then each line of its prompt (see
`simulation.py`); the answer carries the new turns and an analysis judged against the agent's
own evaluation criteria plus `extra_evaluation_criteria`.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Request
from pydantic import BaseModel, ConfigDict, Field

from parley.emulator.elevenlabs.auth import require_api_key
from parley.emulator.elevenlabs.periphery import agent_config, el_state, require_agent, tool_names
from parley.emulator.elevenlabs.shapes import emulator
from parley.emulator.elevenlabs.simulation import Simulation, analysis, script
from parley.emulator.elevenlabs.testing import Turn

router = APIRouter(prefix="/v1/convai/agents", dependencies=[Depends(require_api_key)])


class _Open(BaseModel):
    model_config = ConfigDict(extra="allow")


class SimulatedUserPrompt(_Open):
    prompt: str | None = None


class SimulatedUser(_Open):
    first_message: str | None = None
    language: str | None = None
    prompt: SimulatedUserPrompt | None = None


class ToolMock(BaseModel):
    default_return_value: str | None = None
    default_is_error: bool | None = None


class Specification(_Open):
    simulated_user_config: SimulatedUser
    tool_mock_config: dict[str, ToolMock] | None = None
    partial_conversation_history: list[Turn] | None = None
    dynamic_variables: dict[str, Any] | None = None


class Criterion(_Open):
    id: str
    name: str
    conversation_goal_prompt: str


class SimulateRequest(BaseModel):
    simulation_specification: Specification
    extra_evaluation_criteria: list[Criterion] | None = None
    new_turns_limit: int = Field(default=20, ge=1, le=10000)


@router.post("/{agent_id}/simulate-conversation")
async def simulate_conversation(
    agent_id: str, body: SimulateRequest, request: Request
) -> dict[str, Any]:
    agent = require_agent(emulator(request), agent_id)
    tip = agent.tip(agent.main_branch_id)
    config = agent_config(tip.conversation_config)
    state = el_state(request)
    spec = body.simulation_specification
    user = spec.simulated_user_config
    history = [t.model_dump(mode="json") for t in spec.partial_conversation_history or []]
    simulation = Simulation(
        state=state,
        agent=config,
        user_lines=script(user.first_message, user.prompt.prompt if user.prompt else None),
        tool_names=tool_names(state, config.get("prompt") or {}),
        history=history,
        variables=spec.dynamic_variables or {},
        tool_mocks={k: v.model_dump() for k, v in (spec.tool_mock_config or {}).items()},
        max_new_turns=body.new_turns_limit,
    )
    transcript = simulation.run()
    criteria = list((tip.platform_settings.get("evaluation") or {}).get("criteria") or [])
    criteria += [c.model_dump() for c in body.extra_evaluation_criteria or []]
    return {"simulated_conversation": transcript, "analysis": analysis(transcript, criteria)}
