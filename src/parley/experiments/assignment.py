"""Sticky assignment where a conversation starts (reference §4.1-§4.3).

A unit (a caller's hashed number, a user id, else the session itself) is hashed with the
experiment's name and bucket version into [0, 1) and mapped onto the arms' weights (GrowthBook
hash v2). The first assignment is stored and always wins, so weight changes and bandit reweights
move only new units. A unit whose arm was paused talks to the control's version, outside the
experiment, so a harmful arm's units neither keep getting it nor pollute the control's numbers.

`pick` decides without writing and hands back the `Claim` a new unit's first assignment needs;
starts store claims in batches (`store_claims`, from `sessions/recorder.py`) and route again when
another start stored the unit first on another arm. `assign` is both steps in one session.
Exposure is counted separately (`exposure`), when the conversation actually started.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from parley.db.base import utcnow
from parley.experiments.repository import Delta, ExperimentRepository
from parley.experiments.stats.hashing import choose_arm
from parley.models.experiment import Experiment

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
    # A new unit's first assignment, while it is not stored yet (`pick`).
    claim: Claim | None = None


@dataclass(frozen=True, slots=True)
class Claim:
    """A unit's first assignment, hashed but not stored: the row, and the SRM sums it adds when
    it is the one stored."""

    row: dict[str, Any]
    sums: tuple[Delta, ...]

    @property
    def key(self) -> tuple[int, int, str]:
        return (self.row["experiment_id"], self.row["bucket_version"], self.row["unit"])

    @property
    def arm_id(self) -> int:
        return int(self.row["arm_id"])


@dataclass(frozen=True, slots=True)
class ArmRoute:
    """What routing reads of one arm."""

    id: int
    name: str
    target: str
    version_number: int
    weight: float
    paused: bool
    remote_branch_id: str | None = None
    remote_version_id: str | None = None


@dataclass(frozen=True, slots=True)
class Running:
    """What routing reads of a running experiment: plain values, read in one statement on the
    start path (`running`) instead of ORM entities; arms in position order, control first."""

    id: int
    name: str
    bucket_version: int
    unit: str
    arms: tuple[ArmRoute, ...]

    @classmethod
    def of(cls, experiment: Experiment) -> Running:
        arms = tuple(
            ArmRoute(a.id, a.name, a.target, a.version_number, a.weight, a.paused,
                     a.remote_branch_id, a.remote_version_id)
            for a in experiment.arms
        )  # fmt: skip
        return cls(experiment.id, experiment.name, experiment.bucket_version,
                   _unit_of(experiment.spec), arms)  # fmt: skip


def _unit_of(spec: dict[str, Any]) -> str:
    return str(spec.get("unit", "caller"))


async def running(session: AsyncSession, experiment_id: int | None) -> Running | None:
    """The experiment's routing values (None for None, or when it has no arms)."""
    if experiment_id is None:
        return None
    rows = await ExperimentRepository(session).routing_rows(experiment_id)
    if not rows:
        return None
    values = [tuple(row) for row in rows]
    name, bucket_version, spec = values[0][0], values[0][1], values[0][2]
    arms = tuple(ArmRoute(*row[3:]) for row in values)
    return Running(experiment_id, name, bucket_version, _unit_of(spec), arms)


@dataclass(frozen=True, slots=True)
class Stored:
    """The arm a unit keeps, and whether this claim is what stored it."""

    arm_id: int
    new: bool


def period_of(moment: datetime) -> datetime:
    """The hour a moment falls in: sums are kept per arm, metric and hour of exposure."""
    moment = moment.astimezone(UTC)
    return moment.replace(minute=0, second=0, microsecond=0)


def unit_key(experiment: Running, unit: tuple[str, str] | None) -> str:
    """`caller:<hash>` / `user:<id>` when the start names the experiment's unit kind; else a
    fresh session unit (the reference's fallback: the conversation itself)."""
    wanted = experiment.unit
    if unit is not None and unit[0] == wanted and unit[1]:
        return f"{wanted}:{unit[1]}"[:128]
    return f"session:{uuid.uuid4().hex}"


def _by_id(experiment: Running, arm_id: int) -> ArmRoute:
    return next(arm for arm in experiment.arms if arm.id == arm_id)


async def pick(
    session: AsyncSession,
    agent_id: int,
    unit: tuple[str, str] | None,
    *,
    now: datetime | None = None,
) -> Assignment | None:
    """The arm for this unit in the agent's running experiment, or None when none runs. Writes
    nothing: a unit seen for the first time comes back with the `claim` to store
    (`store_claims`), and it is sticky only once that is stored."""
    experiment = await ExperimentRepository(session).running_for(agent_id)
    return await pick_in(session, Running.of(experiment) if experiment else None, unit, now=now)


async def pick_in(
    session: AsyncSession,
    experiment: Running | None,
    unit: tuple[str, str] | None,
    *,
    now: datetime | None = None,
) -> Assignment | None:
    """`pick` once the running experiment is known (None: no experiment routes the start)."""
    if experiment is None:
        return None
    key = unit_key(experiment, unit)
    repo = ExperimentRepository(session)
    stored = await repo.assigned_arm(experiment.id, experiment.bucket_version, key)
    if stored is not None:
        return _routed(experiment, _by_id(experiment, stored), new_unit=False)
    arm, shares = _hash_to_arm(experiment, key)
    moment = now or utcnow()
    row = {
        "experiment_id": experiment.id,
        "bucket_version": experiment.bucket_version,
        "unit": key,
        "arm_id": arm.id,
        "share": shares[arm.id],
        "assigned_at": moment,
    }
    claim = Claim(row, _assignment_sums(experiment, arm, shares, moment))
    return _routed(experiment, arm, new_unit=True, claim=claim)


async def assign(
    session: AsyncSession,
    agent_id: int,
    unit: tuple[str, str] | None,
    *,
    now: datetime | None = None,
) -> Assignment | None:
    """`pick`, storing a new unit's first assignment at once in this session; when another
    start stored the unit first, theirs wins."""
    for _ in range(3):  # a second pick finds the stored assignment, so it cannot lose again
        picked = await pick(session, agent_id, unit, now=now)
        if picked is None or picked.claim is None:
            return picked
        (stored,) = await store_claims(session, [picked.claim])
        if stored.arm_id == picked.claim.arm_id:
            return replace(picked, claim=None, new_unit=stored.new)
    raise RuntimeError("the unit's assignment changed while it was being stored")


def _routed(
    experiment: Running, arm: ArmRoute, *, new_unit: bool, claim: Claim | None = None
) -> Assignment:
    # A paused arm's units talk to the control's version, outside the experiment.
    served = experiment.arms[0] if arm.paused else arm
    inside = not arm.paused
    return Assignment(
        served.target,
        served.version_number,
        experiment.name if inside else None,
        arm.name if inside else None,
        experiment.id,
        arm.id,
        new_unit,
        served.remote_branch_id,
        served.remote_version_id,
        claim,
    )


async def store_claims(session: AsyncSession, claims: Sequence[Claim]) -> list[Stored]:
    """Store each unit's first assignment unless one is stored (earlier, or by an earlier claim
    in `claims`), and count the new ones in the SRM sums. Per claim: the arm the unit keeps."""
    repo = ExperimentRepository(session)
    kept = await repo.insert_assignments([claim.row for claim in claims])
    out, seen = [], set()
    for claim in claims:
        arm_id, ours = kept[claim.key]
        new = ours and claim.key not in seen
        seen.add(claim.key)
        out.append(Stored(arm_id, new))
    await repo.add_deltas(
        [d for claim, s in zip(claims, out, strict=True) if s.new for d in claim.sums]
    )
    return out


def _hash_to_arm(experiment: Running, key: str) -> tuple[ArmRoute, dict[int, float]]:
    live = [arm for arm in experiment.arms if not arm.paused]
    total = sum(arm.weight for arm in live)
    shares = {arm.id: (arm.weight / total if not arm.paused else 0.0) for arm in experiment.arms}
    seed = f"{experiment.name}:{experiment.bucket_version}"
    index = choose_arm(key, seed, [arm.weight for arm in live])
    return live[index or 0], shares


def _assignment_sums(
    experiment: Running, chosen: ArmRoute, shares: dict[int, float], now: datetime
) -> tuple[Delta, ...]:
    """n counts the arm's new units; Σ counts its expected share at each assignment (SRM)."""
    period = period_of(now)
    return tuple(
        Delta(experiment.id, arm.id, ASSIGNED, period, 1 if arm.id == chosen.id else 0,
              shares[arm.id], 0.0)
        for arm in experiment.arms
    )  # fmt: skip


def exposure(assignment: Assignment, *, at: datetime | None = None) -> Delta | None:
    """The count of a conversation that really started on its arm (not when it was only
    hashed); None outside the experiment."""
    if assignment.experiment is None:
        return None
    period = period_of(at or utcnow())
    return Delta(assignment.experiment_id, assignment.arm_id, EXPOSURES, period, 1, 0.0, 0.0)
