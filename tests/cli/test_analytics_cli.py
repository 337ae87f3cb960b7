"""`parley analytics` on the embedded database: JSON, the table, and refused options."""

from __future__ import annotations

import asyncio
import json

from typer.testing import CliRunner

from parley.cli.main import app
from parley.config import get_settings
from parley.db import migrate
from parley.db.engine import create_engine
from tests.analytics.data import SINCE, UNTIL, seed_url


async def _prepare() -> None:
    url = get_settings().resolved_database_url
    engine = create_engine(url)
    try:
        await migrate.ensure_schema(engine)
    finally:
        await engine.dispose()
    await seed_url(url)


def test_analytics_cli() -> None:
    asyncio.run(_prepare())
    cli = CliRunner()
    base = ["analytics", "--agent", "sales", "--since", SINCE, "--until", UNTIL]
    done = cli.invoke(app, [*base, "--by", "provider", "--json"])
    assert done.exit_code == 0, done.output
    report = json.loads(done.stdout)
    assert report["group_by"] == "provider"
    groups = {g["key"]: g for g in report["groups"]}
    assert groups["elevenlabs"]["conversations"] == 3
    assert groups["elevenlabs"]["costs"][0]["per_successful"] == 30.0
    assert groups["ultravox"]["tool_usage"] == {"lookup": 1}

    one = cli.invoke(app, [*base, "--version", "1", "--json"])
    assert json.loads(one.stdout)["groups"][0]["conversations"] == 2

    table = cli.invoke(app, [*base, "--by", "version"])
    assert table.exit_code == 0, table.output
    assert "book_meeting (2)" in table.stdout
    assert "data booked: 1 true, 1 false" in table.stdout
    assert "50% (1/2)" in table.stdout

    empty = cli.invoke(
        app, ["analytics", "--agent", "sales", "--since", "2020-01-01", "--until", "2020-02-01"]
    )
    assert empty.exit_code == 0, empty.output
    assert "No conversations" in empty.stdout
    assert cli.invoke(app, [*base, "--by", "week"]).exit_code == 1
    assert cli.invoke(app, ["analytics", "--agent", "nobody"]).exit_code == 1
    assert cli.invoke(app, ["analytics", "--agent", "sales", "--since", "yesterday"]).exit_code == 1
