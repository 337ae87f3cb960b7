"""What the workspace resources (tools, knowledge base, tests, phone numbers) ask of agents.

Those resources point at agents and agents point back at them (`tool_ids`, `knowledge_base`
entries), so "which agents use this tool" and "which tools can this agent call" are answered here,
from each agent's main-branch tip, in one place rather than in every resource module.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from fastapi import Request

from parley.emulator.elevenlabs.agent_models import Agent, get_agent
from parley.emulator.elevenlabs.shapes import emulator

if TYPE_CHECKING:
    from parley.emulator.elevenlabs.state import ElevenLabsState
    from parley.emulator.state import Emulator


def el_state(request: Request) -> ElevenLabsState:
    state: ElevenLabsState = emulator(request).state("elevenlabs")
    return state


def require_agent(emu: Emulator, agent_id: str) -> Agent:
    """The agent, or ElevenLabs' 404 `agent_not_found`."""
    return get_agent(emu, agent_id)


def agent_config(conversation_config: dict[str, Any]) -> dict[str, Any]:
    """`conversation_config.agent` (first message, language, prompt), never None."""
    agent = conversation_config.get("agent") or {}
    return agent if isinstance(agent, dict) else {}


def prompt_of(agent: Agent) -> dict[str, Any]:
    """`conversation_config.agent.prompt` of the main-branch tip (what a new call would use)."""
    prompt = agent_config(agent.tip(agent.main_branch_id).conversation_config).get("prompt")
    return prompt if isinstance(prompt, dict) else {}


def tool_names(state: ElevenLabsState, prompt: dict[str, Any]) -> list[str]:
    """Every tool a prompt lets the agent call: workspace tools by id, inline, built-in system."""
    names = [state.tools[t].name for t in prompt.get("tool_ids") or [] if t in state.tools]
    names += [t["name"] for t in prompt.get("tools") or [] if isinstance(t, dict) and "name" in t]
    names += [k for k, v in (prompt.get("built_in_tools") or {}).items() if v]
    return names


def agents_using_tool(state: ElevenLabsState, tool_id: str) -> list[Agent]:
    return [a for a in state.agents.values() if tool_id in (prompt_of(a).get("tool_ids") or [])]


def agents_using_document(state: ElevenLabsState, document_id: str) -> list[Agent]:
    def uses(agent: Agent) -> bool:
        entries = prompt_of(agent).get("knowledge_base") or []
        return any(isinstance(e, dict) and e.get("id") == document_id for e in entries)

    return [a for a in state.agents.values() if uses(a)]


def dependent_agent(agent: Agent) -> dict[str, Any]:
    """DependentAvailableAgentIdentifier, the item of every `dependent_agents` list."""
    return {
        "type": "available",
        "id": agent.agent_id,
        "name": agent.name,
        "created_at_unix_secs": agent.created_at_unix_secs,
        "access_level": "admin",
    }


_ALNUM = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"


def short_id(emu: Emulator) -> str:
    """A 20-character id, the shape of the SDK's document and test ids (`21m00Tcm4TlvDq8ikWAM`)."""
    return "".join(emu.rng.choice(_ALNUM) for _ in range(20))
