"""SQL for experiments: lookups, the sticky assignment insert, outcome rows and running sums.

Sums are kept with one upsert that adds a delta (`n = n + :dn`), so concurrent writers on
PostgreSQL never lose an increment and SQLite's serialised writers need no read first.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from functools import cache
from typing import Any, NamedTuple

from sqlalchemy import Row, bindparam, case, func, select, tuple_
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from parley.models import Agent, AgentVersion, ProviderAgent
from parley.models.experiment import (
    Experiment,
    ExperimentArm,
    ExperimentAssignment,
    ExperimentOutcome,
    ExperimentSum,
)

ACTIVE = ("running", "paused")


class Delta(NamedTuple):
    """(Δn, Δsum, Δsum of squares) to add to one arm's sums of one metric for one hour."""

    experiment_id: int
    arm_id: int
    metric: str
    period: datetime
    n: int
    total: float
    squares: float


# Read by every conversation start: built once (building a statement costs more than running it).
_RUNNING_FOR = (
    select(Experiment.id)
    .where(Experiment.agent_id == bindparam("agent_id"), Experiment.status == "running")
    .limit(1)
)


_ROUTING_ROWS = (
    select(
        Experiment.name, Experiment.bucket_version, Experiment.spec, ExperimentArm.id,
        ExperimentArm.name, ExperimentArm.target, ExperimentArm.version_number,
        ExperimentArm.weight, ExperimentArm.paused, ExperimentArm.remote_branch_id,
        ExperimentArm.remote_version_id,
    )
    .join(ExperimentArm, ExperimentArm.experiment_id == Experiment.id)
    .where(Experiment.id == bindparam("experiment_id"))
    .order_by(ExperimentArm.position)
)  # fmt: skip
_ASSIGNED_ARM = select(ExperimentAssignment.arm_id).where(
    ExperimentAssignment.experiment_id == bindparam("experiment_id"),
    ExperimentAssignment.bucket_version == bindparam("bucket_version"),
    ExperimentAssignment.unit == bindparam("unit"),
)


def _insert_for(dialect: str) -> Any:
    return postgresql.insert if dialect == "postgresql" else sqlite.insert


# Written by every start while an experiment runs, so built once per dialect: building an
# upsert (its `excluded` columns) cost more than running it.
@cache
def _first_assignments(dialect: str) -> Any:
    table = ExperimentAssignment.__table__
    return (
        _insert_for(dialect)(table)
        .on_conflict_do_nothing(index_elements=["experiment_id", "bucket_version", "unit"])
        .returning(table.c.experiment_id, table.c.bucket_version, table.c.unit)
    )


@cache
def _add_to_sums(dialect: str) -> Any:
    table = ExperimentSum.__table__
    statement = _insert_for(dialect)(table)
    return statement.on_conflict_do_update(
        index_elements=["experiment_id", "arm_id", "metric", "period"],
        set_={
            "n": table.c.n + statement.excluded.n,
            "total": table.c.total + statement.excluded.total,
            "total_squares": table.c.total_squares + statement.excluded.total_squares,
        },
    )


class ExperimentRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    def _insert(self) -> Any:
        return _insert_for(self.session.get_bind().dialect.name)

    def add(self, experiment: Experiment) -> None:
        self.session.add(experiment)

    async def flush(self) -> None:
        await self.session.flush()

    async def by_name(self, name: str) -> Experiment | None:
        return (
            await self.session.execute(select(Experiment).where(Experiment.name == name))
        ).scalar_one_or_none()

    async def all(self, *, agent_id: int | None = None) -> Sequence[Experiment]:
        query = select(Experiment).order_by(Experiment.id)
        if agent_id is not None:
            query = query.where(Experiment.agent_id == agent_id)
        return (await self.session.execute(query)).scalars().all()

    async def running_for(self, agent_id: int) -> Experiment | None:
        """The experiment that routes this agent's new conversations (at most one runs)."""
        # The id first, in Core: most starts find none, and then no ORM work is done at all.
        conn = await self.session.connection()
        found = (await conn.execute(_RUNNING_FOR, {"agent_id": agent_id})).scalar()
        return None if found is None else await self.session.get(Experiment, found)

    async def active_for(self, agent_id: int) -> Sequence[Experiment]:
        query = select(Experiment).where(
            Experiment.agent_id == agent_id, Experiment.status.in_(ACTIVE)
        )
        return (await self.session.execute(query)).scalars().all()

    async def all_running(self) -> Sequence[Experiment]:
        query = select(Experiment).where(Experiment.status == "running").order_by(Experiment.id)
        return (await self.session.execute(query)).scalars().all()

    async def agent(self, name: str) -> Agent | None:
        return (
            await self.session.execute(select(Agent).where(Agent.name == name))
        ).scalar_one_or_none()

    async def agent_by_id(self, agent_id: int) -> Agent | None:
        return await self.session.get(Agent, agent_id)

    async def version_exists(self, agent_id: int, number: int) -> bool:
        query = select(AgentVersion.id).where(
            AgentVersion.agent_id == agent_id, AgentVersion.number == number
        )
        return (await self.session.execute(query)).first() is not None

    async def applied_targets(self, agent_id: int, number: int) -> list[str]:
        query = select(ProviderAgent.target).where(
            ProviderAgent.agent_id == agent_id, ProviderAgent.version_number == number
        )
        return list((await self.session.execute(query)).scalars().all())

    async def binding(self, agent_id: int, target: str, number: int) -> ProviderAgent | None:
        query = select(ProviderAgent).where(
            ProviderAgent.agent_id == agent_id,
            ProviderAgent.target == target,
            ProviderAgent.version_number == number,
        )
        return (await self.session.execute(query)).scalar_one_or_none()

    # -- assignments ---------------------------------------------------------------------------

    async def assigned_arm(self, experiment_id: int, bucket_version: int, unit: str) -> int | None:
        """The arm a unit was first assigned (Core: read by every start while an experiment
        runs)."""
        conn = await self.session.connection()
        params = {"experiment_id": experiment_id, "bucket_version": bucket_version, "unit": unit}
        found = (await conn.execute(_ASSIGNED_ARM, params)).scalar()
        return None if found is None else int(found)

    async def routing_rows(self, experiment_id: int) -> Sequence[Row[Any]]:
        """The experiment's name, bucket version and spec with each arm's routing columns, in
        position order (Core: read by every start while it runs)."""
        conn = await self.session.connection()
        return (await conn.execute(_ROUTING_ROWS, {"experiment_id": experiment_id})).all()

    async def insert_assignments(
        self, rows: Sequence[dict[str, Any]]
    ) -> dict[tuple[int, int, str], tuple[int, bool]]:
        """Store each first assignment unless its unit has one (of two rows for one unit, the
        first counts). Per unit key: the arm it keeps, and whether one of `rows` stored it. One
        INSERT, and one SELECT when some units were stored before."""
        if not rows:
            return {}
        first: dict[tuple[int, int, str], dict[str, Any]] = {}
        for row in rows:
            first.setdefault((row["experiment_id"], row["bucket_version"], row["unit"]), row)
        statement = _first_assignments(self.session.get_bind().dialect.name)
        inserted = {
            tuple(r) for r in (await self.session.execute(statement, list(first.values()))).all()
        }
        kept = {key: (int(row["arm_id"]), True) for key, row in first.items() if key in inserted}
        earlier = [key for key in first if key not in inserted]
        if earlier:
            keys = tuple_(
                ExperimentAssignment.experiment_id,
                ExperimentAssignment.bucket_version,
                ExperimentAssignment.unit,
            )
            query = select(
                ExperimentAssignment.experiment_id,
                ExperimentAssignment.bucket_version,
                ExperimentAssignment.unit,
                ExperimentAssignment.arm_id,
            ).where(keys.in_(earlier))
            for e, b, u, arm_id in (await self.session.execute(query)).all():
                kept[(e, b, u)] = (arm_id, False)
        return kept

    # -- outcomes and sums ---------------------------------------------------------------------

    async def outcome(self, experiment_id: int, conversation_id: int) -> ExperimentOutcome | None:
        return await self.session.get(ExperimentOutcome, (experiment_id, conversation_id))

    async def add_to_sums(
        self,
        experiment_id: int,
        arm_id: int,
        period: datetime,
        deltas: dict[str, tuple[int, float, float]],
    ) -> None:
        """Add (Δn, Δsum, Δsum of squares) per metric to the arm's sums for that hour."""
        table = ExperimentSum.__table__
        for metric, (dn, dsum, dsq) in deltas.items():
            statement = self._insert()(ExperimentSum).values(
                experiment_id=experiment_id,
                arm_id=arm_id,
                metric=metric,
                period=period,
                n=dn,
                total=dsum,
                total_squares=dsq,
            )
            statement = statement.on_conflict_do_update(
                index_elements=["experiment_id", "arm_id", "metric", "period"],
                set_={
                    "n": table.c.n + statement.excluded.n,
                    "total": table.c.total + statement.excluded.total,
                    "total_squares": table.c.total_squares + statement.excluded.total_squares,
                },
            )
            await self.session.execute(statement)

    async def add_deltas(self, deltas: Sequence[Delta]) -> None:
        """Add many deltas in one statement, summed first per (arm, metric, hour): an upsert
        may touch each row once."""
        totals: dict[tuple[int, int, str, datetime], list[float]] = {}
        for d in deltas:
            acc = totals.setdefault((d.experiment_id, d.arm_id, d.metric, d.period), [0, 0.0, 0.0])
            acc[0] += d.n
            acc[1] += d.total
            acc[2] += d.squares
        if not totals:
            return
        statement = _add_to_sums(self.session.get_bind().dialect.name)
        rows = [
            {"experiment_id": e, "arm_id": a, "metric": m, "period": p,
             "n": int(n), "total": t, "total_squares": q}
            for (e, a, m, p), (n, t, q) in totals.items()
        ]  # fmt: skip
        await self.session.execute(statement, rows)

    async def sums(
        self, experiment_id: int, *, before: datetime | None = None
    ) -> list[tuple[int, str, int, float, float]]:
        """(arm id, metric, n, Σy, Σy²) over the periods that started at or before `before`."""
        query = select(
            ExperimentSum.arm_id,
            ExperimentSum.metric,
            func.sum(ExperimentSum.n),
            func.sum(ExperimentSum.total),
            func.sum(ExperimentSum.total_squares),
        ).where(ExperimentSum.experiment_id == experiment_id)
        if before is not None:
            query = query.where(ExperimentSum.period <= before)
        query = query.group_by(ExperimentSum.arm_id, ExperimentSum.metric)
        rows = (await self.session.execute(query)).all()
        return [(a, m, int(n or 0), float(s or 0.0), float(q or 0.0)) for a, m, n, s, q in rows]

    async def sums_split(
        self, experiment_id: int, before: datetime
    ) -> list[tuple[int, str, tuple[int, float, float], tuple[int, float, float]]]:
        """(arm id, metric, sums over every period, sums over the periods ≤ `before`) in one scan
        of the experiment's rows (the report needs both: traffic is current, metrics matured)."""
        matured = ExperimentSum.period <= before
        columns = (ExperimentSum.n, ExperimentSum.total, ExperimentSum.total_squares)
        query = (
            select(
                ExperimentSum.arm_id,
                ExperimentSum.metric,
                *(func.sum(column) for column in columns),
                *(func.sum(case((matured, column), else_=0)) for column in columns),
            )
            .where(ExperimentSum.experiment_id == experiment_id)
            .group_by(ExperimentSum.arm_id, ExperimentSum.metric)
        )
        out = []
        for row in (await self.session.execute(query)).all():
            values: tuple[Any, ...] = tuple(row)
            a, m, n, s, q, mn, ms, mq = values
            out.append(
                (
                    int(a),
                    str(m),
                    (int(n or 0), float(s or 0.0), float(q or 0.0)),
                    (int(mn or 0), float(ms or 0.0), float(mq or 0.0)),
                )
            )
        return out
