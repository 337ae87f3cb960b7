"""Conversations: store a normalised record, list with filters, show one with its transcript.

Routes, CLI commands, reconciliation (sync.py) and, later, the webhook job all call these with
a session; none of them commits. Storing is idempotent: the same provider + remote id updates
the row in place and replaces its turns. Before anything is written, the record is attributed
to a Parley agent and version, the variables its version declares secret are removed, and the
caller's number is reduced to a keyed hash and a masked form.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from parley.conversations import redact
from parley.conversations.callers import caller_hash
from parley.conversations.repository import ConversationFilter, ConversationRepository
from parley.conversations.schemas import (
    ConversationDetail,
    ConversationRecord,
    ConversationSummary,
    Page,
    Turn,
)
from parley.db.base import utcnow
from parley.errors import InvalidInput, NotFound
from parley.experiments import outcomes as experiment_outcomes
from parley.models import Conversation, ConversationTurn
from parley.sessions.attribution import start_for

MAX_PAGE = 200
MAX_LABEL = 256


def parse_label_filters(
    evaluation: Sequence[str], data: Sequence[str]
) -> tuple[tuple[str, str], ...]:
    """`["meeting_booked:success"]`, `["meeting_booked=true"]` -> label filters."""
    labels = []
    for item in evaluation:
        criterion, sep, result = item.partition(":")
        if not sep or not criterion or not result:
            raise InvalidInput(f"evaluation filter {item!r} is not criterion:result")
        labels.append((f"eval.{criterion}", result))
    for item in data:
        field, sep, value = item.partition("=")
        if not sep or not field:
            raise InvalidInput(f"data filter {item!r} is not field=value")
        labels.append((f"data.{field}", value))
    return tuple(labels)


def aware(value: datetime | None) -> datetime | None:
    """Times without a zone are taken as UTC (as every time Parley stores is)."""
    if value is None or value.tzinfo is not None:
        return value
    return value.replace(tzinfo=UTC)


def label_text(value: Any) -> str | None:
    """How a data-collection value is matched: `true`, `3`, `2.5`, or the string itself."""
    if value is None:
        return None
    text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
    return text[:MAX_LABEL]


async def _attribute(
    repo: ConversationRepository, record: ConversationRecord
) -> tuple[int | None, int | None]:
    """(agent id, version number) from the applied versions, else from the call's own hints."""
    remote = [record.remote_agent_id] if record.remote_agent_id else []
    candidates = list(await repo.bindings(record.provider, remote))
    agents = {b.agent_id for b in candidates}
    if len(agents) == 1:
        # Versioned providers name the exact remote version; others have an agent per version.
        if record.remote_version_id and any(b.remote_version_id for b in candidates):
            candidates = [b for b in candidates if b.remote_version_id == record.remote_version_id]
        if record.version_hint is not None and len(candidates) > 1:
            candidates = [b for b in candidates if b.version_number == record.version_hint]
        version = candidates[0].version_number if len(candidates) == 1 else None
        return agents.pop(), version
    if not candidates and record.agent_hint:
        agent = await repo.agent_by_name(record.agent_hint)
        if agent is not None:
            return agent.id, record.version_hint
    return None, None


def _declared_secrets(spec: dict[str, Any] | None) -> set[str]:
    variables = (spec or {}).get("variables") or {}
    return {name for name, var in variables.items() if isinstance(var, dict) and var.get("secret")}


async def store(
    session: AsyncSession, record: ConversationRecord, *, caller_key: bytes, fingerprint: str = ""
) -> tuple[Conversation, bool]:
    """Insert or update the record's row (and replace its turns); True when it was new."""
    repo = ConversationRepository(session)
    agent_id, version = await _attribute(repo, record)
    # A conversation Parley started is attributed by its start (route, experiment arm).
    start = await start_for(
        session, record.provider, record.remote_id, record.dynamic_variables, record.metadata
    )
    if start is not None:
        agent_id, version = start.agent_id, start.version_number
    spec = await repo.version_spec(agent_id, version) if agent_id and version else None
    names = _declared_secrets(spec)
    values = redact.secret_values(record.dynamic_variables, names)
    row = await repo.by_remote(record.provider, record.remote_id)
    created = row is None
    now = utcnow()
    if row is None:
        row = Conversation(provider=record.provider, remote_id=record.remote_id, created_at=now)
        repo.add(row)
    row.agent_id, row.version_number = agent_id, version
    row.agent_name = record.remote_agent_name
    row.remote_agent_id = record.remote_agent_id
    row.remote_branch_id = record.remote_branch_id
    row.remote_version_id = record.remote_version_id
    row.user_id = record.user_id
    if start is not None:
        row.experiment, row.arm = start.experiment, start.arm
    row.caller_hash = (
        caller_hash(record.caller_number, caller_key) if record.caller_number else None
    )
    row.caller_masked = record.caller_masked
    row.channel, row.direction = record.channel, record.direction
    row.started_at, row.ended_at, row.duration_s = (
        record.started_at,
        record.ended_at,
        record.duration_s,
    )
    row.status, row.termination_reason = record.status, record.termination_reason
    row.cost, row.cost_unit = record.cost, record.cost_unit
    row.successful, row.summary = record.successful, record.summary
    row.evaluation = {k: v.model_dump() for k, v in record.evaluation.items()}
    row.data_collection = {k: v.model_dump(mode="json") for k, v in record.data_collection.items()}
    row.dynamic_variables = redact.drop_keys(record.dynamic_variables, names)
    row.metadata_ = record.metadata
    row.has_audio = record.has_audio
    row.raw = redact.replace_text(redact.drop_keys(record.raw, names), values)
    row.fingerprint = fingerprint
    row.normaliser_version = record.normaliser_version
    row.updated_at = now
    await repo.flush()
    turns = [
        _turn_row(i, redact.replace_text(t.model_dump(), values))
        for i, t in enumerate(record.turns)
    ]
    await repo.replace_turns(row, turns)
    await repo.replace_labels(row, _labels(record))
    await repo.reindex(row, [turn.text for turn in turns])
    await repo.flush()
    # An experiment's sums take the conversation's latest outcome, exactly once.
    await experiment_outcomes.observe(session, row, turns=record.turns)
    return row, created


def _turn_row(position: int, turn: dict[str, Any]) -> ConversationTurn:
    return ConversationTurn(position=position, **turn)


def _labels(record: ConversationRecord) -> dict[str, str]:
    labels = {f"eval.{k}"[:128]: v.result[:MAX_LABEL] for k, v in record.evaluation.items()}
    for key, item in record.data_collection.items():
        text = label_text(item.value)
        if text is not None:
            labels[f"data.{key}"[:128]] = text
    return labels


def _encode_cursor(row: Conversation) -> str:
    raw = f"{row.started_at.isoformat()}|{row.id}"
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def _decode_cursor(cursor: str) -> tuple[datetime, int]:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        stamp, _, last = raw.rpartition("|")
        return datetime.fromisoformat(stamp), int(last)
    except (ValueError, UnicodeDecodeError) as exc:
        raise InvalidInput("the cursor is not one this API handed out") from exc


def summary(row: Conversation, agent: str | None) -> ConversationSummary:
    return ConversationSummary(
        id=row.id,
        provider=row.provider,
        remote_id=row.remote_id,
        agent=agent,
        version=row.version_number,
        remote_agent_id=row.remote_agent_id,
        remote_version_id=row.remote_version_id,
        experiment=row.experiment,
        arm=row.arm,
        user_id=row.user_id,
        caller_hash=row.caller_hash,
        caller_masked=row.caller_masked,
        channel=row.channel,
        direction=row.direction,
        started_at=row.started_at,
        ended_at=row.ended_at,
        duration_s=row.duration_s,
        status=row.status,
        termination_reason=row.termination_reason,
        cost=row.cost,
        cost_unit=row.cost_unit,
        successful=row.successful,
        summary=row.summary,
        has_audio=row.has_audio,
    )


async def list_conversations(
    session: AsyncSession,
    flt: ConversationFilter = ConversationFilter(),
    *,
    cursor: str | None = None,
    limit: int = 50,
) -> Page[ConversationSummary]:
    """Newest first; pass `next_cursor` back for the next page."""
    if not 1 <= limit <= MAX_PAGE:
        raise InvalidInput(f"limit must be between 1 and {MAX_PAGE}")
    after = _decode_cursor(cursor) if cursor else None
    rows = list(await ConversationRepository(session).find(flt, after=after, limit=limit + 1))
    more = len(rows) > limit
    rows = rows[:limit]
    return Page(
        items=[summary(row, agent) for row, agent in rows],
        next_cursor=_encode_cursor(rows[-1][0]) if more else None,
    )


async def show(session: AsyncSession, ref: str) -> ConversationDetail:
    """One conversation by Parley id (digits) or by the provider's id, with its turns."""
    repo = ConversationRepository(session)
    row = await repo.by_id(int(ref), with_turns=True) if ref.isdigit() else None
    if row is None:
        row = await repo.by_remote_id(ref)
    if row is None:
        raise NotFound(f"no conversation {ref!r}", details={"conversation": ref})
    return detail(row, await repo.agent_name(row.agent_id))


def detail(row: Conversation, agent: str | None, *, turns: bool = True) -> ConversationDetail:
    """The full record; `turns=False` for a row whose turns were not loaded (left empty)."""
    return ConversationDetail(
        **summary(row, agent).model_dump(),
        evaluation=row.evaluation or {},
        data_collection=row.data_collection or {},
        dynamic_variables=row.dynamic_variables or {},
        metadata=row.metadata_ or {},
        normaliser_version=row.normaliser_version,
        created_at=row.created_at,
        updated_at=row.updated_at,
        turns=[
            Turn(
                role=t.role,
                text=t.text,
                offset_s=t.offset_s,
                interrupted=t.interrupted,
                tool_calls=t.tool_calls or [],
                tool_results=t.tool_results or [],
                latency=t.latency or {},
            )
            for t in (row.turns if turns else [])
        ],
    )
