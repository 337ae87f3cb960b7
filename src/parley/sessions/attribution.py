"""Which start a stored conversation came from: the link from flow 3 back to flow 2.

A conversation carries the start token Parley stamped on it (an ElevenLabs dynamic variable,
Ultravox call `metadata`); failing that, the provider's conversation id recorded at start.
The conversations service takes agent, version, experiment and arm from the start found.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from parley.models import ConversationStart
from parley.sessions.repository import StartRepository

STAMP = "parley_start"


def _token(variables: dict[str, Any], metadata: dict[str, Any]) -> str | None:
    labels = metadata.get("labels") if isinstance(metadata.get("labels"), dict) else {}
    value = variables.get(STAMP) or (labels or {}).get(STAMP)
    return str(value) if isinstance(value, str) and value else None


async def start_for(
    session: AsyncSession,
    provider: str,
    remote_id: str,
    variables: dict[str, Any],
    metadata: dict[str, Any],
) -> ConversationStart | None:
    """The start of this conversation, linked to its conversation id when it was not yet."""
    repo = StartRepository(session)
    token = _token(variables, metadata)
    start = await repo.by_token(token) if token else None
    if start is not None and start.target != provider:
        start = None
    if start is None:
        start = await repo.by_remote(provider, remote_id)
    if start is not None and start.remote_conversation_id is None:
        start.remote_conversation_id = remote_id
    return start
