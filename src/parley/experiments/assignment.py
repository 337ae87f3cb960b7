"""Sticky assignment where a conversation starts (reference §4.1-§4.3).

A unit (a caller's hashed number, a user id, else the session itself) is hashed with the
experiment's name and bucket version into [0, 1) and mapped onto the arms' weights (GrowthBook
hash v2). The first assignment is stored and always wins, so weight changes and bandit reweights
move only new units. A unit whose arm was paused talks to the control's version, outside the
experiment, so a harmful arm's units neither keep getting it nor pollute the control's numbers.

Exposure is counted separately (`record_exposure`), when the conversation actually started.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from parley.db.base import utcnow
from parley.experiments.repository import ExperimentRepository
from parley.experiments.stats.hashing import choose_arm
from parley.models.experiment import Experiment, ExperimentArm

PERIOD = timedelta(hours=1)
ASSIGNED = "_assigned"
EXPOSURES = "_exposures"
OUTCOMES = "_outcomes"


@dataclass(frozen=True, slots=True)
class Assignment:
    """Where this conversation goes; `experiment`/`arm` are None when it is outside the test."""

    target: str
    version_number: int
    experiment: str | None
    arm: str | None
    experiment_id: int
    arm_id: int
    new_unit: bool
    # Where the provider serves the arm (`serving.py`); None: the applied version's own ids.
    remote_branch_id: str | None = None
    remote_version_id: str | None = None


def period_of(moment: datetime) -> datetime:
    """The hour a moment falls in: sums are kept per arm, metric and hour of exposure."""
    moment = moment.astimezone(UTC)
    return moment.replace(minute=0, second=0, microsecond=0)


def unit_key(experiment: Experiment, unit: tuple[str, str] | None) -> str:
    """`caller:<hash>` / `user:<id>` when the start names the experiment's unit kind; else a
    fresh session unit (the reference's fallback: the conversation itself)."""
    wanted = str(experiment.spec.get("unit", "caller"))
    if unit is not None and unit[0] == wanted and unit[1]:
        return f"{wanted}:{unit[1]}"[:128]
    return f"session:{uuid.uuid4().hex}"


def _by_id(experiment: Experiment, arm_id: int) -> ExperimentArm:
    return next(arm for arm in experiment.arms if arm.id == arm_id)


async def assign(
    session: AsyncSession,
    agent_id: int,
    unit: tuple[str, str] | None,
    *,
    now: datetime | None = None,
) -> Assignment | None:
    """The arm for this unit in the agent's running experiment, or None when none runs."""
    repo = ExperimentRepository(session)
    experiment = await repo.running_for(agent_id)
    if experiment is None:
        return None
    key = unit_key(experiment, unit)
    stored = await repo.assignment(experiment.id, experiment.bucket_version, key)
    new_unit = False
    if stored is None:
        arm, shares = _hash_to_arm(experiment, key)
        new_unit = await repo.insert_assignment(
            {
                "experiment_id": experiment.id,
                "bucket_version": experiment.bucket_version,
                "unit": key,
                "arm_id": arm.id,
                "share": shares[arm.id],
                "assigned_at": now or utcnow(),
            }
        )
        if new_unit:
            await _count_assignment(repo, experiment, arm, shares, now or utcnow())
        else:  # another start stored this unit first: theirs wins
            stored = await repo.assignment(experiment.id, experiment.bucket_version, key)
            assert stored is not None
            arm = _by_id(experiment, stored.arm_id)
    else:
        arm = _by_id(experiment, stored.arm_id)
    if arm.paused:
        control = experiment.arms[0]
        return Assignment(
            control.target,
            control.version_number,
            None,
            None,
            experiment.id,
            arm.id,
            new_unit,
            control.remote_branch_id,
            control.remote_version_id,
        )
    return Assignment(
        arm.target,
        arm.version_number,
        experiment.name,
        arm.name,
        experiment.id,
        arm.id,
        new_unit,
        arm.remote_branch_id,
        arm.remote_version_id,
    )


def _hash_to_arm(experiment: Experiment, key: str) -> tuple[ExperimentArm, dict[int, float]]:
    live = [arm for arm in experiment.arms if not arm.paused]
    total = sum(arm.weight for arm in live)
    shares = {arm.id: (arm.weight / total if not arm.paused else 0.0) for arm in experiment.arms}
    seed = f"{experiment.name}:{experiment.bucket_version}"
    index = choose_arm(key, seed, [arm.weight for arm in live])
    return live[index or 0], shares


async def _count_assignment(
    repo: ExperimentRepository,
    experiment: Experiment,
    chosen: ExperimentArm,
    shares: dict[int, float],
    now: datetime,
) -> None:
    """n counts the arm's new units; Σ counts its expected share at each assignment (SRM)."""
    period = period_of(now)
    for arm in experiment.arms:
        await repo.add_to_sums(
            experiment.id,
            arm.id,
            period,
            {ASSIGNED: (1 if arm.id == chosen.id else 0, shares[arm.id], 0.0)},
        )


async def record_exposure(
    session: AsyncSession, assignment: Assignment, *, at: datetime | None = None
) -> None:
    """Count a conversation that really started on its arm (not when it was only hashed)."""
    if assignment.experiment is None:
        return
    await ExperimentRepository(session).add_to_sums(
        assignment.experiment_id,
        assignment.arm_id,
        period_of(at or utcnow()),
        {EXPOSURES: (1, 0.0, 0.0)},
    )
