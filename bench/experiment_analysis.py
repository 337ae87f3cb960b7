"""Analysis of an experiment with one million outcomes (goal: under 100 ms), SQLite and PostgreSQL.

An experiment's outcomes are folded into per-arm, per-metric, per-hour running sums as they
arrive (`parley.experiments.outcomes.observe`), so its status report reads a few thousand rows
whatever the number of conversations. This script:

1. migrates a fresh database, creates an agent with two applied versions and a running
   experiment with the default 30-minute maturity window (primary metric
   `data.meeting_booked`, guardrails `duration` and `latency`, the latter on the log scale by
   default, 2 arms);
2. draws N outcomes (default 1,000,000) over 30 days (control books 20 %, treatment 23 %;
   durations lognormal around 180 s; latency lognormal around 0.9 s) and writes the running
   sums they produce (`latency` and `latency:log` rows), plus exposure and assignment
   counters, in bulk; the same N outcomes go to a plain table `bench_raw` (arm, booked,
   duration) as the baseline: what an analysis costs when it aggregates raw rows;
3. checks the sums are right: 2,000 further conversations go through the real path (stored with
   the conversations service, folded by `observe`) and the report's counts must grow by exactly
   those, with the same means as a direct computation;
4. times `experiments.service.status` (the whole report: verdict, intervals, Bayesian panel,
   guardrails, SRM, missingness) cold (first call on a new engine) and warm (median and p95 of
   --repeat calls), and the baseline GROUP BY over `bench_raw` followed by the same statistics,
   in the same run; then splits a warm report into its phases (the experiment and its arms,
   the sums query, the statistics) and records the load average.

Run from the repository root:

    .venv/bin/python bench/experiment_analysis.py                    # SQLite, 1,000,000
    .venv/bin/python bench/experiment_analysis.py --rows 100000
    .venv/bin/python bench/experiment_analysis.py \\
        --postgres postgresql+asyncpg://postgres@127.0.0.1:5432/postgres
        # a scratch database `parley_bench_stats` is created next to it and dropped after

Prints a Markdown table and writes bench/results/experiment_analysis.json.
"""

from __future__ import annotations

import argparse
import asyncio
import math
import random
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine

from _common import machine, machine_line, median, percentile, table, write_json
from parley.conversations import service as conversations
from parley.conversations.schemas import ConversationRecord, DataValue
from parley.db import migrate
from parley.db.engine import create_engine, session_factory, session_scope
from parley.experiments import report as report_module
from parley.experiments import service
from parley.experiments.assignment import ASSIGNED, EXPOSURES, OUTCOMES
from parley.experiments.repository import ExperimentRepository
from parley.experiments.spec import LOG_SUFFIX, ExperimentSpec, check
from parley.experiments.stats.analysis import analyse_metric
from parley.experiments.stats.moments import ProportionStats, SampleStats
from parley.models import Agent, AgentVersion, ExperimentSum, ProviderAgent

START = datetime(2026, 10, 1, tzinfo=UTC)
DAYS = 30
RATES = (0.20, 0.23)
CHECK_ROWS = 2000
SPEC = {
    "name": "bench",
    "agent": "sales",
    "unit": "caller",
    "metric": "data.meeting_booked",
    "arms": [{"name": "control", "version": 1}, {"name": "treatment", "version": 2}],
    "guardrails": [{"metric": "duration", "margin": 30}, {"metric": "latency", "margin": 0.1}],
    "maturity_minutes": 30,
    "promotion": "recommend",
}


async def _prepare(engine: AsyncEngine) -> tuple[int, list[int]]:
    await migrate.upgrade(engine)
    async with session_scope(session_factory(engine)) as session:
        agent = Agent(name="sales", current_version=2)
        session.add(agent)
        await session.flush()
        for number in (1, 2):
            spec = {"name": "sales", "system_prompt": f"v{number}", "llm": {"model": "m"}}
            session.add(
                AgentVersion(agent_id=agent.id, number=number, content_hash=str(number), spec=spec)
            )
            session.add(
                ProviderAgent(
                    agent_id=agent.id,
                    target="elevenlabs",
                    version_number=number,
                    remote_id="agent_1",
                    remote_version_id=f"v{number}",
                    payload={},
                    payload_hash="x",
                )
            )
        await session.flush()
        await service.create(session, check(SPEC, source="bench"))
        await service.start(session, "bench")
        experiment = await service.get(session, "bench")
        return experiment.id, [arm.id for arm in experiment.arms]


def _draw(rows: int, seed: int) -> tuple[list[tuple[int, int, float]], dict[Any, list[float]]]:
    """(arm, booked, duration) per outcome, and the sums they make per (arm, hour, metric)."""
    rng = random.Random(seed)
    raw: list[tuple[int, int, float]] = []
    sums: dict[Any, list[float]] = {}
    hours = DAYS * 24
    for i in range(rows):
        arm = i & 1
        booked = 1 if rng.random() < RATES[arm] else 0
        duration = round(rng.lognormvariate(math.log(170.0), 0.4), 1)
        latency = rng.lognormvariate(math.log(0.9), 0.3)
        raw.append((arm, booked, duration))
        hour = START + timedelta(hours=i * hours // rows)
        values = (
            ("data.meeting_booked", booked),
            ("duration", duration),
            ("latency", latency),
            ("latency" + LOG_SUFFIX, math.log(latency)),
        )
        for metric, value in values:
            acc = sums.setdefault((arm, hour, metric), [0, 0.0, 0.0])
            acc[0] += 1
            acc[1] += value
            acc[2] += value * value
        for counter, n, total in ((EXPOSURES, 1, 0.0), (OUTCOMES, 1, 0.0), (ASSIGNED, 1, 0.5)):
            acc = sums.setdefault((arm, hour, counter), [0, 0.0, 0.0])
            acc[0] += n
            acc[1] += total
        # the arm not chosen still counts its expected share of this assignment (SRM)
        acc = sums.setdefault((1 - arm, hour, ASSIGNED), [0, 0.0, 0.0])
        acc[1] += 0.5
    return raw, sums


async def _load(
    engine: AsyncEngine,
    experiment_id: int,
    arm_ids: list[int],
    raw: list[tuple[int, int, float]],
    sums: dict[Any, list[float]],
) -> None:
    rows = [
        {
            "experiment_id": experiment_id,
            "arm_id": arm_ids[arm],
            "metric": metric,
            "period": hour,
            "n": int(acc[0]),
            "total": acc[1],
            "total_squares": acc[2],
        }
        for (arm, hour, metric), acc in sums.items()
    ]
    async with engine.begin() as conn:
        await conn.execute(ExperimentSum.__table__.insert(), rows)
        await conn.execute(
            text(
                "CREATE TABLE bench_raw (arm INTEGER NOT NULL, booked INTEGER NOT NULL, "
                "duration DOUBLE PRECISION NOT NULL)"
            )
        )
        batch = 50_000
        statement = text("INSERT INTO bench_raw (arm, booked, duration) VALUES (:a, :b, :d)")
        for start in range(0, len(raw), batch):
            chunk = raw[start : start + batch]
            await conn.execute(statement, [{"a": a, "b": b, "d": d} for a, b, d in chunk])


async def _real_path(engine: AsyncEngine, seed: int) -> tuple[int, int]:
    """CHECK_ROWS conversations stored and folded as webhooks would; (n, bookings) per run."""
    rng = random.Random(seed + 1)
    booked_total = 0
    async with session_scope(session_factory(engine)) as session:
        for i in range(CHECK_ROWS):
            booked = rng.random() < 0.5
            booked_total += booked
            record = ConversationRecord(
                provider="elevenlabs",
                remote_id=f"check-{i}",
                normaliser_version=1,
                started_at=START + timedelta(days=DAYS, minutes=i),
                status="done",
                duration_s=100.0,
                data_collection={"meeting_booked": DataValue(value=booked)},
            )
            row, _ = await conversations.store(session, record, caller_key=b"k")
            row.experiment, row.arm = "bench", "control"
            from parley.experiments.outcomes import observe

            await observe(session, row)
    return CHECK_ROWS, booked_total


async def _status_ms(engine: AsyncEngine) -> float:
    began = time.perf_counter()
    async with session_scope(session_factory(engine)) as session:
        await service.status(session, "bench")
    return (time.perf_counter() - began) * 1000


async def _baseline_ms(engine: AsyncEngine) -> float:
    """Aggregate the raw rows, then the same primary statistics."""
    began = time.perf_counter()
    query = text(
        "SELECT arm, count(*), sum(booked), sum(duration), sum(duration * duration) "
        "FROM bench_raw GROUP BY arm ORDER BY arm"
    )
    async with engine.connect() as conn:
        rows = (await conn.execute(query)).all()
    stats = [ProportionStats(int(n), int(b)) for _, n, b, _, _ in rows]
    analyse_metric(stats)
    analyse_metric([SampleStats(int(n), float(s), float(q)) for _, n, _, s, q in rows])
    return (time.perf_counter() - began) * 1000


async def _phases_ms(engine: AsyncEngine) -> dict[str, float]:
    """One warm report split into: experiment + arms + view, the sums query, the statistics."""
    async with session_scope(session_factory(engine)) as session:
        began = time.perf_counter()
        repo = ExperimentRepository(session)
        experiment = await service.get(session, "bench")
        current = service.view(experiment, "sales")
        loaded = time.perf_counter()
        now = datetime.now(UTC)
        everything, matured = await report_module.load_sums(repo, experiment, now)
        summed = time.perf_counter()
        spec = ExperimentSpec.model_validate(experiment.spec)
        primary, _ = report_module.primary_result(experiment, spec, matured)
        guards = report_module.guardrail_results(experiment, spec, matured)
        rows = report_module.traffic(experiment, spec, everything, matured)
        srm = report_module.srm_view(rows)
        report_module.decide(experiment, primary, guards, None)
        report_module.warnings_for(spec, rows, srm, guards, primary, experiment)
        del current
        done = time.perf_counter()
    return {
        "experiment_ms": (loaded - began) * 1000,
        "sums_query_ms": (summed - loaded) * 1000,
        "statistics_ms": (done - summed) * 1000,
    }


def _loadavg() -> str:
    try:
        return " ".join(Path("/proc/loadavg").read_text().split()[:3])
    except OSError:
        return "n/a"


async def run(url: str, rows: int, repeat: int, seed: int) -> dict[str, Any]:
    engine = create_engine(url)
    try:
        experiment_id, arm_ids = await _prepare(engine)
        began = time.perf_counter()
        raw, sums = _draw(rows, seed)
        await _load(engine, experiment_id, arm_ids, raw, sums)
        load_s = time.perf_counter() - began
        async with session_scope(session_factory(engine)) as session:
            before = await service.status(session, "bench")
        added, booked = await _real_path(engine, seed)
    finally:
        await engine.dispose()
    engine = create_engine(url)  # cold: a new engine, new connections, nothing cached
    try:
        load_before = _loadavg()
        cold = await _status_ms(engine)
        warm = [await _status_ms(engine) for _ in range(repeat)]
        async with session_scope(session_factory(engine)) as session:
            after = await service.status(session, "bench")
        baseline = [await _baseline_ms(engine) for _ in range(max(3, repeat // 5))]
        phases = [await _phases_ms(engine) for _ in range(max(5, repeat // 3))]
        load_after = _loadavg()
    finally:
        await engine.dispose()
    control_before, control_after = before.primary.arms[0], after.primary.arms[0]
    expected_n = sum(1 for arm, _, _ in raw if arm == 0)
    assert control_before.n == expected_n, (control_before.n, expected_n)
    assert control_after.n == control_before.n + added, "the real path did not count once"
    bookings = control_before.mean * control_before.n + booked
    assert abs(control_after.mean - bookings / control_after.n) < 1e-9
    return {
        "rows": rows,
        "sum_rows": len(sums),
        "load_s": round(load_s, 1),
        "status_cold_ms": round(cold, 1),
        "status_warm_median_ms": round(median(warm), 2),
        "status_warm_p95_ms": round(percentile(warm, 95), 2),
        "baseline_raw_median_ms": round(median(baseline), 1),
        "phases_median_ms": {key: round(median([p[key] for p in phases]), 2) for key in phases[0]},
        "loadavg_before": load_before,
        "loadavg_after": load_after,
        "decision": after.decision,
        "verdict": after.primary.arms[1].verdict,
    }


def _postgres_database(admin_url: str, name: str, *, drop: bool) -> None:
    async def work() -> None:
        engine = create_engine(admin_url).execution_options(isolation_level="AUTOCOMMIT")
        try:
            async with engine.connect() as conn:
                await conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
                if not drop:
                    await conn.execute(text(f'CREATE DATABASE "{name}"'))
        finally:
            await engine.dispose()

    asyncio.run(work())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=30)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--postgres", help="admin URL; a scratch database is created beside it")
    parser.add_argument(
        "--database-name", default="parley_bench_stats", help="the scratch PostgreSQL database"
    )
    parser.add_argument("--no-sqlite", action="store_true")
    args = parser.parse_args()
    results: dict[str, Any] = {}
    if not args.no_sqlite:
        with tempfile.TemporaryDirectory() as folder:
            url = f"sqlite+aiosqlite:///{Path(folder) / 'bench.db'}"
            results["sqlite"] = asyncio.run(run(url, args.rows, args.repeat, args.seed))
    if args.postgres:
        name = args.database_name
        _postgres_database(args.postgres, name, drop=False)
        try:
            url = make_url(args.postgres).set(database=name).render_as_string(False)
            results["postgresql"] = asyncio.run(run(url, args.rows, args.repeat, args.seed))
        finally:
            _postgres_database(args.postgres, name, drop=True)
    info = machine()
    print(machine_line(info))
    print(f"command: {' '.join([Path(sys.executable).name, *sys.argv])}\n")
    headers = [
        "database", "outcomes", "sum rows", "report cold", "report warm p50", "warm p95",
        "raw GROUP BY p50", "raw / report", "phases p50 (experiment / sums / stats)", "load",
    ]  # fmt: skip
    body = [
        [
            backend,
            f"{r['rows']:,}",
            f"{r['sum_rows']:,}",
            f"{r['status_cold_ms']} ms",
            f"{r['status_warm_median_ms']} ms",
            f"{r['status_warm_p95_ms']} ms",
            f"{r['baseline_raw_median_ms']} ms",
            f"{r['baseline_raw_median_ms'] / r['status_warm_median_ms']:.0f}x",
            " / ".join(f"{v} ms" for v in r["phases_median_ms"].values()),
            f"{r['loadavg_before']} → {r['loadavg_after']}",
        ]
        for backend, r in results.items()
    ]
    print(table(headers, body))
    write_json("experiment_analysis", {"machine": info, "args": vars(args), "results": results})


if __name__ == "__main__":
    main()
