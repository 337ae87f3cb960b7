"""Writing what a start leaves behind: its start record, its unit's first experiment
assignment, its exposure.

Each start hands its writes over as a `Record`, to one of two recorders that run the same
statements (`write`):

- `StartCommit`, for the API: a group commit per process (`db.group_commit`), so concurrent
  starts share one transaction and each is answered only after it has committed. On SQLite the
  process's starts thus become one writer taking a few statements per batch, instead of every
  request queueing on the database's write lock.
- `InSession`, for the CLI and tests: into the caller's session, which the caller commits.

A new unit's first assignment was hashed from what the start read (`assignment.pick`); when
another start stored the unit first, on another arm, this start's record is not written
(`record` answers False) and the start is routed again: the first assignment stored wins.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

from parley.db import group_commit
from parley.experiments.assignment import Claim, store_claims
from parley.experiments.repository import Delta, ExperimentRepository
from parley.models import ConversationStart
from parley.sessions.repository import StartRepository


@dataclass(frozen=True)
class Record:
    """One start's writes; any part may be missing (a claim made before a provider call)."""

    start: ConversationStart | None = None
    claim: Claim | None = None
    exposure: Delta | None = None


class Recorder(Protocol):
    async def record(self, record: Record) -> bool:
        """Write `record`; False, writing nothing, when its claim lost to another arm."""
        ...


async def write(session: AsyncSession, records: Sequence[Record]) -> list[bool]:
    """Write `records` in `session`: claims first (a write, so SQLite takes its write lock
    before anything reads), then the sums and the start records of those not rerouted."""
    claims = [r.claim for r in records if r.claim is not None]
    stored = iter(await store_claims(session, claims) if claims else [])
    kept = []
    for r in records:
        kept.append(r.claim is None or next(stored).arm_id == r.claim.arm_id)
    written = [r for r, ok in zip(records, kept, strict=True) if ok]
    await ExperimentRepository(session).add_deltas(
        [r.exposure for r in written if r.exposure is not None]
    )
    await StartRepository(session).insert_starts([r.start for r in written if r.start])
    return kept


class InSession:
    """Writes into one session; its owner commits."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def record(self, record: Record) -> bool:
        (kept,) = await write(self.session, [record])
        return kept


async def release_reads(session: AsyncSession, recorder: Recorder) -> None:
    """Hand `session`'s connection back when `recorder` writes elsewhere: the start's reads are
    done, and what follows (the wait for its commit, the provider call) needs no connection.
    Held, waiting starts could take every connection of the pool."""
    if not (isinstance(recorder, InSession) and recorder.session is session):
        await session.close()  # the session stays usable: a start routed again reads anew


class StartCommit(group_commit.GroupCommit[Record, bool]):
    """Group-commits the starts of one engine; share one instance per app."""

    max_batch = 100  # 21 parameters per start record

    async def record(self, record: Record) -> bool:
        return await self.submit(record)

    async def write(self, conn: AsyncConnection, items: Sequence[Record]) -> list[bool]:
        async with AsyncSession(bind=conn) as session:  # joins the batch's transaction
            return await write(session, items)
