"""Conversation records and their two public shapes: the list summary and the full history model.

A conversation is created when a session starts (WebSocket, phone call, simulation), is routed
to a branch and version of its agent at that moment, collects transcript turns while live, and
ends `done` after analysis (postcall.py). Secret dynamic variables are never stored here.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, Field

from parley.emulator import outcomes
from parley.emulator.elevenlabs.agent_models import Agent, AgentVersion
from parley.emulator.elevenlabs.errors import not_found

if TYPE_CHECKING:
    from parley.emulator.state import Emulator

LIVE = ("initiated", "in-progress")


class Conversation(BaseModel):
    conversation_id: str
    agent_id: str
    agent_name: str | None = None
    branch_id: str | None = None
    version_id: str | None = None
    user_id: str | None = None
    status: str = "initiated"
    start_time_unix_secs: int
    started_at: float
    call_duration_secs: int = 0
    # Emulator-clock time at which max_duration_seconds runs out (None: no limit).
    ends_at: float | None = None
    transcript: list[dict[str, Any]] = Field(default_factory=list)
    analysis: dict[str, Any] | None = None
    initiation: dict[str, Any] = Field(default_factory=dict)
    termination_reason: str | None = None
    text_only: bool = False
    has_user_audio: bool = False
    authorization_method: str = "public"
    source: str = "unknown"
    source_version: str | None = None
    main_language: str = "en"
    direction: str | None = None
    cost: int | None = None
    cost_fiat: float | None = None
    feedback: dict[str, Any] | None = None
    phone_call: dict[str, Any] | None = None
    batch_call: dict[str, Any] | None = None
    # Ground truth of a simulated conversation: what analysis should find.
    outcome: dict[str, Any] | None = None

    @property
    def live(self) -> bool:
        return self.status in LIVE

    def elapsed(self, now: float) -> int:
        return max(0, int(now - self.started_at))

    def add_turn(self, role: str, message: str | None, now: float, **extra: Any) -> dict[str, Any]:
        turn: dict[str, Any] = {
            "role": role,
            "message": message,
            "time_in_call_secs": self.elapsed(now),
            "source_medium": extra.pop("source_medium", None),
            "interrupted": False,
            "created_at_unix_ms": int(now * 1000),
            **extra,
        }
        if role == "agent":
            turn.setdefault(
                "agent_metadata",
                {
                    "agent_id": self.agent_id,
                    "branch_id": self.branch_id,
                    "version_id": self.version_id,
                },
            )
        self.transcript.append(turn)
        return turn

    def counts(self) -> tuple[int, int]:
        users = sum(1 for t in self.transcript if t["role"] == "user")
        return users, len(self.transcript) - users


def start_conversation(
    emu: Emulator,
    agent: Agent,
    *,
    version: AgentVersion | None = None,
    conversation_id: str | None = None,
    initiation: dict[str, Any] | None = None,
    source: str = "unknown",
    started_at: float | None = None,
) -> Conversation:
    """Create and store a conversation, routed by the live split unless `version` pins it."""
    conversation_id = conversation_id or emu.ids.elevenlabs("conv")
    chosen = version or agent.route(conversation_id)
    at = emu.clock.now() if started_at is None else started_at
    config = chosen.conversation_config
    conversation = Conversation(
        conversation_id=conversation_id,
        agent_id=agent.agent_id,
        agent_name=agent.name,
        branch_id=chosen.branch_id,
        version_id=chosen.id,
        start_time_unix_secs=int(at),
        started_at=at,
        initiation=initiation or {},
        user_id=(initiation or {}).get("user_id"),
        source=source,
        main_language=(config.get("agent") or {}).get("language") or "en",
    )
    rule = outcomes.model_for(
        emu.outcome_rules,
        "elevenlabs",
        agent.agent_id,
        version_id=chosen.id,
        branch_id=chosen.branch_id,
    )
    if rule is not None:  # live traffic with a known truth (simulate and phone calls redraw)
        drawn = outcomes.draw(rule, emu.rng)
        conversation.outcome = {
            "successful": drawn.successful,
            "data": drawn.data,
            "evaluation": drawn.evaluation,
        }
    agent.last_call_time_unix_secs = int(at)
    emu.state("elevenlabs").conversations[conversation_id] = conversation
    return conversation


def get_conversation(emu: Emulator, conversation_id: str) -> Conversation:
    conversation: Conversation | None = emu.state("elevenlabs").conversations.get(conversation_id)
    if conversation is None:
        raise not_found("conversation", conversation_id)
    return conversation


def _metadata(c: Conversation) -> dict[str, Any]:
    return {
        "start_time_unix_secs": c.start_time_unix_secs,
        "accepted_time_unix_secs": c.start_time_unix_secs,
        "call_duration_secs": c.call_duration_secs,
        "cost": c.cost,
        "cost_fiat": c.cost_fiat,
        "feedback": c.feedback or {"type": None, "overall_score": None, "likes": 0, "dislikes": 0},
        "authorization_method": c.authorization_method,
        "charging": {"dev_discount": False, "is_burst": False, "tier": "pro"},
        "phone_call": c.phone_call,
        "batch_call": c.batch_call,
        "termination_reason": c.termination_reason or "",
        "main_language": c.main_language,
        "text_only": c.text_only,
        "conversation_initiation_source": c.source,
        "conversation_initiation_source_version": c.source_version,
        "timezone": None,
    }


def full_view(c: Conversation) -> dict[str, Any]:
    """GetConversationResponseModel, also the `data` of `post_call_transcription`."""
    users, agents = c.counts()
    has_audio = not c.text_only and c.status not in LIVE
    return {
        "agent_id": c.agent_id,
        "agent_name": c.agent_name,
        "conversation_id": c.conversation_id,
        "status": c.status,
        "user_id": c.user_id,
        "branch_id": c.branch_id,
        "version_id": c.version_id,
        "environment": "production",
        "transcript": c.transcript,
        "metadata": _metadata(c),
        "analysis": c.analysis,
        "conversation_initiation_client_data": c.initiation,
        "user_message_count": users,
        "agent_message_count": agents,
        "has_audio": has_audio,
        "has_user_audio": has_audio and c.has_user_audio,
        "has_response_audio": has_audio,
        "has_auxiliary_audio": False,
        "tag_ids": [],
    }


def summary_view(c: Conversation) -> dict[str, Any]:
    """ConversationSummaryResponseModel."""
    users, agents = c.counts()
    analysis = c.analysis or {}
    tools = sorted({call["tool_name"] for t in c.transcript for call in t.get("tool_calls") or []})
    return {
        "agent_id": c.agent_id,
        "agent_name": c.agent_name,
        "branch_id": c.branch_id,
        "version_id": c.version_id,
        "conversation_id": c.conversation_id,
        "start_time_unix_secs": c.start_time_unix_secs,
        "call_duration_secs": c.call_duration_secs,
        "cost": c.cost,
        "cost_fiat": c.cost_fiat,
        "message_count": len(c.transcript),
        "user_message_count": users,
        "agent_message_count": agents,
        "status": c.status,
        "termination_reason": c.termination_reason,
        "call_successful": analysis.get("call_successful", "unknown"),
        "transcript_summary": analysis.get("transcript_summary"),
        "call_summary_title": analysis.get("call_summary_title"),
        "main_language": c.main_language,
        "conversation_initiation_source": c.source,
        "tool_names": tools,
        "direction": c.direction,
        "rating": None,
        "evaluation_criteria_results": {
            cid: {"result": r["result"]}
            for cid, r in (analysis.get("evaluation_criteria_results") or {}).items()
        },
        "data_collection_results": dict(analysis.get("data_collection_results") or {}),
        "tag_ids": [],
    }
