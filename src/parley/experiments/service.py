"""Experiment lifecycle: create (draft), start, pause, stop, promote; weights; the status report.

draft → running ⇄ paused → stopped | promoted. Only one experiment per agent runs at a time (it
decides where that agent's new conversations go). Starting checks every arm's version is applied
on its provider, because routing must be able to start a conversation on it right away.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from parley.db.base import utcnow
from parley.errors import Conflict, InvalidInput, NotFound
from parley.experiments import report, serving
from parley.experiments.repository import ExperimentRepository
from parley.experiments.schemas import ArmView, ExperimentReport, ExperimentView
from parley.experiments.spec import ExperimentSpec
from parley.models.experiment import Experiment, ExperimentArm
from parley.providers.registry import Providers

TERMINAL = ("stopped", "promoted")


def view(experiment: Experiment, agent: str) -> ExperimentView:
    spec = experiment.spec
    return ExperimentView(
        name=experiment.name,
        agent=agent,
        status=experiment.status,
        mode=str(spec.get("mode", "fixed")),
        unit=str(spec.get("unit", "caller")),
        metric=str((spec.get("metric") or {}).get("metric", "")),
        promotion=str(spec.get("promotion", "auto")),
        arms=[
            ArmView(
                name=arm.name,
                target=arm.target,
                version=arm.version_number,
                weight=arm.weight,
                paused=arm.paused,
                paused_reason=arm.paused_reason,
                remote_branch_id=arm.remote_branch_id,
                remote_version_id=arm.remote_version_id,
            )
            for arm in experiment.arms
        ],
        winner=experiment.winner,
        decision=experiment.decision,
        spec=spec,
        created_at=experiment.created_at,
        started_at=experiment.started_at,
        ended_at=experiment.ended_at,
    )


async def _agent_name(repo: ExperimentRepository, experiment: Experiment) -> str:
    agent = await repo.agent_by_id(experiment.agent_id)
    return agent.name if agent is not None else "?"


async def get(session: AsyncSession, name: str) -> Experiment:
    experiment = await ExperimentRepository(session).by_name(name)
    if experiment is None:
        raise NotFound(f"no experiment named {name!r}")
    return experiment


async def create(session: AsyncSession, spec: ExperimentSpec) -> ExperimentView:
    repo = ExperimentRepository(session)
    if await repo.by_name(spec.name) is not None:
        raise Conflict(f"an experiment named {spec.name!r} exists already")
    agent = await repo.agent(spec.agent)
    if agent is None:
        raise InvalidInput(f"agent: no agent named {spec.agent!r}")
    arms = []
    for position, arm in enumerate(spec.arms):
        if not await repo.version_exists(agent.id, arm.version):
            raise InvalidInput(
                f"arms[{position}].version: {spec.agent} has no version {arm.version}"
            )
        target = arm.target or await _only_target(repo, agent.id, arm.version, position)
        arms.append(
            ExperimentArm(
                position=position,
                name=arm.name,
                target=target,
                version_number=arm.version,
                weight=arm.weight,
            )
        )
    if len({(a.target, a.version_number) for a in arms}) != len(arms):
        raise InvalidInput("arms: two arms run the same version on the same target")
    experiment = Experiment(
        name=spec.name, agent_id=agent.id, status="draft", spec=spec.model_dump(), arms=arms
    )
    repo.add(experiment)
    try:
        await repo.flush()
    except IntegrityError as exc:
        raise Conflict(f"an experiment named {spec.name!r} exists already") from exc
    return view(experiment, agent.name)


async def _only_target(
    repo: ExperimentRepository, agent_id: int, version: int, position: int
) -> str:
    targets = sorted(set(await repo.applied_targets(agent_id, version)))
    if len(targets) != 1:
        found = ", ".join(targets) if targets else "none"
        raise InvalidInput(
            f"arms[{position}].target: say which provider runs version {version} "
            f"(applied on: {found})"
        )
    return targets[0]


async def list_experiments(
    session: AsyncSession, *, agent: str | None = None
) -> list[ExperimentView]:
    repo = ExperimentRepository(session)
    agent_id = None
    if agent is not None:
        found = await repo.agent(agent)
        if found is None:
            raise NotFound(f"no agent named {agent!r}")
        agent_id = found.id
    return [view(e, await _agent_name(repo, e)) for e in await repo.all(agent_id=agent_id)]


async def show(session: AsyncSession, name: str) -> ExperimentView:
    experiment = await get(session, name)
    return view(experiment, await _agent_name(ExperimentRepository(session), experiment))


async def start(
    session: AsyncSession, name: str, *, providers: Providers | None = None
) -> ExperimentView:
    """Run (or resume) it: arms must be applied, and no other experiment may route the agent.

    With `providers`, each arm gets a provider target serving exactly its version (`serving`);
    without, starts use the applied version's own ids (enough where no arm shares a branch)."""
    repo = ExperimentRepository(session)
    experiment = await get(session, name)
    if experiment.status in TERMINAL:
        raise Conflict(f"{name} is {experiment.status}; create a new experiment to test again")
    if experiment.status == "running":
        return view(experiment, await _agent_name(repo, experiment))
    running = await repo.running_for(experiment.agent_id)
    if running is not None and running.id != experiment.id:
        raise Conflict(f"experiment {running.name!r} already routes this agent; stop it first")
    for arm in experiment.arms:
        if arm.target not in await repo.applied_targets(experiment.agent_id, arm.version_number):
            raise Conflict(
                f"arm {arm.name}: version {arm.version_number} was never applied to "
                f"{arm.target}; run `parley agents apply --remote` with that version first"
            )
    if providers is not None:
        await serving.serve(session, experiment, providers)
    experiment.status = "running"
    experiment.started_at = experiment.started_at or utcnow()
    await repo.flush()
    return view(experiment, await _agent_name(repo, experiment))


async def pause(session: AsyncSession, name: str) -> ExperimentView:
    """New conversations go to the live version meanwhile; assignments are kept."""
    return await _move(session, name, "paused", allowed=("running",))


async def stop(
    session: AsyncSession,
    name: str,
    *,
    reason: str = "stopped by hand",
    providers: Providers | None = None,
) -> ExperimentView:
    experiment = await get(session, name)
    if experiment.status not in TERMINAL:
        experiment.decision = experiment.decision or reason
    stopped = await _move(session, name, "stopped", allowed=("draft", "running", "paused"))
    if providers is not None:
        await serving.retire(session, experiment, providers)
    return stopped


async def _move(
    session: AsyncSession, name: str, status: str, *, allowed: tuple[str, ...]
) -> ExperimentView:
    repo = ExperimentRepository(session)
    experiment = await get(session, name)
    if experiment.status == status:
        return view(experiment, await _agent_name(repo, experiment))
    if experiment.status not in allowed:
        raise Conflict(f"{name} is {experiment.status}; it cannot become {status}")
    experiment.status = status
    if status in TERMINAL:
        experiment.ended_at = utcnow()
    await repo.flush()
    return view(experiment, await _agent_name(repo, experiment))


async def set_weights(
    session: AsyncSession, name: str, weights: dict[str, float]
) -> ExperimentView:
    """New units follow the new weights; every unit assigned so far keeps its arm."""
    repo = ExperimentRepository(session)
    experiment = await get(session, name)
    if experiment.status in TERMINAL:
        raise Conflict(f"{name} is {experiment.status}")
    arms = {arm.name: arm for arm in experiment.arms}
    unknown = sorted(set(weights) - set(arms))
    if unknown:
        raise InvalidInput(f"no arm named {', '.join(map(repr, unknown))} in {name}")
    if any(w <= 0 for w in weights.values()):
        raise InvalidInput("weights must be positive (pause an arm to give it no new units)")
    for arm_name, weight in weights.items():
        arms[arm_name].weight = weight
    await repo.flush()
    return view(experiment, await _agent_name(repo, experiment))


async def set_arm_paused(
    session: AsyncSession, name: str, arm_name: str, *, paused: bool, reason: str | None = None
) -> ExperimentView:
    repo = ExperimentRepository(session)
    experiment = await get(session, name)
    arm = next((a for a in experiment.arms if a.name == arm_name), None)
    if arm is None:
        raise NotFound(f"no arm named {arm_name!r} in {name}")
    if arm.position == 0 and paused:
        raise Conflict("the control arm cannot be paused; stop the experiment instead")
    arm.paused, arm.paused_reason = paused, (reason if paused else None)
    await repo.flush()
    return view(experiment, await _agent_name(repo, experiment))


async def status(
    session: AsyncSession, name: str, *, now: datetime | None = None
) -> ExperimentReport:
    repo = ExperimentRepository(session)
    experiment = await get(session, name)
    current = view(experiment, await _agent_name(repo, experiment))
    return await report.build(repo, experiment, current, now or utcnow())
