"""Deleting documents that were superseded by a newer one once no live agent uses them.

Run after the agents are applied (`parley agents apply --target`): only then have they moved
to the new documents. An agent whose apply failed or stopped at drift still has the old id in
its live payload, so its document is kept and collected by a later run.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy.ext.asyncio import AsyncSession

from parley.models import ProviderResource
from parley.providers.errors import ProviderError, ProviderNotFound
from parley.providers.registry import Providers
from parley.resources import superseded
from parley.resources.items import ResourceItem
from parley.resources.repository import ResourceRepository


async def collect(
    session: AsyncSession, providers: Providers, targets: Sequence[str] | None, *, author: str
) -> list[ResourceItem]:
    """Delete each superseded document no live agent version on its target references."""
    repo = ResourceRepository(session)
    rows = [
        row
        for row in await repo.rows()
        if superseded.ids(row) and (targets is None or row.target in targets)
    ]
    live = {target: await repo.live_payloads(target) for target in {r.target for r in rows}}
    items: list[ResourceItem] = []
    for row in rows:
        kept: list[str] = []
        for old in superseded.ids(row):
            if any(superseded.mentions(payload, old) for payload in live[row.target]):
                kept.append(old)
                continue
            item = await _delete(providers, row, old)
            items.append(item)
            if item.action == "failed":
                kept.append(old)  # tried again by the next apply
            else:
                repo.audit(author, "knowledge.delete", row.name, provider=row.target,
                           remote_id=old, superseded_by=row.remote_id)  # fmt: skip
        if kept != superseded.ids(row):
            row.payload = superseded.stored(row.payload, kept)
    await repo.flush()
    return items


async def _delete(providers: Providers, row: ProviderResource, old: str) -> ResourceItem:
    item = ResourceItem(
        kind=row.kind, name=row.name, target=row.target, action="delete", remote_id=old
    )
    try:
        # Never forced: an agent outside Parley may still use it, and the provider knows.
        await providers.get(row.target).resources.delete_knowledge(old)
    except ProviderNotFound:
        item.notes.append("already gone from the provider")
        return item
    except ProviderError as exc:
        item.action, item.error = "failed", exc.message
        item.notes.append(f"superseded by {row.remote_id}; kept for a later apply")
        return item
    item.notes.append(f"superseded by {row.remote_id} and no longer used by a live agent")
    return item
