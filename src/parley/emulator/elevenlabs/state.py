"""Everything the emulated ElevenLabs workspace holds, as pydantic models (persistable as JSON).

Each resource module defines the models for its own records; this class only gathers them.
"""

from __future__ import annotations

from pydantic import BaseModel, Field

from parley.emulator.elevenlabs.agent_models import Agent
from parley.emulator.elevenlabs.batch_scheduler import BatchCall
from parley.emulator.elevenlabs.conversation_models import Conversation
from parley.emulator.elevenlabs.knowledge_base import KnowledgeDocument
from parley.emulator.elevenlabs.phone_numbers import PhoneNumber
from parley.emulator.elevenlabs.settings import ConvAISettings, WorkspaceSecret, WorkspaceWebhook
from parley.emulator.elevenlabs.test_runs import TestInvocation
from parley.emulator.elevenlabs.testing import AgentTest
from parley.emulator.elevenlabs.tools import ToolRecord
from parley.emulator.elevenlabs.voices import VoiceRecord


class ElevenLabsState(BaseModel):
    # Agents, branches, versions, drafts, deployments (agents.py)
    agents: dict[str, Agent] = Field(default_factory=dict)
    # Conversations with transcripts, analysis, audio metadata (conversations.py, ws.py)
    conversations: dict[str, Conversation] = Field(default_factory=dict)
    # ConvAI settings, workspace webhooks, secrets (settings.py)
    settings: ConvAISettings = Field(default_factory=ConvAISettings)
    webhooks: dict[str, WorkspaceWebhook] = Field(default_factory=dict)
    secrets: dict[str, WorkspaceSecret] = Field(default_factory=dict)
    # Batch calling (batch_calls.py, batch_scheduler.py); single calls live on conversations
    batch_calls: dict[str, BatchCall] = Field(default_factory=dict)
    # Tools, knowledge base, agent tests and invocations, phone numbers
    tools: dict[str, ToolRecord] = Field(default_factory=dict)
    knowledge_base: dict[str, KnowledgeDocument] = Field(default_factory=dict)
    tests: dict[str, AgentTest] = Field(default_factory=dict)
    test_invocations: dict[str, TestInvocation] = Field(default_factory=dict)
    phone_numbers: dict[str, PhoneNumber] = Field(default_factory=dict)
    # Workspace voices beyond the premade catalogue (voices.py)
    voices: dict[str, VoiceRecord] = Field(default_factory=dict)
