"""Tools and knowledge on providers: the three-way plan (spec, last applied, live) and apply.

For each resource and target, Parley compares what the spec compiles to, what it last wrote
(the `ProviderResource` row) and what the provider holds now:

- no row: `create`; the remote object is gone: `recreate`;
- the live object differs from what Parley wrote: `drift`, overwritten only with `force`;
- otherwise `update` (tools change in place), `recreate` (a document cannot be edited in
  place: a new one is made and agents move to it when they are applied) or `unchanged`.

A create first adopts an identical object an interrupted apply left unrecorded (`adoption`).
A recreated document's old id is kept on the row until no live agent uses it; then
`collect_garbage` (run after the agents are applied) deletes it. Every write is read back.
Resources are applied before the agents that use them, so agents compile with the providers'
ids (`usage.references`). Nothing here commits.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from parley.agents.diff import as_changes, diff_specs
from parley.agents.spec import AgentSpec
from parley.db.base import utcnow
from parley.errors import Conflict, NotFound
from parley.models import ProviderResource
from parley.providers.base import CompiledResource, RemoteResource, ResourceProvider
from parley.providers.errors import ProviderError, ProviderNotFound
from parley.providers.projection import content_key, differences, project
from parley.providers.registry import Providers
from parley.resources import adoption, superseded, usage
from parley.resources.garbage import collect as collect_garbage
from parley.resources.items import ResourceAction, ResourceItem
from parley.resources.repository import ResourceRepository
from parley.resources.spec import KnowledgeSpec, ResourceSpec

__all__ = ["ResourceAction", "ResourceItem", "SourcedResource", "collect_garbage"]
CREATES = ("create", "recreate")
WRITES = ("create", "recreate", "update")


@dataclass(frozen=True)
class SourcedResource:
    """A resource spec and the folder its file sources are relative to."""

    spec: ResourceSpec
    base_dir: Path | None = None

    def content(self) -> bytes | None:
        """The bytes of a file source (read at plan time, so a changed file plans a change)."""
        if not isinstance(self.spec, KnowledgeSpec) or self.spec.source.file is None:
            return None
        return ((self.base_dir or Path()) / self.spec.source.file).read_bytes()


@dataclass
class _Work:
    item: ResourceItem
    provider: ResourceProvider
    compiled: CompiledResource
    row: ProviderResource | None
    result: RemoteResource | None = None
    gone: bool = False  # the row's remote object no longer exists: nothing to supersede


def payload_key(payload: dict[str, Any]) -> str:
    return content_key(payload)


def _visible(payload: dict[str, Any], compiled: CompiledResource) -> dict[str, Any]:
    return {k: v for k, v in payload.items() if k not in compiled.write_only}


async def plan(
    session: AsyncSession,
    providers: Providers,
    resources: Sequence[SourcedResource],
    *,
    agents: Sequence[AgentSpec] = (),
    targets: Sequence[str] | None = None,
) -> list[ResourceItem]:
    return [w.item for w in await _plan(session, providers, resources, agents, targets)]


async def _plan(
    session: AsyncSession,
    providers: Providers,
    resources: Sequence[SourcedResource],
    agents: Sequence[AgentSpec],
    targets: Sequence[str] | None,
) -> list[_Work]:
    repo = ResourceRepository(session)
    rows = {(r.kind, r.name, r.target): r for r in await repo.rows()}
    ordered = sorted(resources, key=lambda r: (r.spec.kind != "tool", r.spec.name))
    keys = [(r.spec.kind, r.spec.name) for r in ordered]
    where = usage.wanted_targets(keys, agents, await usage.managed_targets(session), targets)
    works: list[_Work] = []
    for sourced in ordered:
        spec, kind = sourced.spec, sourced.spec.kind
        data, content = spec.model_dump(mode="json"), sourced.content()
        for target in where[(kind, spec.name)]:
            provider = providers.get(target).resources
            compiled = provider.compile(kind, data, content)
            row = rows.get((kind, spec.name, target))
            item = ResourceItem(
                kind=kind,
                name=spec.name,
                target=target,
                action="create",
                remote_id=row.remote_id if row else None,
                losses=[str(loss) for loss in compiled.losses],
            )
            if compiled.errors:
                item.action = "blocked"
                item.notes.extend(f"{target}: {e}" for e in compiled.errors)
            works.append(_Work(item, provider, compiled, row))
    await asyncio.gather(*(_compare(work) for work in works))
    return works


async def _compare(work: _Work) -> None:
    item, row, compiled = work.item, work.row, work.compiled
    if row is None or item.action == "blocked":
        return
    try:
        remote = await adoption.get(work.provider, item.kind, row.remote_id)
    except ProviderNotFound:
        item.action, work.gone = "recreate", True
        item.notes.append(f"{row.remote_id} is gone from {item.target}: it will be created again")
        return
    except ProviderError as exc:
        item.action, item.error = "failed", exc.message
        return
    applied = superseded.applied(row)
    sent = _visible(applied, compiled)
    item.drift = as_changes(differences(sent, project(remote.payload, sent)))
    same = payload_key(compiled.payload) == row.payload_hash
    if not same:
        item.changes = diff_specs(applied, compiled.payload)
    if item.drift:
        item.action = "drift"
    elif same:
        item.action = "unchanged"
    else:
        item.action = "update" if item.kind == "tool" else "recreate"


async def apply(
    session: AsyncSession,
    providers: Providers,
    resources: Sequence[SourcedResource],
    *,
    author: str,
    agents: Sequence[AgentSpec] = (),
    targets: Sequence[str] | None = None,
    force: bool = False,
) -> list[ResourceItem]:
    """Make each resource current on its targets; drift is overwritten only with `force`."""
    works = await _plan(session, providers, resources, agents, targets)
    repo = ResourceRepository(session)
    known: dict[str, set[str]] = {}  # target -> every id Parley holds there, never adopted
    for row in await repo.rows():
        known.setdefault(row.target, set()).update([row.remote_id, *superseded.ids(row)])
    creating = [w for w in works if _creates(w.item, force)]
    pairs = [(w.item.target, w.item.kind) for w in creating]
    existing, unreachable = await adoption.listings(providers, pairs)

    async def run(work: _Work) -> None:
        pair = (work.item.target, work.item.kind)
        try:
            if pair in unreachable and _creates(work.item, force):
                raise unreachable[pair]
            names = existing.get(pair, {})
            await _write(work, force, names, known.get(work.item.target, set()))
        except ProviderError as exc:
            work.item.action, work.item.error = "failed", exc.message

    await asyncio.gather(*(run(work) for work in works))
    for work in works:
        if work.item.action in WRITES and work.result is not None:
            _record(repo, work, author)
    await repo.flush()  # agents planned next in this unit of work read these ids
    return [work.item for work in works]


def _creates(item: ResourceItem, force: bool) -> bool:
    """Whether applying makes a new remote object (a forced drifted document is recreated)."""
    forced = force and item.action == "drift" and item.kind == "knowledge"
    return item.action in CREATES or forced


async def _write(work: _Work, force: bool, existing: adoption.Names, known: set[str]) -> None:
    item, provider, compiled = work.item, work.provider, work.compiled
    if item.action == "drift":
        if not force:
            return
        item.action = "update" if item.kind == "tool" else "recreate"
    if item.action == "update" and work.row is not None:
        work.result = await provider.update_tool(work.row.remote_id, compiled)
    elif item.action in CREATES:
        adopted = await adoption.adoptable(provider, compiled, existing, known)
        if adopted is not None:
            work.result, item.adopted = adopted, True
            item.notes.append("adopted: an earlier, interrupted apply had created it")
        elif item.kind == "tool":
            work.result = await provider.create_tool(compiled)
        else:
            work.result = await provider.create_knowledge(compiled)
        if item.kind == "knowledge" and work.row is not None and not work.gone:
            item.notes.append(
                f"the earlier document {work.row.remote_id} stays while live agents use it; "
                "it is deleted once the agents using it are applied"
            )
    else:
        return
    item.remote_id = work.result.remote_id
    sent = compiled.visible()
    item.not_kept = as_changes(differences(sent, project(work.result.payload, sent)))


def _record(repo: ResourceRepository, work: _Work, author: str) -> None:
    item, result = work.item, work.result
    assert result is not None
    row = work.row or ProviderResource(kind=item.kind, name=item.name, target=item.target)
    old = superseded.ids(row) if work.row is not None else []
    if item.kind == "knowledge" and work.row is not None and not work.gone:
        # The agents still name the old document until they are applied: keep its id so
        # `collect_garbage` can delete it then, instead of losing track of it here.
        old = [*old, row.remote_id] if row.remote_id != result.remote_id else old
    row.remote_id = result.remote_id
    row.payload = superseded.stored(work.compiled.payload, old)
    row.payload_hash = payload_key(work.compiled.payload)
    row.applied_at = utcnow()
    if work.row is None:
        repo.add(row)
    repo.audit(author, f"{item.kind}.{item.action}", item.name, provider=item.target,
               remote_id=result.remote_id, adopted=item.adopted)  # fmt: skip


async def delete(
    session: AsyncSession,
    providers: Providers,
    kind: str,
    name: str,
    target: str,
    *,
    author: str,
    force: bool = False,
) -> ResourceItem:
    """Delete a managed resource from `target`; refused while live agents there still use it."""
    repo = ResourceRepository(session)
    row = await repo.row(kind, name, target)
    if row is None:
        raise NotFound(f"{kind} {name!r} is not managed by Parley on {target}")
    users = await usage.dependents(session, kind, name, target)
    if users and not force:
        raise Conflict(
            f"{kind} {name} is used by: {', '.join(users)}; "
            "apply those agents without it first, or pass --force",
            details={"used_by": users},
        )
    provider = providers.get(target).resources
    # Superseded documents go too: once the row is forgotten nothing would ever collect them.
    for remote_id in [row.remote_id, *superseded.ids(row)]:
        try:
            if kind == "tool":
                await provider.delete_tool(remote_id, force=force)
            else:
                await provider.delete_knowledge(remote_id, force=force)
        except ProviderNotFound:
            pass  # already gone on the provider: forgetting it is all that is left
    item = ResourceItem(kind=kind, name=name, target=target, action="delete",
                        remote_id=row.remote_id)  # fmt: skip
    if users:
        item.notes.append(f"still used by {', '.join(users)} (forced)")
    if superseded.ids(row):
        item.notes.append(f"also deleted superseded {', '.join(superseded.ids(row))}")
    await repo.delete(row)
    repo.audit(author, f"{kind}.delete", name, provider=target, remote_id=row.remote_id,
               forced=bool(users))  # fmt: skip
    await repo.flush()
    return item
