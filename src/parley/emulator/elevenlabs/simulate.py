"""Simulated traffic: finished conversations whose outcomes are drawn from a known model.

Each conversation is routed exactly as a live one (stable hash over the live split, or the given
branch), gets a transcript written by the Brain, the analysis its drawn outcome dictates, and the
usual post-call webhooks. Everything random comes from the emulator's seeded generator.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from fastapi import HTTPException
from pydantic import BaseModel, Field, ValidationError

from parley.emulator import outcomes
from parley.emulator.brain import Brain
from parley.emulator.elevenlabs.agent_models import Agent, AgentVersion
from parley.emulator.elevenlabs.conversation_models import Conversation, start_conversation
from parley.emulator.elevenlabs.errors import ElevenLabsError
from parley.emulator.elevenlabs.postcall import finish
from parley.emulator.elevenlabs.variables import render_for_llm, system_variables, visible

if TYPE_CHECKING:
    from parley.emulator.state import Emulator

USER_LINES = (
    "Hi, I have a question about my account.",
    "Could you explain the options I have?",
    "What would that cost me each month?",
    "How soon could we get started?",
    "Is there anything I need to prepare?",
)
FAREWELL_LINE = "Great, that is all I needed. Bye!"


class SimulateOptions(BaseModel):
    agent_id: str
    branch_id: str | None = None
    count: int = Field(default=1, ge=1, le=10_000)
    outcome: outcomes.OutcomeModel = Field(default_factory=outcomes.OutcomeModel)
    user_id_prefix: str | None = None
    dynamic_variables: dict[str, Any] = Field(default_factory=dict)


def _write_transcript(
    c: Conversation, version: AgentVersion, variables: dict[str, Any], drawn: outcomes.Outcome
) -> None:
    agent_config = version.conversation_config.get("agent") or {}
    brain = Brain(tools=[])
    user_lines = [USER_LINES[i % len(USER_LINES)] for i in range(drawn.user_turns)]
    if drawn.successful:
        user_lines.append(FAREWELL_LINE)
    first = render_for_llm(agent_config.get("first_message") or "", variables)
    turns = 2 * len(user_lines) + (1 if first else 0)
    step = drawn.duration_s / max(1, turns)
    at = c.started_at
    if first:
        c.add_turn("agent", first, at, source_medium="audio")
        at += step
    for turn, line in enumerate(user_lines, start=1):
        c.add_turn("user", line, at, source_medium="audio")
        at += step
        c.add_turn("agent", brain.reply(line, turn).text, at, source_medium="audio")
        at += step


def _one(
    emu: Emulator, agent: Agent, opts: SimulateOptions, index: int, now: float
) -> Conversation:
    conversation_id = emu.ids.elevenlabs("conv")
    version = agent.tip(opts.branch_id) if opts.branch_id else agent.route(conversation_id)
    drawn = outcomes.draw(opts.outcome, emu.rng)
    placeholders = (
        (version.conversation_config.get("agent") or {}).get("dynamic_variables") or {}
    ).get("dynamic_variable_placeholders") or {}
    variables = {
        **placeholders,
        **opts.dynamic_variables,
        **system_variables(agent.agent_id, conversation_id, now - drawn.duration_s),
    }
    initiation: dict[str, Any] = {"dynamic_variables": visible(variables)}
    if opts.user_id_prefix is not None:
        initiation["user_id"] = f"{opts.user_id_prefix}{index}"
    c = start_conversation(
        emu,
        agent,
        version=version,
        conversation_id=conversation_id,
        initiation=initiation,
        started_at=now - drawn.duration_s,
    )
    c.outcome = {"successful": drawn.successful, "data": drawn.data, "evaluation": drawn.evaluation}
    c.cost = round(drawn.cost)
    c.cost_fiat = round(drawn.duration_s * 0.0015, 4)
    _write_transcript(c, version, variables, drawn)
    reason = "end_call tool was called." if drawn.successful else "Client disconnected: 1000"
    finish(emu, c, reason, farewell=drawn.successful, duration_secs=drawn.duration_s)
    return c


def simulate(emu: Emulator, options: dict[str, Any]) -> dict[str, Any]:
    if "inbound" in options:
        # Imported here: inbound.py builds on telephony.py, which reuses this module.
        from parley.emulator.elevenlabs import inbound

        return inbound.simulate_inbound(emu, options["inbound"])
    try:
        opts = SimulateOptions.model_validate(options)
    except ValidationError as exc:
        raise HTTPException(422, exc.errors(include_url=False, include_context=False)) from exc
    try:
        agent: Agent | None = emu.state("elevenlabs").agents.get(opts.agent_id)
        if agent is None:
            raise HTTPException(404, f"agent {opts.agent_id} not found")
        if opts.branch_id:
            agent.branch(opts.branch_id)
        now = emu.clock.now()
        made = [_one(emu, agent, opts, i, now) for i in range(opts.count)]
    except ElevenLabsError as exc:
        raise HTTPException(exc.status, exc.message) from exc
    return {
        "conversations": [
            {
                "conversation_id": c.conversation_id,
                "agent_id": c.agent_id,
                "branch_id": c.branch_id,
                "version_id": c.version_id,
                "call_successful": (c.analysis or {}).get("call_successful"),
                "call_duration_secs": c.call_duration_secs,
            }
            for c in made
        ]
    }
