"""Experiments on a real database: lifecycle, sticky assignment, outcomes once, the report."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from parley.db.engine import session_scope
from parley.errors import Conflict, InvalidInput, SpecInvalid
from parley.experiments import assignment, decisions, service
from parley.experiments.spec import check
from parley.models import Agent, ExperimentAssignment, ExperimentOutcome
from tests.experiments.fixtures import START, agent_with_versions, conversation, running, spec

Sessions = async_sessionmaker[AsyncSession]


async def test_yaml_problems_name_line_and_field() -> None:
    text = "name: opener\nagent: sales\nmetric: booked\narms:\n  - {name: a, version: 0}\n"
    with pytest.raises(SpecInvalid) as caught:
        check(yaml_text=text, source="exp.yaml")
    problems = caught.value.details["problems"]
    where = {(p["line"], p["path"]) for p in problems}
    assert (3, "metric.metric") in where  # not a known metric
    assert any(p["path"] == "arms[0].version" and p["line"] == 5 for p in problems)
    one_arm = "name: x\nagent: sales\nmetric: duration\narms: [{name: a, version: 1}]\n"
    with pytest.raises(SpecInvalid, match="at least 2"):
        check(yaml_text=one_arm, source="exp.yaml")


async def test_create_checks_agent_versions_and_targets(sessions: Sessions) -> None:
    async with session_scope(sessions) as session:
        await agent_with_versions(session)
        with pytest.raises(InvalidInput, match="no version 7"):
            await service.create(
                session,
                check(
                    spec(arms=[{"name": "a", "version": 1}, {"name": "b", "version": 7}]),
                    source="t",
                ),
            )
        with pytest.raises(InvalidInput, match="no agent named 'nobody'"):
            await service.create(session, check(spec(agent="nobody"), source="t"))
        created = await service.create(session, check(spec(), source="t"))
        assert [a.target for a in created.arms] == ["elevenlabs", "elevenlabs"]
        assert created.status == "draft"
        with pytest.raises(Conflict, match="exists already"):
            await service.create(session, check(spec(), source="t"))


async def test_lifecycle_and_one_running_experiment_per_agent(sessions: Sessions) -> None:
    async with session_scope(sessions) as session:
        await agent_with_versions(session)
        await running(session)
        await service.create(session, check(spec(name="second"), source="t"))
        with pytest.raises(Conflict, match="already routes this agent"):
            await service.start(session, "second")
        assert (await service.pause(session, "opener")).status == "paused"
        assert (await service.start(session, "opener")).status == "running"
        assert (await service.stop(session, "opener")).status == "stopped"
        with pytest.raises(Conflict, match="stopped"):
            await service.start(session, "opener")
        assert (await service.start(session, "second")).status == "running"
        await service.create(session, check(spec(name="third"), source="t"))
        with pytest.raises(Conflict, match="draft"):
            await decisions.promote(session, "third", arm="control", providers=None)


async def test_an_arm_must_be_applied_on_its_target_to_start(sessions: Sessions) -> None:
    async with session_scope(sessions) as session:
        await agent_with_versions(session)
        arms = [
            {"name": "a", "version": 1},
            {"name": "b", "version": 2, "target": "ultravox"},
        ]
        await service.create(session, check(spec(arms=arms), source="t"))
        with pytest.raises(Conflict, match="never applied to ultravox"):
            await service.start(session, "opener")


async def test_assignment_is_sticky_across_weight_changes(sessions: Sessions) -> None:
    units = [("caller", f"hash{i}") for i in range(200)]
    async with session_scope(sessions) as session:
        agent = await agent_with_versions(session)
        await running(session)
        first = {u: await assignment.assign(session, agent.id, u) for u in units}
        arms = [a.arm for a in first.values() if a is not None]
        assert 70 < arms.count("control") < 130  # 50/50 hashing
        await service.set_weights(session, "opener", {"control": 1, "warmer": 9})
        again = {u: await assignment.assign(session, agent.id, u) for u in units}
        assert all(again[u] is not None and not again[u].new_unit for u in units)  # type: ignore[union-attr]
        assert {u: a.arm for u, a in again.items() if a} == {
            u: a.arm for u, a in first.items() if a
        }
        fresh = [
            await assignment.assign(session, agent.id, ("caller", f"new{i}")) for i in range(200)
        ]
        assert sum(1 for a in fresh if a and a.arm == "warmer") > 160  # new units: 90 %
        stored = await session.scalar(select(func.count()).select_from(ExperimentAssignment))
        assert stored == 400
        report = await service.status(session, "opener")
        traffic = {row.arm: row for row in report.traffic}
        assert traffic["control"].assigned + traffic["warmer"].assigned == 400
        # expected counts follow the weights in force at each assignment: 200 * 0.5 + 200 * 0.9
        assert traffic["warmer"].expected_assigned == pytest.approx(280.0)
        assert report.srm is not None
        assert not report.srm.alarm


async def test_other_unit_kinds_and_no_experiment(sessions: Sessions) -> None:
    async with session_scope(sessions) as session:
        agent = await agent_with_versions(session)
        assert await assignment.assign(session, agent.id, ("caller", "x")) is None
        await running(session)
        # a user id does not stick in a caller experiment: each start is its own unit
        picks = {
            (await assignment.assign(session, agent.id, ("user", "u1"))).arm for _ in range(40)
        }  # type: ignore[union-attr]
        assert picks == {"control", "warmer"}


async def test_a_paused_arm_sends_its_units_to_the_control_outside_the_test(
    sessions: Sessions,
) -> None:
    async with session_scope(sessions) as session:
        agent = await agent_with_versions(session)
        await running(session)
        units = [("caller", f"c{i}") for i in range(40)]
        before = {u: await assignment.assign(session, agent.id, u) for u in units}
        await service.set_arm_paused(session, "opener", "warmer", paused=True, reason="harm")
        for unit, first in before.items():
            now = await assignment.assign(session, agent.id, unit)
            assert now is not None
            assert first is not None
            if first.arm == "warmer":
                assert (now.experiment, now.arm, now.version_number) == (None, None, 1)
            else:
                assert now.arm == "control"
        with pytest.raises(Conflict, match="control arm cannot be paused"):
            await service.set_arm_paused(session, "opener", "control", paused=True)


async def test_an_outcome_counts_once_with_its_latest_values(sessions: Sessions) -> None:
    async with session_scope(sessions) as session:
        await agent_with_versions(session)
        await running(session)
        await conversation(session, "c1", "control", booked=False, duration=100)
        await conversation(
            session, "c1", "control", booked=True, duration=120
        )  # redelivered, better
        await conversation(session, "c1", "control", booked=True, duration=120)
        await conversation(session, "c2", "control", booked=None, duration=50)  # not collected
        report = await service.status(session, "opener")
        control = report.primary.arms[0]
        assert (control.n, control.mean) == (1, 1.0)
        assert {row.arm: row.outcomes for row in report.traffic} == {"control": 2, "warmer": 0}
        assert await session.scalar(select(func.count()).select_from(ExperimentOutcome)) == 2


async def _traffic(
    session: AsyncSession, per_arm: int, rates: dict[str, float], durations: dict[str, float]
) -> None:
    for arm, rate in rates.items():
        booked = round(per_arm * rate)
        for i in range(per_arm):
            await conversation(
                session, f"{arm}-{i}", arm, booked=i < booked, duration=durations[arm] + i % 7
            )


async def test_a_clear_winner_is_promoted(sessions: Sessions) -> None:
    async with session_scope(sessions) as session:
        await agent_with_versions(session)
        await running(session, guardrails=[])
        await _traffic(
            session, 20, {"control": 0.25, "warmer": 0.75}, {"control": 60, "warmer": 60}
        )
        early = await service.status(session, "opener")
        assert early.decision == "collecting_data"
        assert early.primary.arms[1].verdict == "collecting_data"
        await _traffic(
            session, 300, {"control": 0.25, "warmer": 0.75}, {"control": 60, "warmer": 60}
        )
        result = await decisions.evaluate(session, "opener", providers=None)
        assert result.decision == "winner"
        assert result.winner == "warmer"
        warmer = result.primary.arms[1]
        assert warmer.absolute is not None
        assert warmer.absolute.lower > 0
        assert warmer.chance_to_beat_control is not None
        assert warmer.chance_to_beat_control > 0.99
        shown = await service.show(session, "opener")
        assert (shown.status, shown.winner) == ("promoted", "warmer")
        agent = await session.scalar(select(Agent).where(Agent.name == "sales"))
        assert agent is not None
        assert agent.current_version == 2


async def test_control_winning_rolls_the_agent_back_to_its_version(sessions: Sessions) -> None:
    async with session_scope(sessions) as session:
        agent = await agent_with_versions(session)
        await running(session, guardrails=[])
        await _traffic(session, 300, {"control": 0.7, "warmer": 0.2}, {"control": 60, "warmer": 60})
        result = await decisions.evaluate(session, "opener", providers=None)
        assert result.decision == "control_wins"
        await session.refresh(agent)
        assert agent.current_version == 3  # a new version with version 1's content


async def test_recommend_only_leaves_it_running(sessions: Sessions) -> None:
    async with session_scope(sessions) as session:
        await agent_with_versions(session)
        await running(session, guardrails=[], promotion="recommend")
        await _traffic(
            session, 300, {"control": 0.25, "warmer": 0.75}, {"control": 60, "warmer": 60}
        )
        await decisions.evaluate(session, "opener", providers=None)
        shown = await service.show(session, "opener")
        assert (shown.status, shown.winner) == ("running", "warmer")
        assert shown.decision is not None
        assert "warmer is better" in shown.decision
        promoted = await decisions.promote(session, "opener", providers=None)
        assert promoted.status == "promoted"


async def test_a_guardrail_pauses_a_harmful_arm(sessions: Sessions) -> None:
    async with session_scope(sessions) as session:
        await agent_with_versions(session)
        await running(session)
        await _traffic(
            session, 200, {"control": 0.5, "warmer": 0.5}, {"control": 60, "warmer": 200}
        )
        result = await decisions.evaluate(session, "opener", providers=None)
        harmed = [g for g in result.guardrails if g.harmed]
        assert [(g.metric, g.arm) for g in harmed] == [("duration", "warmer")]
        shown = await service.show(session, "opener")
        warmer = shown.arms[1]
        assert warmer.paused
        assert warmer.paused_reason
        assert "guardrail duration" in warmer.paused_reason
        assert shown.status == "stopped" or result.decision in ("control_wins", "inconclusive")


async def test_maturity_window_holds_back_recent_hours(sessions: Sessions) -> None:
    async with session_scope(sessions) as session:
        await agent_with_versions(session)
        await running(session, maturity_minutes=30)
        await conversation(session, "old", "control", booked=True, started=START)
        await conversation(
            session, "new", "control", booked=True, started=START + timedelta(hours=3)
        )
        now = START + timedelta(hours=3, minutes=10)
        report = await service.status(session, "opener", now=now)
        assert report.primary.arms[0].n == 1  # the hour of "new" has not matured
        later = await service.status(session, "opener", now=now + timedelta(hours=2))
        assert later.primary.arms[0].n == 2


async def test_bandit_reweights_towards_the_better_arm_with_a_floor(sessions: Sessions) -> None:
    async with session_scope(sessions) as session:
        await agent_with_versions(session)
        await running(
            session,
            guardrails=[],
            mode="bandit",
            bandit={"burn_in": 50, "floor": 0.1},
            promotion="recommend",
        )
        await _traffic(session, 20, {"control": 0.3, "warmer": 0.5}, {"control": 60, "warmer": 60})
        await decisions.evaluate(session, "opener", providers=None, now=START)
        assert [a.weight for a in (await service.show(session, "opener")).arms] == [0.5, 0.5]
        await _traffic(session, 120, {"control": 0.2, "warmer": 0.6}, {"control": 60, "warmer": 60})
        later = START + timedelta(hours=1)
        await decisions.evaluate(session, "opener", providers=None, now=later)
        weights = [a.weight for a in (await service.show(session, "opener")).arms]
        assert weights[1] > 0.85
        assert weights[0] >= 0.1 - 1e-9
        assert sum(weights) == pytest.approx(1.0)


async def test_the_periodic_job_evaluates_every_running_experiment(
    sessions: Sessions, tmp_path: Path
) -> None:
    from parley.config import settings_with
    from parley.experiments import jobs
    from parley.jobs.kinds import handlers
    from parley.jobs.periodic import EXPERIMENTS
    from parley.jobs.schemas import JobContext

    assert handlers()[EXPERIMENTS] is jobs.run_job
    async with session_scope(sessions) as session:
        await agent_with_versions(session)
        await running(session, guardrails=[])
        await _traffic(
            session, 300, {"control": 0.25, "warmer": 0.75}, {"control": 60, "warmer": 60}
        )
        await jobs.run_job(session, {}, JobContext(settings_with(data_dir=tmp_path)))
        shown = await service.show(session, "opener")
        assert (shown.status, shown.winner) == ("promoted", "warmer")
