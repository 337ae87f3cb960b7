"""Agents as ElevenLabs keeps them: branches of immutable versions, drafts and a live traffic split.

Every agent is versioned. A version snapshots `conversation_config`, `platform_settings` and
`workflow`; the agent's name and tags live outside versions. Each PATCH commits a new version
on a branch (main by default). New conversations are routed to a branch by a stable hash of
their id, weighted by the live split, so a conversation id always lands on the same branch.
"""

from __future__ import annotations

import hashlib
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, Field

from parley.emulator.elevenlabs.errors import ElevenLabsError, not_found
from parley.emulator.elevenlabs.shapes import ACCESS_INFO, deep_merge

if TYPE_CHECKING:
    from parley.emulator.state import Emulator

# What a freshly created agent holds when the request leaves a field out, as the real API fills
# them in. Overrides all start disabled: API-created agents must opt in (contract §13 item 4).
DEFAULT_CONVERSATION_CONFIG: dict[str, Any] = {
    "asr": {
        "quality": "high",
        "provider": "elevenlabs",
        "user_input_audio_format": "pcm_16000",
        "keywords": [],
    },
    "turn": {"turn_timeout": 7.0, "silence_end_call_timeout": -1.0, "turn_eagerness": "normal"},
    "tts": {
        "model_id": "eleven_flash_v2",
        "voice_id": "cjVigY5qzO86Huf0OWal",
        "agent_output_audio_format": "pcm_16000",
        "optimize_streaming_latency": 3,
        "stability": 0.5,
        "speed": 1.0,
        "similarity_boost": 0.8,
    },
    "conversation": {
        "text_only": False,
        "max_duration_seconds": 600,
        "client_events": [
            "audio",
            "interruption",
            "agent_response",
            "user_transcript",
            "tentative_user_transcript",
            "conversation_initiation_metadata",
            "ping",
        ],
    },
    "vad": {},
    "agent": {
        "first_message": "",
        "language": "en",
        "dynamic_variables": {"dynamic_variable_placeholders": {}},
        "prompt": {
            "prompt": "",
            "llm": "gemini-2.0-flash",
            "temperature": 0.0,
            "tool_ids": [],
            "built_in_tools": {},
            "knowledge_base": [],
        },
    },
}
DEFAULT_PLATFORM_SETTINGS: dict[str, Any] = {
    "auth": {"enable_auth": False, "allowlist": []},
    "evaluation": {"criteria": []},
    "data_collection": {},
    "overrides": {
        "conversation_config_override": {
            "agent": {"first_message": False, "language": False, "prompt": {"prompt": False}},
            "tts": {"voice_id": False},
            "conversation": {"text_only": False},
        },
        "custom_llm_extra_body": False,
        "enable_conversation_initiation_client_data_from_webhook": False,
    },
    "call_limits": {"agent_concurrency_limit": -1, "daily_limit": 100000},
    "privacy": {"record_voice": True, "retention_days": -1, "delete_transcript_and_pii": False},
}


class AgentVersion(BaseModel):
    id: str
    branch_id: str
    seq_no_in_branch: int
    time_committed_secs: int
    version_description: str = ""
    parents: dict[str, str | None] = Field(default_factory=dict)
    conversation_config: dict[str, Any]
    platform_settings: dict[str, Any]
    workflow: dict[str, Any] | None = None

    def metadata(self, agent_id: str) -> dict[str, Any]:
        """AgentVersionMetadata."""
        return {
            "id": self.id,
            "agent_id": agent_id,
            "branch_id": self.branch_id,
            "version_description": self.version_description,
            "seq_no_in_branch": self.seq_no_in_branch,
            "time_committed_secs": self.time_committed_secs,
            "parents": self.parents,
            "access_info": ACCESS_INFO,
        }


class AgentBranch(BaseModel):
    id: str
    name: str
    description: str = ""
    created_at: int
    last_committed_at: int
    is_archived: bool = False
    protection_status: str | None = None
    auto_rebase: bool = False
    parent_branch_id: str | None = None
    merged_into_branch_id: str | None = None
    version_ids: list[str] = Field(default_factory=list)
    draft: dict[str, Any] | None = None
    draft_created_at: int | None = None


class AgentDeployment(BaseModel):
    id: str
    traffic: dict[str, float]
    deployed_at_unix_secs: int
    source: str = "manual"


class Agent(BaseModel):
    agent_id: str
    name: str
    tags: list[str] = Field(default_factory=list)
    created_at_unix_secs: int
    updated_at_unix_secs: int
    main_branch_id: str
    branches: dict[str, AgentBranch] = Field(default_factory=dict)
    versions: dict[str, AgentVersion] = Field(default_factory=dict)
    # Live split as the client sent it (fractions or percentages); empty means all on main.
    traffic: dict[str, float] = Field(default_factory=dict)
    deployments: list[AgentDeployment] = Field(default_factory=list)
    last_call_time_unix_secs: int | None = None

    def branch(self, branch_id: str) -> AgentBranch:
        if branch_id not in self.branches:
            raise not_found("branch", branch_id)
        return self.branches[branch_id]

    def tip(self, branch_id: str) -> AgentVersion:
        return self.versions[self.branch(branch_id).version_ids[-1]]

    def version(self, version_id: str) -> AgentVersion:
        if version_id not in self.versions:
            raise not_found("version", version_id)
        return self.versions[version_id]

    def resolve(self, branch_id: str | None, version_id: str | None) -> AgentVersion:
        """The version a read or a conversation uses: explicit version, branch tip, or main tip."""
        if version_id:
            return self.version(version_id)
        return self.tip(branch_id or self.main_branch_id)

    @property
    def archived(self) -> bool:
        return bool(self.tip(self.main_branch_id).platform_settings.get("archived"))

    def live_split(self) -> dict[str, float]:
        """Each branch's share of new conversations, as fractions summing to 1."""
        split = {b: s for b, s in (self.traffic or {self.main_branch_id: 1.0}).items() if s > 0}
        total = sum(split.values()) or 1.0
        return {b: s / total for b, s in split.items()}

    def route(self, conversation_id: str) -> AgentVersion:
        """The branch tip a new conversation lands on: stable in the conversation id."""
        digest = hashlib.sha256(f"{self.agent_id}:{conversation_id}".encode()).digest()
        point = int.from_bytes(digest[:8], "big") / 2**64
        cumulative = 0.0
        split = self.live_split()
        for branch_id in sorted(split):
            cumulative += split[branch_id]
            if point < cumulative:
                return self.tip(branch_id)
        return self.tip(sorted(split)[-1] if split else self.main_branch_id)


def get_agent(emu: Emulator, agent_id: str) -> Agent:
    agent: Agent | None = emu.state("elevenlabs").agents.get(agent_id)
    if agent is None:
        raise not_found("agent", agent_id)
    return agent


def commit(
    emu: Emulator,
    agent: Agent,
    branch: AgentBranch,
    *,
    conversation_config: dict[str, Any],
    platform_settings: dict[str, Any],
    workflow: dict[str, Any] | None,
    description: str = "",
    parents: dict[str, str | None] | None = None,
) -> AgentVersion:
    """Append a new immutable version to `branch`."""
    now = emu.clock.now_secs()
    previous = branch.version_ids[-1] if branch.version_ids else None
    version = AgentVersion(
        id=emu.ids.elevenlabs("agtvrsn"),
        branch_id=branch.id,
        seq_no_in_branch=len(branch.version_ids) + 1,
        time_committed_secs=now,
        version_description=description,
        parents={"in_branch_parent_id": previous, **(parents or {})},
        conversation_config=conversation_config,
        platform_settings=platform_settings,
        workflow=workflow,
    )
    agent.versions[version.id] = version
    branch.version_ids.append(version.id)
    branch.last_committed_at = now
    agent.updated_at_unix_secs = now
    return version


def new_branch(
    emu: Emulator, name: str, description: str, parent_branch_id: str | None
) -> AgentBranch:
    now = emu.clock.now_secs()
    return AgentBranch(
        id=emu.ids.elevenlabs("agtbrch"),
        name=name,
        description=description,
        created_at=now,
        last_committed_at=now,
        parent_branch_id=parent_branch_id,
    )


def create_agent(
    emu: Emulator,
    *,
    name: str,
    tags: list[str],
    conversation_config: dict[str, Any],
    platform_settings: dict[str, Any],
    workflow: dict[str, Any] | None,
) -> Agent:
    now = emu.clock.now_secs()
    main = new_branch(emu, "Main", "Main branch", None)
    agent = Agent(
        agent_id=emu.ids.elevenlabs("agent"),
        name=name,
        tags=tags,
        created_at_unix_secs=now,
        updated_at_unix_secs=now,
        main_branch_id=main.id,
        branches={main.id: main},
    )
    commit(
        emu,
        agent,
        main,
        conversation_config=deep_merge(DEFAULT_CONVERSATION_CONFIG, conversation_config),
        platform_settings=deep_merge(DEFAULT_PLATFORM_SETTINGS, platform_settings),
        workflow=workflow,
        description="Initial version",
    )
    emu.state("elevenlabs").agents[agent.agent_id] = agent
    return agent


def validate_split(agent: Agent, split: dict[str, float]) -> None:
    """Shares must name live branches and total 1.0 or 100 (both scales are seen in the wild)."""
    for branch_id in split:
        if agent.branch(branch_id).is_archived:
            raise ElevenLabsError(400, "branch_archived", f"Branch {branch_id} is archived.")
    total = sum(split.values())
    if any(v < 0 for v in split.values()) or not (
        abs(total - 1.0) < 1e-6 or abs(total - 100.0) < 1e-6
    ):
        raise ElevenLabsError(
            400,
            "invalid_traffic_split",
            f"Traffic percentages must sum to 100% (1.0 or 100), got {total:g}.",
        )


def agent_view(agent: Agent, version: AgentVersion) -> dict[str, Any]:
    """GetAgentResponseModel for `version` of `agent`."""
    return {
        "agent_id": agent.agent_id,
        "name": agent.name,
        "conversation_config": version.conversation_config,
        "metadata": {
            "created_at_unix_secs": agent.created_at_unix_secs,
            "updated_at_unix_secs": agent.updated_at_unix_secs,
        },
        "platform_settings": version.platform_settings,
        "phone_numbers": [],
        "workflow": version.workflow,
        "access_info": ACCESS_INFO,
        "tags": agent.tags,
        "version_id": version.id,
        "branch_id": version.branch_id,
        "main_branch_id": agent.main_branch_id,
    }


def agent_summary(agent: Agent) -> dict[str, Any]:
    """AgentSummaryResponseModel."""
    tts = agent.tip(agent.main_branch_id).conversation_config.get("tts") or {}
    return {
        "agent_id": agent.agent_id,
        "name": agent.name,
        "voice_id": tts.get("voice_id") or "",
        "tags": agent.tags,
        "created_at_unix_secs": agent.created_at_unix_secs,
        "updated_at_unix_secs": agent.updated_at_unix_secs,
        "access_info": ACCESS_INFO,
        "last_call_time_unix_secs": agent.last_call_time_unix_secs,
        "archived": agent.archived,
    }
