"""Where a conversation goes: the single place a start's route is decided.

`choose_route` answers which Parley version on which provider target serves this start. Today
that is the version live on the requested target (or on the agent's only live target); the
experiment engine plugs in here, keyed by the `Unit` (a caller's number hash, a user's id
hash, or a one-off session), and its `experiment`/`arm` flow unchanged into the start record
and the provider stamps.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from typing import Literal

from sqlalchemy.ext.asyncio import AsyncSession

from parley.conversations.callers import caller_hash
from parley.errors import Conflict, InvalidInput
from parley.experiments.assignment import Assignment, Claim, pick_in, running
from parley.models import Agent
from parley.sessions.repository import StartRepository

UnitKind = Literal["caller", "user", "session"]


@dataclass(frozen=True)
class Unit:
    """Who a start is for, as a stable key: never a phone number or user id in clear."""

    kind: UnitKind
    value: str  # a keyed hash (caller, user) or a random id (session)

    @classmethod
    def caller(cls, number: str, key: bytes) -> Unit:
        """`number` already normalised to E.164 (`callers.normalise_number`)."""
        return cls("caller", caller_hash(number, key))

    @classmethod
    def user(cls, user_id: str, key: bytes) -> Unit:
        return cls("user", hmac.new(key, f"user:{user_id}".encode(), hashlib.sha256).hexdigest())

    @classmethod
    def session(cls) -> Unit:
        return cls("session", secrets.token_hex(16))


@dataclass(frozen=True)
class Route:
    """A start's destination: `version_number` of the agent on `target`, and the arm if any."""

    target: str
    version_number: int
    experiment: str | None = None
    arm: str | None = None
    # Set when an experiment chose this route; the exposure is counted once the start is made.
    assignment: Assignment | None = None
    # The arm's own serving branch/version on the provider, overriding the applied version's.
    remote_branch_id: str | None = None
    remote_version_id: str | None = None
    # A new unit's first assignment, for the start to store (even when another target was
    # asked for: the unit was assigned, and the SRM check counts every assignment).
    claim: Claim | None = None


async def choose_route(
    session: AsyncSession, agent: Agent, *, unit: Unit | None, target: str | None
) -> Route:
    """The route for one start: the arm of the agent's running experiment (sticky per unit),
    else the live version (`Conflict` when the agent is not live where it is asked to be,
    `InvalidInput` when it is live on several targets and none was named). Reads only: a new
    unit's first assignment travels in `claim` for the start to store."""
    facts = await StartRepository(session).routing(agent.id, target)
    experiment = await running(session, facts.experiment_id)
    picked = await pick_in(session, experiment, (unit.kind, unit.value) if unit else None)
    if picked is not None and target in (None, picked.target):
        return Route(
            target=picked.target,
            version_number=picked.version_number,
            experiment=picked.experiment,
            arm=picked.arm,
            assignment=picked,
            remote_branch_id=picked.remote_branch_id,
            remote_version_id=picked.remote_version_id,
            claim=picked.claim,
        )
    live = facts.live
    if not live:
        where = f" on {target}" if target else ""
        raise Conflict(
            f"agent {agent.name!r} is not applied (live){where}; run `parley agents apply`",
            details={"agent": agent.name, "target": target},
        )
    if len(live) > 1:
        targets = sorted({t for t, _ in live})
        raise InvalidInput(
            f"agent {agent.name!r} is live on {', '.join(targets)}: name a target",
            details={"agent": agent.name, "targets": targets},
        )
    chosen, version = live[0]
    return Route(target=chosen, version_number=version, claim=picked.claim if picked else None)
