"""ORM tables, one per module; importing this package registers all of them on `Base.metadata`."""

from parley.models.agent import Agent, AgentLabel
from parley.models.agent_version import AgentVersion
from parley.models.analytics_rollup import AnalyticsDirty, AnalyticsRollup
from parley.models.api_token import ApiToken
from parley.models.audit_event import AuditEvent
from parley.models.conversation import Conversation, ConversationLabel
from parley.models.conversation_start import ConversationStart
from parley.models.conversation_turn import ConversationTurn
from parley.models.experiment import (
    Experiment,
    ExperimentArm,
    ExperimentAssignment,
    ExperimentOutcome,
    ExperimentSum,
)
from parley.models.job import Job
from parley.models.provider_agent import ProviderAgent
from parley.models.provider_resource import ProviderResource
from parley.models.retention_policy import RetentionPolicy
from parley.models.sync_watermark import SyncWatermark
from parley.models.webhook_event import WebhookEvent

__all__ = [
    "Agent",
    "AgentLabel",
    "AgentVersion",
    "AnalyticsDirty",
    "AnalyticsRollup",
    "ApiToken",
    "AuditEvent",
    "Conversation",
    "ConversationLabel",
    "ConversationStart",
    "ConversationTurn",
    "Experiment",
    "ExperimentArm",
    "ExperimentAssignment",
    "ExperimentOutcome",
    "ExperimentSum",
    "Job",
    "ProviderAgent",
    "ProviderResource",
    "RetentionPolicy",
    "SyncWatermark",
    "WebhookEvent",
]
