"""Reconciliation: page through each provider's conversation list and store what is missing.

Webhooks get lost (ElevenLabs does not retry by default), so `sync` lists every conversation
started since the provider's watermark, fetches those that are new or whose list entry changed,
and stores them. Conversations still running (or still being analysed) are skipped, and the
watermark never moves past the oldest of them, so a later run stores them once they finish.
The watermark is also held back by an overlap window, for conversations that appear in a
provider's list a little after they started.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any, Literal

from sqlalchemy.ext.asyncio import AsyncSession

from parley.config import Settings
from parley.conversations import service
from parley.conversations.callers import hash_key
from parley.conversations.repository import ConversationRepository
from parley.conversations.schemas import ConversationRef, SyncCounts, SyncReport
from parley.db.base import utcnow
from parley.errors import InvalidInput
from parley.followups import service as followups
from parley.jobs.schemas import JobContext
from parley.models import SyncWatermark
from parley.providers.base import AgentProvider
from parley.providers.errors import ProviderNotFound
from parley.providers.registry import PROVIDERS, Providers, credentials

Progress = Callable[[SyncCounts], None]
Outcome = Literal["new", "updated", "unchanged", "live", "gone"]


def configured(providers: Providers, only: str | None = None) -> list[str]:
    """The providers to sync: `only`, else every provider with an API key."""
    if only is not None:
        if only not in PROVIDERS:
            raise InvalidInput(f"unknown provider {only!r}; known: {', '.join(PROVIDERS)}")
        return [only]
    return [name for name in PROVIDERS if credentials(providers.settings, name)[0]]


async def sync(
    session: AsyncSession,
    providers: Providers,
    *,
    provider: str | None = None,
    since: datetime | None = None,
    progress: Progress | None = None,
) -> SyncReport:
    """Backfill every configured provider (or `provider`) from its watermark (or `since`)."""
    if since is not None and since.tzinfo is None:
        raise InvalidInput("--since needs a time zone (e.g. 2026-01-31T00:00:00Z)")
    report = SyncReport()
    key = hash_key(providers.settings)
    overlap = timedelta(seconds=providers.settings.sync_overlap_s)
    for name in configured(providers, provider):
        counts = await _sync_one(session, providers, name, since, key, overlap, progress)
        report.providers.append(counts)
    return report


async def _sync_one(
    session: AsyncSession,
    providers: Providers,
    name: str,
    since: datetime | None,
    key: bytes,
    overlap: timedelta,
    progress: Progress | None,
) -> SyncCounts:
    repo = ConversationRepository(session)
    adapter = providers.get(name)
    mark = await repo.watermark(name)
    start = since or (mark.synced_until if mark else None)
    refs = [ref async for ref in adapter.list_conversations(since=start)]
    stored = await repo.fingerprints(name, (r.remote_id for r in refs))
    counts = SyncCounts(provider=name, seen=len(refs))
    newest: datetime | None = None
    oldest_live: datetime | None = None
    for ref in refs:
        outcome = await _one(
            session, adapter, ref, stored.get(ref.remote_id), key, providers.settings
        )
        if outcome == "live":
            counts.skipped_live += 1
            oldest_live = min(oldest_live or ref.started_at, ref.started_at)
        elif outcome != "gone":
            setattr(counts, outcome, getattr(counts, outcome) + 1)
            newest = max(newest or ref.started_at, ref.started_at)
        if progress is not None:
            progress(counts)
    counts.watermark = await _advance(repo, name, mark, newest, oldest_live, overlap)
    return counts


async def _one(
    session: AsyncSession,
    adapter: AgentProvider,
    ref: ConversationRef,
    stored: str | None,
    key: bytes,
    settings: Settings,
) -> Outcome:
    """Fetch and store one listed conversation unless it is unchanged or still running."""
    if not ref.final:
        return "live"
    if stored == ref.fingerprint:
        return "unchanged"
    try:
        record = await adapter.get_conversation(ref.remote_id)
    except ProviderNotFound:  # deleted between the list and the fetch
        return "gone"
    if not record.final:  # the list was ahead of the conversation itself
        return "live"
    row, created = await service.store(session, record, caller_key=key, fingerprint=ref.fingerprint)
    await followups.schedule(session, row, settings)  # deduplicated per conversation
    return "new" if created else "updated"


async def _advance(
    repo: ConversationRepository,
    name: str,
    mark: SyncWatermark | None,
    newest: datetime | None,
    oldest_live: datetime | None,
    overlap: timedelta,
) -> datetime | None:
    """Move the watermark forward (never back) to just before what the next run must see."""
    now = utcnow()
    if mark is None:
        mark = SyncWatermark(provider=name)
        repo.add(mark)
    candidate = newest - overlap if newest is not None else None
    if oldest_live is not None:
        candidate = min(candidate or oldest_live, oldest_live)
    if candidate is not None and (mark.synced_until is None or candidate > mark.synced_until):
        mark.synced_until = candidate
    mark.last_run_at = mark.updated_at = now
    await repo.flush()
    return mark.synced_until


async def run_job(session: AsyncSession, payload: dict[str, Any], ctx: JobContext) -> None:
    """The periodic `conversations.sync` job: reconcile every provider that has a key."""
    async with Providers(ctx.settings, transports=ctx.transports) as providers:
        if configured(providers):
            await sync(session, providers)
