"""Starts written by the group commit: all recorded, answered only once committed, one bad
record failing alone, and a unit's first assignment kept by whichever start stored it first."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from parley.config import settings_with
from parley.db.engine import session_scope
from parley.experiments import assignment, service
from parley.experiments.assignment import ASSIGNED, Assignment, Claim
from parley.experiments.repository import ExperimentRepository
from parley.models import ConversationStart, ExperimentAssignment, ExperimentSum
from parley.sessions import inbound
from parley.sessions.recorder import InSession, Record, StartCommit
from parley.sessions.schemas import InitiationRequest
from tests.experiments.fixtures import agent_with_versions, running

Sessions = async_sessionmaker[AsyncSession]


def start(agent_id: int, token: str, **values: Any) -> ConversationStart:
    fields: dict[str, Any] = {
        "token": token,
        "kind": "inbound",
        "agent_id": agent_id,
        "version_number": 2,
        "target": "elevenlabs",
        "remote_agent_id": "agent_1",
        "variables": {"advisor_name": "Ana"},
        "status": "started",
        **values,
    }
    return ConversationStart(**fields)


async def an_agent(sessions: Sessions) -> int:
    async with session_scope(sessions) as session:
        return (await agent_with_versions(session)).id


async def tokens(engine: AsyncEngine) -> list[str]:
    async with engine.connect() as conn:
        found = await conn.execute(select(ConversationStart.token).order_by(ConversationStart.id))
        return list(found.scalars())


async def test_concurrent_starts_share_transactions_and_are_all_recorded(
    engine: AsyncEngine, sessions: Sessions
) -> None:
    agent_id = await an_agent(sessions)
    recorder = StartCommit(engine)
    records = [Record(start(agent_id, f"st_{i}")) for i in range(60)]
    answers = await asyncio.gather(*(recorder.record(r) for r in records))
    assert answers == [True] * 60
    assert recorder.batches < 60  # grouped
    assert sorted(await tokens(engine)) == sorted(f"st_{i}" for i in range(60))
    async with engine.connect() as conn:
        row = (await conn.execute(select(ConversationStart).limit(1))).one()
    assert row.variables == {"advisor_name": "Ana"}
    assert row.created_at is not None


async def test_a_bad_start_fails_alone_and_the_others_are_kept(
    engine: AsyncEngine, sessions: Sessions
) -> None:
    agent_id = await an_agent(sessions)
    recorder = StartCommit(engine)
    calls = [recorder.record(Record(start(agent_id, f"ok_{i}"))) for i in range(10)]
    calls.insert(4, recorder.record(Record(start(agent_id, "bad", status=None))))  # NOT NULL
    results = await asyncio.gather(*calls, return_exceptions=True)
    assert isinstance(results[4], IntegrityError)
    assert [r for i, r in enumerate(results) if i != 4] == [True] * 10
    assert sorted(await tokens(engine)) == sorted(f"ok_{i}" for i in range(10))


async def test_a_start_is_answered_only_after_its_batch_committed(
    engine: AsyncEngine, sessions: Sessions
) -> None:
    agent_id = await an_agent(sessions)
    recorder = StartCommit(engine)
    write = recorder.write
    written = asyncio.Event()
    gate = asyncio.Event()

    async def slow_commit(conn: Any, items: Any) -> list[bool]:
        answers = await write(conn, items)
        written.set()
        await gate.wait()  # rows written, transaction still open
        return answers

    recorder.write = slow_commit  # type: ignore[method-assign]
    task = asyncio.create_task(recorder.record(Record(start(agent_id, "st_wait"))))
    await written.wait()
    await asyncio.sleep(0.05)
    assert not task.done()
    assert await tokens(engine) == []  # not visible to anyone else yet
    gate.set()
    assert await task is True
    assert await tokens(engine) == ["st_wait"]


async def test_a_failed_commit_is_an_error_for_every_start_in_it(
    engine: AsyncEngine, sessions: Sessions
) -> None:
    agent_id = await an_agent(sessions)
    recorder = StartCommit(engine)

    async def broken(conn: Any, items: Any) -> list[bool]:
        raise RuntimeError("disk full")

    recorder.write = broken  # type: ignore[method-assign]
    results = await asyncio.gather(
        *(recorder.record(Record(start(agent_id, f"st_{i}"))) for i in range(5)),
        return_exceptions=True,
    )
    assert all(isinstance(r, RuntimeError) for r in results)
    assert await tokens(engine) == []


async def _pick(sessions: Sessions, agent_id: int, unit: str) -> Assignment:
    async with session_scope(sessions) as session:
        picked = await assignment.pick(session, agent_id, ("caller", unit))
    assert picked is not None
    assert picked.claim is not None
    return picked


async def _claims_stored(engine: AsyncEngine) -> tuple[list[int], int]:
    async with engine.connect() as conn:
        arms = list((await conn.execute(select(ExperimentAssignment.arm_id))).scalars())
        assigned = await conn.scalar(
            select(func.sum(ExperimentSum.n)).where(ExperimentSum.metric == ASSIGNED)
        )
    return arms, int(assigned or 0)


@pytest.mark.parametrize("batched", [True, False])
async def test_the_first_stored_assignment_wins_and_the_loser_is_routed_again(
    engine: AsyncEngine, sessions: Sessions, batched: bool
) -> None:
    """Two starts of one caller hashed before either was stored, with the weights changed in
    between so that they picked different arms: whichever is written first keeps the unit."""
    agent_id = await an_agent(sessions)
    async with session_scope(sessions) as session:
        await running(session)
    first = await _pick(sessions, agent_id, "caller-1")
    other = "warmer" if first.arm == "control" else "control"
    async with session_scope(sessions) as session:
        await service.set_weights(session, "opener", {first.arm or "": 1, other: 1_000_000})
    second = await _pick(sessions, agent_id, "caller-1")
    assert second.arm != first.arm
    records = [
        Record(start(agent_id, "st_first"), first.claim),
        Record(start(agent_id, "st_second"), second.claim),
    ]
    if batched:
        recorder = StartCommit(engine)
        answers = await asyncio.gather(*(recorder.record(r) for r in records))
    else:
        async with session_scope(sessions) as session:
            in_session = InSession(session)
            answers = [await in_session.record(r) for r in records]
    assert answers == [True, False]  # the second is not written; its start routes again
    assert await tokens(engine) == ["st_first"]
    arms, assigned = await _claims_stored(engine)
    assert arms == [first.arm_id]
    assert assigned == 1  # counted once, for the unit's one assignment
    async with session_scope(sessions) as session:
        again = await assignment.pick(session, agent_id, ("caller", "caller-1"))
    assert again is not None
    assert (again.arm, again.claim, again.new_unit) == (first.arm, None, False)


async def test_claims_of_one_unit_on_the_same_arm_both_start(
    engine: AsyncEngine, sessions: Sessions
) -> None:
    agent_id = await an_agent(sessions)
    async with session_scope(sessions) as session:
        await running(session)
    picks = [await _pick(sessions, agent_id, "caller-2") for _ in range(2)]
    assert picks[0].arm == picks[1].arm
    recorder = StartCommit(engine)
    answers = await asyncio.gather(
        *(recorder.record(Record(start(agent_id, f"st_{i}"), p.claim)) for i, p in enumerate(picks))
    )
    assert answers == [True, True]
    arms, assigned = await _claims_stored(engine)
    assert (len(arms), assigned) == (1, 1)


class Racing:
    """A recorder before whose first write another start of the same caller stores the unit
    on the other arm."""

    def __init__(self, engine: AsyncEngine, sessions: Sessions) -> None:
        self.sessions = sessions
        self.inner = StartCommit(engine)
        self.records: list[Record] = []

    async def record(self, record: Record) -> bool:
        self.records.append(record)
        if len(self.records) == 1 and record.claim is not None:
            async with session_scope(self.sessions) as session:
                experiment = await ExperimentRepository(session).by_name("opener")
                assert experiment is not None
                rival = next(a.id for a in experiment.arms if a.id != record.claim.arm_id)
                await assignment.store_claims(
                    session, [Claim({**record.claim.row, "arm_id": rival}, ())]
                )
        return await self.inner.record(record)


async def test_an_inbound_start_that_lost_its_claim_is_routed_to_the_stored_arm(
    engine: AsyncEngine, sessions: Sessions, tmp_path: Path
) -> None:
    await an_agent(sessions)
    async with session_scope(sessions) as session:
        await running(session)
    settings = settings_with(data_dir=tmp_path, caller_hash_key="k", database_url="sqlite://")
    racing = Racing(engine, sessions)
    body = InitiationRequest(
        caller_id="+447700900123", agent_id="agent_1", called_number="+15550100", call_sid="CA1"
    )
    async with session_scope(sessions) as session:
        answer = await inbound.initiate(session, settings, body, racing)
    first, second = racing.records
    assert first.claim is not None
    assert second.claim is None  # the second attempt found the stored assignment
    assert second.start is not None
    arms, _ = await _claims_stored(engine)
    assert arms != [first.claim.arm_id]
    async with engine.connect() as conn:
        (row,) = (await conn.execute(select(ConversationStart))).all()
    assert row.token == answer["dynamic_variables"]["parley_start"]
    assert row.arm == answer["dynamic_variables"]["parley_arm"] == second.start.arm
    assert row.arm is not None


class Watching:
    """A recorder noting how many of the engine's connections are out when a start waits."""

    def __init__(self, engine: AsyncEngine) -> None:
        self.engine = engine
        self.inner = StartCommit(engine)
        self.held: list[int] = []

    async def record(self, record: Record) -> bool:
        self.held.append(self.engine.pool.checkedout())  # type: ignore[attr-defined]
        return await self.inner.record(record)


async def test_a_start_waits_for_its_commit_holding_no_connection(
    engine: AsyncEngine, sessions: Sessions, tmp_path: Path
) -> None:
    """Waiting starts holding their read connections could take the whole pool (and each one
    beyond it costs a new connection)."""
    await an_agent(sessions)
    async with session_scope(sessions) as session:
        await running(session)
    settings = settings_with(data_dir=tmp_path, caller_hash_key="k", database_url="sqlite://")
    watching = Watching(engine)
    body = InitiationRequest(
        caller_id="+447700900123", agent_id="agent_1", called_number="+15550100", call_sid="CA1"
    )
    async with sessions() as session:
        answer = await inbound.initiate(session, settings, body, watching)
    assert watching.held == [0]
    assert await tokens(engine) == [answer["dynamic_variables"]["parley_start"]]
