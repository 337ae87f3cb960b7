"""Retention: how long conversations and recordings are kept, per agent, and the job that
enforces it (`conversations.retention`).

A conversation's policy is its Parley agent's row if there is one, else the default (`*`); an
agent's row replaces the default as a whole (NULL days = keep forever). Age counts from the
conversation's start. Applying a policy deletes whole conversations older than
`conversation_days` (see `deletion`), then the recordings of those older than `audio_days`.

The jobs facade has no periodic schedule, so nothing runs this daily by itself: run
`parley conversations retention apply` (or `--queue` it for a runner) from cron or similar.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy.ext.asyncio import AsyncSession

from parley.conversations import deletion
from parley.conversations.repository import ConversationRepository
from parley.db.base import utcnow
from parley.errors import InvalidInput, NotFound
from parley.jobs.schemas import JobContext
from parley.models import RetentionPolicy
from parley.models.retention_policy import DEFAULT_POLICY

RETENTION = "conversations.retention"
ACTOR = "retention"


class PolicyIn(BaseModel):
    agent: str = Field(min_length=1, max_length=128, description="Parley agent name, or `*`.")
    audio_days: int | None = Field(default=None, ge=1, description="Keep recordings N days.")
    conversation_days: int | None = Field(
        default=None, ge=1, description="Keep whole conversations N days."
    )


class Policy(PolicyIn):
    model_config = ConfigDict(from_attributes=True)

    updated_at: datetime
    updated_by: str


class RetentionReport(BaseModel):
    conversations_deleted: int = 0
    audio_deleted: int = 0


async def list_policies(session: AsyncSession) -> list[Policy]:
    return [Policy.model_validate(p) for p in await ConversationRepository(session).policies()]


async def set_policy(session: AsyncSession, wanted: PolicyIn, *, actor: str) -> Policy:
    """Create or replace one agent's (or the default) policy."""
    repo = ConversationRepository(session)
    if wanted.agent != DEFAULT_POLICY and await repo.agent_by_name(wanted.agent) is None:
        raise InvalidInput(
            f"no agent {wanted.agent!r}; name a Parley agent or {DEFAULT_POLICY!r} for the default",
            details={"agent": wanted.agent},
        )
    row = await repo.policy(wanted.agent)
    if row is None:
        row = RetentionPolicy(agent=wanted.agent)
        repo.add(row)
    row.audio_days, row.conversation_days = wanted.audio_days, wanted.conversation_days
    row.updated_at, row.updated_by = utcnow(), actor
    repo.audit(actor, "retention.set", f"retention:{wanted.agent}", **wanted.model_dump())
    await repo.flush()
    return Policy.model_validate(row)


async def remove_policy(session: AsyncSession, agent: str, *, actor: str) -> None:
    """Drop an agent's row, so the default applies to it again."""
    repo = ConversationRepository(session)
    row = await repo.policy(agent)
    if row is None:
        raise NotFound(f"no retention policy for {agent!r}", details={"agent": agent})
    await repo.remove(row)
    repo.audit(actor, "retention.remove", f"retention:{agent}")
    await repo.flush()


async def apply(
    session: AsyncSession, *, data_dir: Path, now: datetime | None = None, actor: str = ACTOR
) -> RetentionReport:
    """Enforce every policy once; what was deleted."""
    repo = ConversationRepository(session)
    now = now or utcnow()
    policies = {p.agent: p for p in await repo.policies()}
    default = policies.pop(DEFAULT_POLICY, None)
    # Rows for agents that no longer exist match nothing; their conversations take the default.
    ids = await repo.agent_ids(policies)
    scopes: list[tuple[RetentionPolicy, Sequence[int], bool]] = [
        (policies[name], [agent_id], False) for name, agent_id in sorted(ids.items())
    ]
    if default is not None:
        scopes.append((default, sorted(ids.values()), True))
    report = RetentionReport()
    for policy, agent_ids, others in scopes:
        if policy.conversation_days is not None:
            before = now - timedelta(days=policy.conversation_days)
            while rows := await repo.older_than(before, agent_ids=agent_ids, others=others):
                for row in rows:
                    await deletion.delete_row(
                        repo, row, data_dir=data_dir, actor=actor, reason="retention"
                    )
                    report.conversations_deleted += 1
                await repo.flush()
        if policy.audio_days is not None:
            before = now - timedelta(days=policy.audio_days)
            kw: dict[str, Any] = {"agent_ids": agent_ids, "others": others, "audio": True}
            while rows := await repo.older_than(before, **kw):
                for row in rows:
                    await deletion.delete_audio(
                        repo, row, data_dir=data_dir, actor=actor, reason="retention"
                    )
                    report.audio_deleted += 1
                await repo.flush()
    return report


async def run_job(session: AsyncSession, payload: dict[str, Any], ctx: JobContext) -> None:
    """The `conversations.retention` job (payload unused: policies are read when it runs)."""
    await apply(session, data_dir=ctx.settings.data_dir)
