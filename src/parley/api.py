"""The explicit list of routers the application serves (no auto-discovery)."""

from __future__ import annotations

from fastapi import APIRouter

from parley import health
from parley.agents import routes as agents
from parley.analytics import routes as analytics
from parley.conversations import routes as conversations
from parley.sessions import routes as sessions
from parley.webhooks import routes as webhooks

ROUTERS: list[APIRouter] = [
    health.router,
    agents.router,
    agents.schema_router,
    conversations.router,
    analytics.router,
    sessions.router,
    webhooks.router,
    sessions.webhook_router,
]
