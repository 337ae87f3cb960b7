"""Agents on providers: the three-way plan (spec, last applied, live) and apply with read-back.

For each agent and target, Parley compares what the spec compiles to, what it last wrote (the
live `ProviderAgent` row) and what the provider holds now (projected onto the managed fields):

- no row: `create` (or adopt an identical remote agent left by an interrupted apply);
- the remote agent is gone: `recreate`;
- the live agent differs from what Parley wrote: `drift`, shown field by field and never
  overwritten without `force`;
- otherwise `update` (ElevenLabs: a new version on the same agent), `create` / `reuse`
  (Ultravox: one agent per version; a rollback reuses the earlier version's agent) or
  `unchanged`.

Every write is read back: a field the provider did not keep is reported. Provider calls run
concurrently (bounded per provider by the transport); database writes happen afterwards, in
order, in the caller's unit of work.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence
from contextlib import suppress
from dataclasses import dataclass
from typing import Any, Literal

from sqlalchemy.ext.asyncio import AsyncSession

from parley.agents.diff import RemoteReport, as_changes, diff_specs
from parley.agents.repository import AgentRepository
from parley.db.base import utcnow
from parley.errors import NotFound
from parley.models import Agent, ProviderAgent
from parley.providers.base import AgentProvider, Compiled, RemoteAgent
from parley.providers.errors import ProviderError, ProviderNotFound
from parley.providers.projection import content_key, differences, project
from parley.providers.registry import Providers
from parley.resources.usage import references

TargetAction = Literal[
    "create", "recreate", "update", "reuse", "unchanged", "drift", "blocked", "failed"
]
WRITES = ("create", "recreate", "update", "reuse")


@dataclass(frozen=True)
class Desired:
    """An agent version that should be live on its targets."""

    name: str
    spec: dict[str, Any]
    version: int
    content_hash: str


class TargetItem(RemoteReport):
    action: TargetAction
    version: int


@dataclass
class _Work:
    item: TargetItem
    adapter: AgentProvider
    desired: Desired
    compiled: Compiled
    agent: Agent | None
    live: ProviderAgent | None
    reuse: ProviderAgent | None = None
    result: RemoteAgent | None = None


def payload_key(target: str, payload: dict[str, Any]) -> str:
    """Content identity of a payload. Ultravox names carry the version, so they do not count."""
    return content_key(payload, ignore=("name",) if target == "ultravox" else ())


def _targets_of(desired: Desired, only: Sequence[str] | None) -> list[str]:
    wanted = list(desired.spec.get("targets", []))
    return [t for t in wanted if only is None or t in only]


async def plan(
    session: AsyncSession,
    providers: Providers,
    desired: Sequence[Desired],
    *,
    targets: Sequence[str] | None = None,
) -> list[TargetItem]:
    return [work.item for work in await _plan(session, providers, desired, targets)]


async def _plan(
    session: AsyncSession,
    providers: Providers,
    desired: Sequence[Desired],
    targets: Sequence[str] | None,
) -> list[_Work]:
    repo = AgentRepository(session)
    agents = await repo.by_names(d.name for d in desired)
    rows: dict[tuple[int, str], list[ProviderAgent]] = {}
    for target in {t for d in desired for t in _targets_of(d, targets)}:
        for row in await repo.bindings((a.id for a in agents.values()), target):
            rows.setdefault((row.agent_id, target), []).append(row)

    checked = await _check_voices(providers, desired, targets)
    # Resources (tools, knowledge) apply before agents: compile with their provider ids.
    wanted_targets = {t for d in desired for t in _targets_of(d, targets)}
    refs = {target: await references(session, target) for target in wanted_targets}
    works: list[_Work] = []
    for wanted in desired:
        agent = agents.get(wanted.name)
        spec, voice_note = checked.get(wanted.name, (wanted.spec, None))
        for target in _targets_of(wanted, targets):
            adapter = providers.get(target)
            compiled = adapter.compile(spec, refs[target], version=wanted.version)
            history = rows.get((agent.id, target), []) if agent else []
            live = next((r for r in history if r.live), None)
            key = payload_key(target, compiled.payload)
            reuse = next((r for r in reversed(history) if r.payload_hash == key), None)
            item = TargetItem(
                name=wanted.name,
                target=target,
                action="create",
                version=wanted.version,
                remote_id=live.remote_id if live else None,
                losses=[str(loss) for loss in compiled.losses]
                + [f"{target}: {ref} is referenced but not managed by Parley yet; left out"
                   for ref in compiled.unresolved],
            )  # fmt: skip
            if voice_note is not None and spec is not wanted.spec:
                # A different voice than the spec names is a loss: `loss_policy: fail` stops it.
                item.losses.append(f"{target}: voice.id: {voice_note}")
            elif voice_note is not None:
                item.notes.append(voice_note)
                if not voice_note.startswith("could not check"):
                    item.action = "blocked"  # unknown voice and nothing to fall back to
            works.append(_Work(item, adapter, wanted, compiled, agent, live, reuse))
    await asyncio.gather(*(_compare(work) for work in works))
    return works


async def _check_voices(
    providers: Providers, desired: Sequence[Desired], targets: Sequence[str] | None
) -> dict[str, tuple[dict[str, Any], str | None]]:
    """Each spec whose voice is unknown, with the fallback voice put in and a note saying so.

    Both targets speak with ElevenLabs voices (Ultravox through `externalVoice.elevenLabs`),
    so the ElevenLabs catalogue decides; without an ElevenLabs key nothing is checked.
    """
    from parley.voices.check import check_voice
    from parley.voices.schemas import VoiceCheck
    from parley.voices.service import cache_for, catalogue

    if providers.settings.elevenlabs_api_key is None:
        return {}
    cache = cache_for(providers.settings)
    voiced = [w for w in desired if w.spec.get("voice") and _targets_of(w, targets)]
    ids = sorted({w.spec["voice"]["id"] for w in voiced})

    async def check(voice_id: str) -> VoiceCheck | str:
        try:
            return await check_voice(providers, "elevenlabs", voice_id, cache=cache)
        except ProviderError as exc:
            return f"could not check voice {voice_id}: {exc.message}"

    if ids:
        # Fill the cache once; the concurrent checks below then read it instead of each
        # listing the whole catalogue.
        with suppress(ProviderError):  # each check below reports it
            await catalogue(providers, "elevenlabs", cache)
    # Each distinct voice once, all at the same time (the transport bounds the concurrency).
    checks = dict(zip(ids, await asyncio.gather(*(check(i) for i in ids)), strict=True))
    out: dict[str, tuple[dict[str, Any], str | None]] = {}
    for wanted in voiced:
        voice = wanted.spec["voice"]
        result = checks[voice["id"]]
        if isinstance(result, str):
            out[wanted.name] = (wanted.spec, result)
        elif result.ok:
            continue
        elif result.suggestion is None:
            out[wanted.name] = (wanted.spec, result.message)
        else:
            fallback = {**voice, "id": result.suggestion.voice_id}
            out[wanted.name] = ({**wanted.spec, "voice": fallback}, result.message + " (used)")
    return out


async def _compare(work: _Work) -> None:
    item, live, compiled = work.item, work.live, work.compiled
    if item.action == "blocked":
        return
    if item.losses and work.desired.spec.get("loss_policy") == "fail":
        item.action = "blocked"
        return
    if live is None:
        return
    try:
        remote = await work.adapter.get_agent(live.remote_id)
    except ProviderNotFound:
        item.action = "recreate"
        return
    except ProviderError as exc:
        item.action, item.error = "failed", exc.message
        return
    item.drift = as_changes(differences(live.payload, project(remote.payload, live.payload)))
    same = payload_key(item.target, compiled.payload) == live.payload_hash
    if not same:
        item.changes = diff_specs(live.payload, compiled.payload)
    if item.drift:
        item.action = "drift"
    elif same:
        item.action = "unchanged" if live.version_number == item.version else "reuse"
    elif item.target == "ultravox":
        item.action = "reuse" if work.reuse is not None else "create"
    else:
        item.action = "update"


Progress = Callable[[TargetItem], None]


async def apply(
    session: AsyncSession,
    providers: Providers,
    desired: Sequence[Desired],
    *,
    author: str,
    targets: Sequence[str] | None = None,
    force: bool = False,
    progress: Progress | None = None,
) -> list[TargetItem]:
    """Make each desired version live on its targets; drift is overwritten only with `force`."""
    works = await _plan(session, providers, desired, targets)
    creating = {w.item.target for w in works if w.item.action in ("create", "recreate", "drift")}
    existing: dict[str, dict[str, list[str]]] = {}
    unreachable: dict[str, ProviderError] = {}
    for target in creating:
        try:
            existing[target] = await _names(providers.get(target))
        except ProviderError as exc:
            unreachable[target] = exc

    async def run(work: _Work) -> None:
        try:
            if work.item.target in unreachable and work.item.action in (*WRITES, "drift"):
                raise unreachable[work.item.target]
            await _write(work, force, existing.get(work.item.target, {}))
        except ProviderError as exc:
            work.item.action, work.item.error = "failed", exc.message
        if progress is not None:
            progress(work.item)

    await asyncio.gather(*(run(work) for work in works))
    repo = AgentRepository(session)
    for work in works:
        if work.item.action in WRITES and work.item.error is None:
            _record(repo, work, author)
    await repo.flush()
    return [work.item for work in works]


async def _write(work: _Work, force: bool, existing: dict[str, list[str]]) -> None:
    item, adapter, compiled = work.item, work.adapter, work.compiled
    label = f"parley {item.name} v{item.version} {work.desired.content_hash[7:19]}"
    if item.action == "drift":
        if not force:
            return
        assert work.live is not None
        same = payload_key(item.target, compiled.payload) == work.live.payload_hash
        if item.target == "ultravox" and not same:
            item.action = "create"  # a new version gets its own agent; the drifted one stays
        else:
            item.action = "update"
    if item.action in ("create", "recreate"):
        adopted = await _adoptable(adapter, compiled, existing)
        if adopted is not None:
            work.result, item.adopted = adopted, True
        else:
            work.result = await adapter.create_agent(compiled, version=item.version, label=label)
    elif item.action == "update":
        remote_id = work.live.remote_id if work.live else item.remote_id
        assert remote_id is not None
        work.result = await adapter.update_agent(remote_id, compiled, label=label)
    elif item.action == "reuse":
        source = work.reuse or work.live
        assert source is not None
        try:
            work.result = await adapter.get_agent(source.remote_id)
        except ProviderNotFound:
            # The earlier version's agent was deleted: make a new one instead of failing forever.
            item.action, work.reuse = "create", None
            work.result = await adapter.create_agent(compiled, version=item.version, label=label)
        else:
            held = project(work.result.payload, source.payload)
            item.drift = as_changes(differences(source.payload, held))
            if item.drift and not force:
                item.action = "drift"
                return
            if item.drift:
                item.action = "update"
                work.result = await adapter.update_agent(source.remote_id, compiled, label=label)
            else:
                return
    else:
        return
    item.remote_id = work.result.remote_id
    held = project(work.result.payload, compiled.payload)
    item.not_kept = as_changes(differences(compiled.payload, held))


async def _names(adapter: AgentProvider) -> dict[str, list[str]]:
    """Remote agent ids by name, listed once per apply (not once per agent created)."""
    names: dict[str, list[str]] = {}
    async for summary in adapter.list_agents():
        names.setdefault(summary.name, []).append(summary.remote_id)
    return names


async def _adoptable(
    adapter: AgentProvider, compiled: Compiled, existing: dict[str, list[str]]
) -> RemoteAgent | None:
    """A remote agent identical to what we are about to create: an interrupted earlier apply
    created it but never recorded it. Adopting it keeps re-running apply free of duplicates."""
    for remote_id in existing.get(compiled.payload["name"], []):
        candidate = await adapter.get_agent(remote_id)
        if not differences(compiled.payload, project(candidate.payload, compiled.payload)):
            return candidate
    return None


def _record(repo: AgentRepository, work: _Work, author: str) -> None:
    item, result = work.item, work.result
    if work.agent is None:
        raise NotFound(f"agent {item.name!r} has no Parley version yet: apply it locally first")
    assert result is not None
    payload = work.compiled.payload
    if item.action == "reuse":
        source = work.reuse or work.live
        assert source is not None
        payload = source.payload
    for row in [work.live, work.reuse]:
        if row is not None:
            row.live = False
    existing = work.live if work.live and work.live.version_number == item.version else None
    row = existing or ProviderAgent(
        agent_id=work.agent.id, target=item.target, version_number=item.version
    )
    row.remote_id = result.remote_id
    row.remote_version_id = result.version_id
    row.remote_branch_id = result.branch_id
    row.payload = payload
    row.payload_hash = payload_key(item.target, payload)
    row.losses = item.losses
    row.live = True
    row.applied_at = utcnow()
    if existing is None:
        repo.add(row)
    repo.audit(
        author,
        f"agent.{item.action}",
        item.name,
        provider=item.target,
        version=item.version,
        remote_id=result.remote_id,
        adopted=item.adopted,
    )


async def desired_for(session: AsyncSession, names: Sequence[str]) -> list[Desired]:
    """The current Parley version of each named agent, as what should be live."""
    repo = AgentRepository(session)
    agents = await repo.by_names(names)
    missing = sorted(set(names) - set(agents))
    if missing:
        raise NotFound(f"no agent named {', '.join(map(repr, missing))}")
    current = await repo.current_versions(agents.values())
    return [
        Desired(name, current[agent.id].spec, agent.current_version, current[agent.id].content_hash)
        for name, agent in sorted(agents.items())
    ]
