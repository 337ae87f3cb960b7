"""Agents as code: plan, apply, list, show, history, diff, rollback, archive, export.

Routes, CLI commands and the demo all call these functions with a session; none of them commits
(the caller's unit of work does). Versions are never changed or deleted: rollback appends a new
version whose content equals the old one.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from parley.agents import canonical
from parley.agents.diff import diff_specs
from parley.agents.repository import AgentFilter, AgentRepository
from parley.agents.schemas import (
    AgentDetail,
    AgentSummary,
    AppliedItem,
    ApplyReport,
    Page,
    PlanItem,
    VersionDetail,
    VersionDiff,
    VersionSummary,
)
from parley.agents.spec import AgentSpec
from parley.db.base import utcnow
from parley.errors import Conflict, InvalidInput, NotFound
from parley.models import Agent, AgentLabel, AgentVersion

if TYPE_CHECKING:
    from parley.agents.remote import Desired

MAX_PAGE = 200


@dataclass(frozen=True, slots=True)
class Provenance:
    """Where a spec came from: its file and the git commit it was read at."""

    path: str | None = None
    git_commit: str | None = None
    git_dirty: bool = False


@dataclass(frozen=True, slots=True)
class SourcedSpec:
    spec: AgentSpec
    provenance: Provenance = Provenance()


def parse_ref(ref: str) -> tuple[str, int | None]:
    """`name@3` -> ("name", 3); `name` -> ("name", None)."""
    name, sep, version = ref.partition("@")
    if not sep:
        return name, None
    if not version.isdigit() or int(version) < 1:
        raise InvalidInput(f"{ref!r}: the version after @ must be a number from 1")
    return name, int(version)


def parse_metadata_filters(items: Sequence[str]) -> tuple[tuple[str, str], ...]:
    """`["owner=ana"]` -> label filters for `AgentFilter.metadata`."""
    pairs = []
    for item in items:
        key, sep, value = item.partition("=")
        if not sep or not key:
            raise InvalidInput(f"metadata filter {item!r} is not key=value")
        pairs.append((f"meta.{key}"[:128], value[:256]))
    return tuple(pairs)


def label_value(value: object) -> str:
    """How a metadata value is stored for filtering: text as is, true/false/numbers as JSON,
    so `--meta active=true` finds `active: true`."""
    text = value if isinstance(value, str) else json.dumps(value)
    return text[:256]


async def plan(session: AsyncSession, specs: Sequence[SourcedSpec]) -> list[PlanItem]:
    """What `apply` would do for each spec, with field-level changes against the current version."""
    items, _agents = await _plan(AgentRepository(session), specs)
    return items


async def _plan(
    repo: AgentRepository, specs: Sequence[SourcedSpec]
) -> tuple[list[PlanItem], dict[str, Agent]]:
    agents = await repo.by_names(s.spec.name for s in specs)
    current = await repo.current_versions(agents.values())
    items = []
    for sourced in specs:
        normal = canonical.normalise(sourced.spec)
        digest = canonical.content_hash(sourced.spec)
        agent = agents.get(sourced.spec.name)
        item = PlanItem(
            name=sourced.spec.name,
            action="create",
            file=sourced.provenance.path,
            content_hash=digest,
        )
        if agent is not None:
            version = current[agent.id]
            item.current_version = version.number
            if version.content_hash == digest:
                item.action = "restore" if agent.archived_at else "unchanged"
            else:
                item.action = "update"
                item.changes = diff_specs(version.spec, normal)
        items.append(item)
    return items, agents


async def apply(
    session: AsyncSession, specs: Sequence[SourcedSpec], *, author: str, message: str = ""
) -> ApplyReport:
    """Record a new version for every changed spec; unchanged specs are a no-op."""
    repo = AgentRepository(session)
    planned, agents = await _plan(repo, specs)
    report = ApplyReport(items=[])
    now = utcnow()
    for sourced, item in zip(specs, planned, strict=True):
        agent = agents.get(item.name)
        number = 1 if agent is None else agent.current_version
        if item.action in ("create", "update"):
            number = 1 if agent is None else await _next_number(repo, agent)
            agent = _record(repo, agent, sourced, item.content_hash, number, author, message, now)
            repo.audit(author, f"agent.{item.action}", item.name, version=number, message=message)
        elif item.action == "restore" and agent is not None:
            agent.archived_at = None
            agent.updated_at = now
            repo.audit(author, "agent.restore", item.name, version=number)
        report.items.append(
            AppliedItem(
                name=item.name,
                action=item.action,
                file=item.file,
                version=number,
                content_hash=item.content_hash,
            )
        )
    try:
        await repo.flush()
    except IntegrityError as exc:
        raise Conflict("another apply changed these agents at the same time; run it again") from exc
    return report


async def _next_number(repo: AgentRepository, agent: Agent) -> int:
    # Every new version becomes current, so the current number is the highest; the unique
    # (agent, number) constraint still turns a concurrent writer into a Conflict.
    return agent.current_version + 1


def _record(
    repo: AgentRepository,
    agent: Agent | None,
    sourced: SourcedSpec,
    digest: str,
    number: int,
    author: str,
    message: str,
    now: datetime,
    rollback_of: int | None = None,
) -> Agent:
    spec = sourced.spec
    if agent is None:
        agent = Agent(name=spec.name, current_version=number, created_at=now)
        repo.add(agent)
    agent.description = spec.description
    agent.current_version = number
    agent.updated_at = now
    agent.archived_at = None
    agent.labels = [AgentLabel(key=k, value=v) for k, v in _labels(spec)]
    repo.add(
        AgentVersion(
            agent=agent,
            number=number,
            content_hash=digest,
            spec=canonical.normalise(spec),
            author=author,
            message=message,
            git_commit=sourced.provenance.git_commit,
            git_dirty=sourced.provenance.git_dirty,
            source_path=sourced.provenance.path,
            rollback_of=rollback_of,
            created_at=now,
        )
    )
    return agent


def _labels(spec: AgentSpec) -> list[tuple[str, str]]:
    labels = {("tag", tag) for tag in spec.tags}
    labels |= {("target", target) for target in spec.targets}
    labels |= {(f"meta.{key}"[:128], label_value(value)) for key, value in spec.metadata.items()}
    return sorted(labels)


async def get_agent(session: AsyncSession, name: str, *, include_archived: bool = True) -> Agent:
    agent = await AgentRepository(session).by_name(name)
    if agent is None or (agent.archived_at is not None and not include_archived):
        raise NotFound(f"no agent named {name!r}", details={"agent": name})
    return agent


async def _version(session: AsyncSession, agent: Agent, number: int | None) -> AgentVersion:
    wanted = agent.current_version if number is None else number
    version = await AgentRepository(session).version(agent.id, wanted)
    if version is None:
        raise NotFound(
            f"agent {agent.name!r} has no version {wanted} (latest is {agent.current_version})",
            details={"agent": agent.name, "version": wanted},
        )
    return version


def _summary(agent: Agent, version: AgentVersion) -> AgentSummary:
    spec = version.spec
    return AgentSummary(
        name=agent.name,
        description=agent.description,
        tags=list(spec.get("tags", [])),
        targets=list(spec.get("targets", [])),
        metadata=dict(spec.get("metadata", {})),
        current_version=agent.current_version,
        content_hash=version.content_hash,
        archived=agent.archived_at is not None,
        created_at=agent.created_at,
        updated_at=agent.updated_at,
    )


def _version_summary(agent: Agent, version: AgentVersion) -> VersionSummary:
    return VersionSummary(
        number=version.number,
        content_hash=version.content_hash,
        author=version.author,
        message=version.message,
        git_commit=version.git_commit,
        git_dirty=version.git_dirty,
        source_path=version.source_path,
        rollback_of=version.rollback_of,
        created_at=version.created_at,
        current=version.number == agent.current_version,
    )


def _encode_cursor(value: str) -> str:
    return base64.urlsafe_b64encode(value.encode()).decode().rstrip("=")


def _decode_cursor(cursor: str) -> str:
    try:
        return base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
    except (ValueError, UnicodeDecodeError) as exc:
        raise InvalidInput("the cursor is not one this API handed out") from exc


async def list_agents(
    session: AsyncSession,
    flt: AgentFilter = AgentFilter(),
    *,
    cursor: str | None = None,
    limit: int | None = None,
) -> Page[AgentSummary]:
    """Agents by name, filtered; pass `next_cursor` back to get the next page."""
    if limit is not None and not 1 <= limit <= MAX_PAGE:
        raise InvalidInput(f"limit must be between 1 and {MAX_PAGE}")
    repo = AgentRepository(session)
    after = _decode_cursor(cursor) if cursor else None
    agents = list(await repo.find(flt, after=after, limit=None if limit is None else limit + 1))
    more = limit is not None and len(agents) > limit
    agents = agents[:limit] if limit is not None else agents
    current = await repo.current_versions(agents)
    items = [_summary(agent, current[agent.id]) for agent in agents]
    return Page(items=items, next_cursor=_encode_cursor(agents[-1].name) if more else None)


async def show_agent(session: AsyncSession, name: str) -> AgentDetail:
    agent = await get_agent(session, name)
    version = await _version(session, agent, None)
    return AgentDetail(**_summary(agent, version).model_dump(), spec=version.spec)


async def show_version(session: AsyncSession, name: str, number: int | None) -> VersionDetail:
    agent = await get_agent(session, name)
    version = await _version(session, agent, number)
    return VersionDetail(
        **_version_summary(agent, version).model_dump(), agent=agent.name, spec=version.spec
    )


async def history(
    session: AsyncSession, name: str, *, cursor: str | None = None, limit: int | None = None
) -> Page[VersionSummary]:
    """Versions newest first."""
    if limit is not None and not 1 <= limit <= MAX_PAGE:
        raise InvalidInput(f"limit must be between 1 and {MAX_PAGE}")
    agent = await get_agent(session, name)
    before = None
    if cursor:
        decoded = _decode_cursor(cursor)
        if not decoded.isdigit():
            raise InvalidInput("the cursor is not one this API handed out")
        before = int(decoded)
    fetch = None if limit is None else limit + 1
    versions = list(await AgentRepository(session).versions(agent.id, before=before, limit=fetch))
    more = limit is not None and len(versions) > limit
    versions = versions[:limit] if limit is not None else versions
    next_cursor = _encode_cursor(str(versions[-1].number)) if more else None
    return Page(items=[_version_summary(agent, v) for v in versions], next_cursor=next_cursor)


async def diff(session: AsyncSession, name: str, old: int, new: int) -> VersionDiff:
    agent = await get_agent(session, name)
    before = await _version(session, agent, old)
    after = await _version(session, agent, new)
    return VersionDiff(
        agent=name, from_version=old, to_version=new, changes=diff_specs(before.spec, after.spec)
    )


async def rollback(
    session: AsyncSession, name: str, number: int, *, author: str, message: str = ""
) -> AppliedItem:
    """Make version `number` current again by appending a new version with its content."""
    repo = AgentRepository(session)
    agent = await get_agent(session, name)
    target = await _version(session, agent, number)
    current = await _version(session, agent, None)
    if current.content_hash == target.content_hash:
        return AppliedItem(
            name=name, action="unchanged", version=current.number, content_hash=current.content_hash
        )
    new_number = await _next_number(repo, agent)
    sourced = SourcedSpec(
        AgentSpec.model_validate(target.spec),
        Provenance(target.source_path, target.git_commit, target.git_dirty),
    )
    _record(
        repo,
        agent,
        sourced,
        target.content_hash,
        new_number,
        author,
        message or f"rollback to version {number}",
        utcnow(),
        rollback_of=number,
    )
    repo.audit(author, "agent.rollback", name, version=new_number, rollback_of=number)
    try:
        await repo.flush()
    except IntegrityError as exc:
        raise Conflict(f"{name} changed while rolling back; run the rollback again") from exc
    return AppliedItem(
        name=name, action="update", version=new_number, content_hash=target.content_hash
    )


async def archive(session: AsyncSession, name: str, *, author: str) -> AgentSummary:
    """Hide an agent from lists; its versions stay. Applying its spec again restores it."""
    agent = await get_agent(session, name)
    if agent.archived_at is None:
        agent.archived_at = utcnow()
        AgentRepository(session).audit(author, "agent.archive", name)
    version = await _version(session, agent, None)
    return _summary(agent, version)


async def export(session: AsyncSession, name: str, number: int | None = None) -> str:
    """The YAML of a version (current by default); planning it shows no change."""
    agent = await get_agent(session, name)
    return canonical.to_yaml((await _version(session, agent, number)).spec)


def desired_from_plan(specs: Sequence[SourcedSpec], items: Sequence[PlanItem]) -> list[Desired]:
    """What would be live after applying `specs`: the version number apply would give each."""
    from parley.agents.remote import Desired

    out = []
    for sourced, item in zip(specs, items, strict=True):
        current = item.current_version or 0
        number = current + 1 if item.action in ("create", "update") else current
        out.append(Desired(item.name, canonical.normalise(sourced.spec), number, item.content_hash))
    return out
