"""The job that turns a stored webhook event into a conversation record.

It runs in its own unit of work (the runner commits it together with the job's `done`), reads
the event from the database (never from the job payload, so a replay sees the same bytes) and
is idempotent: a processed event is skipped, and conversations are upserted.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from parley.conversations import service as conversations
from parley.conversations.callers import hash_key
from parley.conversations.repository import ConversationRepository
from parley.conversations.schemas import ConversationRecord
from parley.db.base import utcnow
from parley.followups import service as followups
from parley.jobs.schemas import JobContext
from parley.providers.errors import ProviderNotFound
from parley.providers.registry import Providers, credentials
from parley.webhooks.repository import WebhookRepository
from parley.webhooks.schemas import AttachAudio, RefreshConversation, StoreConversation
from parley.webhooks.service import PROCESS, SCHEMES

__all__ = ["PROCESS", "process"]
_SAFE_NAME = re.compile(r"[^A-Za-z0-9_.-]")


async def process(session: AsyncSession, payload: dict[str, Any], ctx: JobContext) -> None:
    repo = WebhookRepository(session)
    event = await repo.get(int(payload["event_id"]))
    if event is None or event.status == "processed":
        return
    meaning = SCHEMES[event.provider].interpret(json.loads(event.body))
    action = meaning.action
    if isinstance(action, StoreConversation):
        await _store(session, ctx, action.record, action.fingerprint)
    elif isinstance(action, RefreshConversation):
        record = await _refresh(ctx, event.provider, action)
        await _store(session, ctx, record, action.fingerprint)
    elif isinstance(action, AttachAudio):
        await _attach_audio(session, ctx, event.provider, action)
    # The stored body keeps no secrets once the event has served its purpose.
    event.body = json.dumps(meaning.scrubbed, ensure_ascii=False)
    event.scrubbed = True
    event.status = "processed" if action is not None else "ignored"
    event.processed_at = utcnow()
    await session.flush()


async def _store(
    session: AsyncSession, ctx: JobContext, record: ConversationRecord, fingerprint: str
) -> None:
    key = hash_key(ctx.settings)
    row, _ = await conversations.store(session, record, caller_key=key, fingerprint=fingerprint)
    if audio_path(ctx.settings.data_dir, record.provider, record.remote_id).exists():
        row.has_audio = True
        await session.flush()
    # Post-call actions run once per conversation, however often its webhook is delivered.
    await followups.schedule(session, row, ctx.settings)


async def _refresh(
    ctx: JobContext, provider: str, action: RefreshConversation
) -> ConversationRecord:
    """The conversation as the provider's API has it now (with its transcript), else what the
    webhook carried: without an API key the call is stored without turns."""
    if not credentials(ctx.settings, provider)[0]:
        return action.fallback
    async with Providers(ctx.settings, transports=ctx.transports) as built:
        try:
            return await built.get(provider).get_conversation(action.remote_id)
        except ProviderNotFound:  # deleted since: keep what the webhook said
            return action.fallback


async def _attach_audio(
    session: AsyncSession, ctx: JobContext, provider: str, action: AttachAudio
) -> None:
    """Save the recording; mark the conversation if stored. Audio and transcript are sent
    together and may be processed in either order: storing a transcript later looks for the
    file (`_store`), so neither has to wait for the other."""
    if action.audio is not None:
        path = audio_path(ctx.settings.data_dir, provider, action.remote_id, action.suffix)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(action.audio)
    row = await ConversationRepository(session).by_remote(provider, action.remote_id)
    if row is not None:
        row.has_audio = True
        row.updated_at = utcnow()
        await session.flush()


def audio_path(data_dir: Path, provider: str, remote_id: str, suffix: str = "mp3") -> Path:
    """Where `post_call_audio` keeps a recording."""
    return Path(data_dir) / "audio" / provider / f"{_SAFE_NAME.sub('_', remote_id)}.{suffix}"
