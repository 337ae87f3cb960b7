"""The explicit list of routers the application serves (no auto-discovery)."""

from __future__ import annotations

from fastapi import APIRouter

from parley import health
from parley.agents import routes as agents
from parley.analytics import routes as analytics
from parley.conversations import routes as conversations
from parley.experiments import routes as experiments
from parley.sessions import routes as sessions
from parley.webhooks import routes as webhooks

# Webhooks first: providers post them at the highest rate, and routes are matched in order.
ROUTERS: list[APIRouter] = [
    webhooks.router,
    sessions.webhook_router,
    health.router,
    agents.router,
    agents.schema_router,
    conversations.router,
    analytics.router,
    experiments.router,
    sessions.router,
]
