"""The defaults the simulation studies chose (docs/experiment-studies.md): a stricter minimum-data
gate for numeric metrics, the log scale for latency, the relative interval of a rare rate
flagged as indicative, power computed for the absolute verdict; and that experiments stored
before them keep working."""

from __future__ import annotations

import math
from datetime import timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from parley.conversations import service as conversations
from parley.conversations.schemas import ConversationRecord, DataValue, Turn
from parley.db.engine import session_scope
from parley.errors import SpecInvalid
from parley.experiments import service
from parley.experiments.outcomes import conversation_latency, observe
from parley.experiments.planning import power_answer
from parley.experiments.spec import ExperimentSpec, check
from parley.experiments.stats.analysis import (
    analyse_metric,
    compare_arms,
    default_min_units,
    ratio_interval,
    relative_is_indicative,
)
from parley.experiments.stats.moments import ProportionStats, SampleStats, log_value
from parley.experiments.stats.power import absolute_power, n_per_arm
from parley.experiments.stats.sequential import sequential_test
from parley.models import Conversation, ExperimentSum
from parley.models.experiment import Experiment, ExperimentArm
from tests.experiments.fixtures import START, agent_with_versions, running, spec

Sessions = async_sessionmaker[AsyncSession]
P = ProportionStats


def _stats(values: list[float]) -> SampleStats:
    return SampleStats(len(values), sum(values), sum(v * v for v in values))


# --- the spec -----------------------------------------------------------------------------------


def test_min_per_arm_defaults_by_kind_and_is_stored_resolved() -> None:
    resolved = check(spec(), source="t")
    assert resolved.metric.min_per_arm == 30  # data.meeting_booked: binary
    assert resolved.guardrails[0].min_per_arm == 100  # duration: numeric
    stored = resolved.model_dump()
    assert stored["metric"]["min_per_arm"] == 30
    assert stored["metric"]["scale"] == "linear"
    assert stored["guardrails"][0]["min_per_arm"] == 100
    assert default_min_units("binary") == 30
    assert default_min_units("numeric") == 100
    # A top-level value applies to every metric without its own; a metric's own wins.
    both = check(spec(min_per_arm=50), source="t")
    assert (both.metric.min_per_arm, both.guardrails[0].min_per_arm) == (50, 50)
    own = check(
        spec(guardrails=[{"metric": "duration", "margin": 30, "min_per_arm": 200}]), source="t"
    )
    assert own.guardrails[0].min_per_arm == 200
    # Validating the stored spec again changes nothing (what the report and outcomes do).
    assert ExperimentSpec.model_validate(stored).model_dump() == stored


def test_latency_defaults_to_the_log_scale_and_linear_can_be_asked_for() -> None:
    latency = check(spec(metric="latency", guardrails=[]), source="t")
    assert latency.metric.resolved_kind == "numeric"
    assert latency.metric.scale == "log"
    assert latency.metric.sums_name == "latency:log"
    assert latency.log_metrics() == {"latency"}
    linear = check(spec(metric={"metric": "latency", "scale": "linear"}), source="t")
    assert linear.metric.sums_name == "latency"
    assert linear.log_metrics() == set()
    duration = check(spec(metric={"metric": "duration", "scale": "log"}), source="t")
    assert duration.log_metrics() == {"duration"}
    assert check(spec(), source="t").guardrails[0].scale == "linear"  # duration: seconds


def test_log_scale_problems_are_reported_with_their_field() -> None:
    text = (
        "name: x\nagent: sales\nmetric: {metric: data.booked, scale: log}\n"
        "arms: [{name: a, version: 1}, {name: b, version: 2}]\n"
    )
    with pytest.raises(SpecInvalid, match="needs a numeric metric"):
        check(yaml_text=text, source="exp.yaml")
    bad_scale = text.replace("scale: log", "scale: sqrt")
    with pytest.raises(SpecInvalid) as caught:
        check(yaml_text=bad_scale, source="exp.yaml")
    problems = caught.value.details["problems"]
    assert any(p["path"] == "metric.scale" and p["line"] == 3 for p in problems)
    with pytest.raises(SpecInvalid, match="fraction below 1"):
        check(
            spec(guardrails=[{"metric": "latency", "margin": 1.5, "harm": "decrease"}]),
            source="t",
        )


# --- pure functions -----------------------------------------------------------------------------


def test_log_value_leaves_out_what_has_no_log() -> None:
    assert log_value(math.e) == pytest.approx(1.0)
    assert log_value(0.0) is None
    assert log_value(-3.0) is None
    assert log_value(math.inf) is None


def test_numeric_gate_is_100_per_arm_unless_overridden() -> None:
    a = _stats([60.0 + i % 9 for i in range(60)])
    b = _stats([70.0 + i % 9 for i in range(60)])
    assert analyse_metric([a, b]).comparisons[0].verdict == "collecting_data"
    assert analyse_metric([a, b], min_units=30).comparisons[0].verdict == "better"
    # Binary keeps 30 (and 5 successes, 5 failures).
    assert analyse_metric([P(40, 10), P(40, 30)]).comparisons[0].verdict == "better"


def test_log_scale_compares_geometric_means() -> None:
    control = [100.0 * math.exp(0.3 * math.sin(i)) for i in range(200)]
    treatment = [1.2 * y for y in control]  # every value 20 % higher
    logs_a = _stats([math.log(y) for y in control])
    logs_b = _stats([math.log(y) for y in treatment])
    result = analyse_metric([logs_a, logs_b], log_scale=True)
    geo_a = math.exp(sum(math.log(y) for y in control) / 200)
    assert result.arms[0].mean == pytest.approx(geo_a)
    assert result.arms[1].mean == pytest.approx(1.2 * geo_a)
    comp = result.comparisons[0]
    assert comp.absolute is not None
    assert comp.relative is not None
    assert comp.absolute.estimate == pytest.approx(math.log(1.2))
    assert comp.relative.estimate == pytest.approx(0.2)  # ratio of geometric means - 1
    assert (comp.relative.lower, comp.relative.upper) == pytest.approx(
        (math.expm1(comp.absolute.lower), math.expm1(comp.absolute.upper))
    )
    assert not comp.relative_indicative
    with pytest.raises(ValueError, match="no log scale"):
        analyse_metric([P(40, 10), P(40, 30)], log_scale=True)


def test_ratio_interval_is_exp_of_the_log_interval() -> None:
    log_cs = sequential_test(_stats([0.0, 0.1, 0.2, 0.3] * 30), _stats([0.2, 0.3, 0.4] * 40))
    ratio = ratio_interval(log_cs)
    assert ratio.lower == pytest.approx(math.exp(log_cs.lower) - 1)
    assert ratio.upper == pytest.approx(math.exp(log_cs.upper) - 1)
    assert ratio.p_value == log_cs.p_value


def test_relative_interval_of_a_rare_rate_is_indicative() -> None:
    # SE(control mean) / mean = sqrt((1 - p) / successes): > 0.1 below ≈ 100 (1 - p) successes.
    assert relative_is_indicative(P(1000, 50))  # 5 %: sqrt(0.95/50) = 0.138
    assert not relative_is_indicative(P(1000, 300))  # 30 %: sqrt(0.7/300) = 0.048
    assert relative_is_indicative(P(1000, 0))
    _, relative, indicative = compare_arms(P(1000, 50), P(1000, 70))
    assert relative is not None
    assert indicative
    comp = analyse_metric([P(1000, 50), P(1000, 70)]).comparisons[0]
    assert comp.relative_indicative
    assert comp.relative is not None


def test_absolute_power_matches_the_normal_theory() -> None:
    # 0.30 -> 0.36 at 1000 per arm: δ = 0.06, SE = sqrt((0.21 + 0.2304)/1000) = 0.020986,
    # power = Φ(0.06/SE - 1.96) + Φ(-0.06/SE - 1.96) = 0.81571 (by hand).
    power = absolute_power(0.3, 0.21, 0.2, 2000, 2, treatment_variance=0.2304)
    assert power == pytest.approx(0.81571, abs=1e-5)
    # Consistent with the textbook sample size (the far tail adds < 1e-6 here).
    n = n_per_arm(0.06, 0.21, 0.2304, target_power=0.8)
    at_n = absolute_power(0.3, 0.21, 0.2, 2 * n, 2, treatment_variance=0.2304)
    assert at_n == pytest.approx(0.8, abs=1e-6)
    # The sequential answer is lower (the price of looking every day).
    seq = absolute_power(0.3, 0.21, 0.2, 2000, 2, treatment_variance=0.2304, n_star=1000)
    assert seq < power


def test_planning_uses_the_treatment_rate_variance() -> None:
    answer = power_answer(0.3, 0.2, 200 / 7, 2, 0.21, 0.05, 1000, binary=True)
    # 200 conversations in 7 days is 100 per arm: the absolute test's power at that size.
    expected = absolute_power(0.3, 0.21, 0.2, 200, 2, treatment_variance=0.36 * 0.64)
    assert answer.fixed_power_at["7d"] == pytest.approx(expected)
    with pytest.raises(ValueError, match="rate below 1"):
        power_answer(0.9, 0.2, 100, 2, 0.09, 0.05, 1000, binary=True)


def test_conversation_latency_is_the_mean_agent_turn_latency() -> None:
    turns = [
        Turn(role="user", latency={"asr": 5.0}),
        Turn(role="agent", latency={"llm": 0.4, "tts": 0.2}),
        Turn(role="agent", latency={"llm": 1.0}),
        Turn(role="agent"),
    ]
    assert conversation_latency(turns) == pytest.approx(0.8)
    assert conversation_latency([Turn(role="agent")]) is None


# --- on a real database -------------------------------------------------------------------------


async def _store(
    session: AsyncSession,
    remote_id: str,
    arm: str,
    latency: float,
    *,
    booked: bool = True,
    duration: float = 60.0,
) -> Conversation:
    record = ConversationRecord(
        provider="elevenlabs",
        remote_id=remote_id,
        normaliser_version=1,
        started_at=START + timedelta(minutes=1),
        status="done",
        duration_s=duration,
        data_collection={"meeting_booked": DataValue(value=booked)},
        turns=[Turn(role="agent", text="hi", latency={"llm": latency})],
    )
    row, _ = await conversations.store(session, record, caller_key=b"k")
    row.experiment, row.arm = "opener", arm
    await observe(session, row, turns=record.turns)
    return row


async def _sum(session: AsyncSession, metric: str) -> tuple[int, float]:
    rows = (
        await session.execute(
            select(ExperimentSum.n, ExperimentSum.total).where(ExperimentSum.metric == metric)
        )
    ).all()
    return sum(r[0] for r in rows), sum(r[1] for r in rows)


async def test_log_rows_are_folded_once_and_corrected(sessions: Sessions) -> None:
    async with session_scope(sessions) as session:
        await agent_with_versions(session)
        await running(session, metric="latency", guardrails=[])
        await _store(session, "c1", "control", 0.5)
        await _store(session, "c1", "control", 2.0)  # a later delivery knows better
        await _store(session, "c2", "control", 0.0)  # no log: counted, left out
        assert await _sum(session, "latency") == (2, pytest.approx(2.0))
        assert await _sum(session, "latency:log") == (1, pytest.approx(math.log(2.0)))
        report = await service.status(session, "opener")
        control = report.primary.arms[0]
        assert report.primary.scale == "log"
        assert report.primary.min_per_arm == 100
        assert (control.n, control.non_positive) == (1, 1)
        assert control.mean == pytest.approx(2.0)  # geometric mean of the values > 0
        assert any("values ≤ 0" in w for w in report.warnings)


async def test_log_scale_primary_and_relative_latency_guardrail(sessions: Sessions) -> None:
    async with session_scope(sessions) as session:
        await agent_with_versions(session)
        await running(
            session,
            metric="data.meeting_booked",
            guardrails=[{"metric": "latency", "margin": 0.1}],  # 10 % slower is tolerated
        )
        for i in range(120):
            jitter = math.exp(0.2 * math.sin(i))
            await _store(session, f"a{i}", "control", 1.0 * jitter, booked=i % 2 == 0)
            await _store(session, f"b{i}", "warmer", 1.5 * jitter, booked=i % 2 == 0)
        report = await service.status(session, "opener")
        (guard,) = report.guardrails
        assert guard.scale == "log"
        assert guard.bound is not None
        assert guard.bound > 0.1
        assert guard.harmed
        assert report.primary.min_per_arm == 30


async def test_an_experiment_stored_before_these_defaults_keeps_its_settings(
    sessions: Sessions,
) -> None:
    async with session_scope(sessions) as session:
        agent = await agent_with_versions(session)
        legacy = {  # what `model_dump()` stored before: min_per_arm 30, no scale, no own gate
            **spec(metric={"metric": "duration", "kind": None}, guardrails=[]),
            "description": "",
            "mode": "fixed",
            "bandit": {"floor": 0.05, "burn_in": 100, "reweight_minutes": 15.0},
            "promotion": "auto",
            "alpha": 0.05,
            "expected_total": 1000,
            "min_per_arm": 30,
        }
        session.add(
            Experiment(
                name="opener",
                agent_id=agent.id,
                status="running",
                spec=legacy,
                arms=[
                    ExperimentArm(
                        position=i, name=n, target="elevenlabs", version_number=i + 1, weight=1
                    )
                    for i, n in enumerate(("control", "warmer"))
                ],
            )
        )
        await session.flush()
        for i in range(40):  # 40 per arm: enough for the legacy gate of 30
            await _store(session, f"a{i}", "control", 1.0, duration=60.0 + i % 5)
            await _store(session, f"b{i}", "warmer", 1.0, duration=61.0 + i % 5)
        report = await service.status(session, "opener")
        assert report.primary.scale == "linear"
        assert report.primary.min_per_arm == 30
        assert report.primary.arms[1].verdict != "collecting_data"
        assert await _sum(session, "duration:log") == (0, 0)
