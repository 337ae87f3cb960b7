"""`parley experiments` on the embedded database: create from YAML, status table, promote."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

from typer.testing import CliRunner

from parley.cli.main import app
from parley.config import get_settings
from parley.db import migrate
from parley.db.engine import create_engine, session_factory, session_scope
from tests.experiments.fixtures import agent_with_versions, conversation
from tests.experiments.test_routes import YAML


async def _prepare(*, outcomes: bool) -> None:
    url = get_settings().resolved_database_url
    engine = create_engine(url)
    try:
        await migrate.ensure_schema(engine)
        async with session_scope(session_factory(engine)) as session:
            if not outcomes:
                await agent_with_versions(session)
                return
            for arm, rate in (("control", 0.2), ("warmer", 0.7)):
                for i in range(100):
                    await conversation(session, f"{arm}{i}", arm, booked=i < rate * 100)
    finally:
        await engine.dispose()


def test_experiments_cli(tmp_path: Path) -> None:
    asyncio.run(_prepare(outcomes=False))
    cli = CliRunner()
    broken = tmp_path / "broken.yaml"
    broken.write_text(YAML.replace("metric: data.meeting_booked", "metric: booked"))
    refused = cli.invoke(app, ["experiments", "create", str(broken)])
    assert refused.exit_code == 1
    assert f"{broken}:3:1: error: metric.metric:" in refused.output

    good = tmp_path / "opener.yaml"
    good.write_text(YAML)
    made = cli.invoke(app, ["experiments", "create", str(good), "--start"])
    assert made.exit_code == 0, made.output
    assert "opener (running)" in made.output

    asyncio.run(_prepare(outcomes=True))
    table = cli.invoke(app, ["experiments", "status", "opener"])
    assert table.exit_code == 0, table.output
    assert "decision: winner: warmer" in table.output
    assert "better" in table.output
    listed = json.loads(cli.invoke(app, ["experiments", "list", "--json"]).stdout)
    assert listed[0]["arms"][1]["name"] == "warmer"
    bad_weight = cli.invoke(app, ["experiments", "weights", "opener", "warmer=lots"])
    assert bad_weight.exit_code == 1
    promoted = cli.invoke(app, ["experiments", "promote", "opener", "--arm", "warmer"])
    assert promoted.exit_code == 0, promoted.output
    assert "promoted, winner warmer" in promoted.output
    power = cli.invoke(
        app, ["experiments", "power", "--baseline", "0.3", "--lift", "0.2", "--per-day", "100"]
    )
    assert power.exit_code == 0
    assert "80 % power after" in power.output
