"""Acting on a report: pause harmful arms, reweight bandits, promote (or recommend) the winner.

`evaluate` runs from the periodic `experiments.evaluate` job and on demand. Promotion makes the
winning arm's version the agent's current version in Parley (a rollback-style new version when
it is not current already) and applies it to the arm's provider, so the provider serves it live
once the experiment stops routing.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from parley.agents import remote
from parley.agents import service as agents
from parley.db.base import utcnow
from parley.errors import Conflict
from parley.experiments import report, service, serving
from parley.experiments.repository import ExperimentRepository
from parley.experiments.schemas import ExperimentReport, ExperimentView
from parley.experiments.spec import ExperimentSpec
from parley.experiments.stats.bandit import thompson_weights
from parley.experiments.stats.moments import ProportionStats
from parley.providers.registry import Providers, credentials

log = logging.getLogger(__name__)


async def evaluate(
    session: AsyncSession,
    name: str,
    *,
    providers: Providers | None,
    now: datetime | None = None,
) -> ExperimentReport:
    """One look at a running experiment and what follows from it; returns the fresh report."""
    now = now or utcnow()
    experiment = await service.get(session, name)
    if experiment.status != "running":
        return await service.status(session, name, now=now)
    spec = ExperimentSpec.model_validate(experiment.spec)
    result = await service.status(session, name, now=now)
    for guard in result.guardrails:
        arm = next(a for a in experiment.arms if a.name == guard.arm)
        if guard.harmed and not arm.paused:
            reason = (
                f"guardrail {guard.metric}: {guard.harm} beyond {guard.margin:g} "
                f"(bound {guard.bound:.4g})"
            )
            await service.set_arm_paused(session, name, arm.name, paused=True, reason=reason)
            log.warning("experiment %s: paused arm %s (%s)", name, arm.name, reason)
    if spec.mode == "bandit":
        await _reweight(session, name, spec, now)
    result = await service.status(session, name, now=now)
    experiment.evaluated_at = now
    if result.decision in ("winner", "control_wins") and result.winner is not None:
        experiment.winner = result.winner
        experiment.decision = _explain(result)
        if spec.promotion == "auto":
            await promote(session, name, arm=result.winner, providers=providers)
            return await service.status(session, name, now=now)
    await session.flush()
    return result


def _explain(result: ExperimentReport) -> str:
    winner = next(row for row in result.primary.arms if row.arm == result.winner)
    if result.decision == "control_wins":
        return f"control {winner.arm} wins: every treatment is worse on {result.primary.metric}"
    interval = winner.absolute
    span = f" ({interval.lower:+.4g} to {interval.upper:+.4g})" if interval else ""
    return (
        f"{winner.arm} is better on {result.primary.metric}: "
        f"{winner.mean:.4g} vs {result.primary.arms[0].mean:.4g}{span}, "
        f"adjusted p {winner.adjusted_p_value:.3g}"
    )


async def _reweight(session: AsyncSession, name: str, spec: ExperimentSpec, now: datetime) -> None:
    """Thompson sampling on matured outcomes, at most every `reweight_minutes` (§4.14)."""
    experiment = await service.get(session, name)
    every = timedelta(minutes=spec.bandit.reweight_minutes)
    if experiment.reweighted_at is not None and now - experiment.reweighted_at < every:
        return
    live = [arm for arm in experiment.arms if not arm.paused]
    if len(live) < 2:
        return
    _, matured = await report.load_sums(ExperimentRepository(session), experiment, now)
    stats = [report.arm_stats(matured, arm.id, spec.metric.metric, "binary") for arm in live]
    weights = thompson_weights(
        [s for s in stats if isinstance(s, ProportionStats)],
        seed=int(now.timestamp()),
        floor=spec.bandit.floor,
        burn_in=spec.bandit.burn_in,
    )
    for arm, weight in zip(live, weights, strict=True):
        arm.weight = weight
    experiment.reweighted_at = now
    await session.flush()


async def promote(
    session: AsyncSession,
    name: str,
    *,
    arm: str | None = None,
    providers: Providers | None,
    author: str = "",
) -> ExperimentView:
    """Make the arm's version (the recorded winner by default) the agent's live version."""
    repo = ExperimentRepository(session)
    experiment = await service.get(session, name)
    if experiment.status in ("draft", "promoted"):
        raise Conflict(f"{name} is {experiment.status}; only a started experiment is promoted")
    chosen_name = arm or experiment.winner
    if chosen_name is None:
        raise Conflict(f"{name} has no winner yet; name the arm to promote")
    chosen = next((a for a in experiment.arms if a.name == chosen_name), None)
    if chosen is None:
        raise Conflict(f"no arm named {chosen_name!r} in {name}")
    agent = await repo.agent_by_id(experiment.agent_id)
    assert agent is not None
    who = author or f"experiment:{name}"
    if agent.current_version != chosen.version_number:
        await agents.rollback(
            session,
            agent.name,
            chosen.version_number,
            author=who,
            message=f"promoted by experiment {name} (arm {chosen.name})",
        )
    if providers is not None and credentials(providers.settings, chosen.target)[0]:
        desired = await remote.desired_for(session, [agent.name])
        items = await remote.apply(session, providers, desired, author=who, targets=[chosen.target])
        failed = [item for item in items if item.error]
        if failed:
            raise Conflict(
                f"promotion of {chosen.name} failed on {chosen.target}: {failed[0].error}"
            )
    if providers is not None:
        await serving.retire(session, experiment, providers)
    experiment.status = "promoted"
    experiment.winner = chosen.name
    experiment.decision = experiment.decision or f"{chosen.name} promoted by hand"
    experiment.ended_at = utcnow()
    await repo.flush()
    return service.view(experiment, agent.name)


async def evaluate_all(
    session: AsyncSession, *, providers: Providers | None, now: datetime | None = None
) -> list[ExperimentReport]:
    """Every running experiment, one after the other (the periodic job)."""
    names = [e.name for e in await ExperimentRepository(session).all_running()]
    return [await evaluate(session, n, providers=providers, now=now) for n in names]
