"""`parley conversations list --search / export / delete / retention` on the embedded database."""

from __future__ import annotations

import asyncio
import csv
import json
from pathlib import Path

from typer.testing import CliRunner

from parley.cli.main import app
from parley.config import get_settings
from parley.conversations import service
from parley.db import migrate
from parley.db.engine import create_engine, session_factory, session_scope
from tests.conversations.records import elevenlabs_record


async def _seed() -> None:
    engine = create_engine(get_settings().resolved_database_url)
    try:
        await migrate.ensure_schema(engine)
        async with session_scope(session_factory(engine)) as session:
            for i in range(1, 4):
                record = elevenlabs_record(i, number="+44 20 7946 0958")
                if i == 2:
                    record.summary = "Asked about a refund."
                record.started_at = record.started_at.replace(year=2020)  # past any clock
                await service.store(session, record, caller_key=b"k")
    finally:
        await engine.dispose()


def test_search_export_delete_retention(tmp_path: Path) -> None:
    asyncio.run(_seed())
    cli = CliRunner()
    found = cli.invoke(app, ["conversations", "list", "--search", "refund*", "--json"])
    assert found.exit_code == 0, found.output
    assert [i["remote_id"] for i in json.loads(found.stdout)["items"]] == ["conv_0002"]

    out = tmp_path / "all.csv"
    done = cli.invoke(app, ["conversations", "export", "--format", "csv", "-o", str(out)])
    assert done.exit_code == 0, done.output
    assert "3 conversations written" in done.stderr
    with out.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert [r["id"] for r in rows] == ["3", "2", "1"]
    lines = cli.invoke(app, ["conversations", "export", "--search", "refund"])
    assert lines.exit_code == 0, lines.output
    records = [json.loads(line) for line in lines.stdout.splitlines()]
    assert [(r["remote_id"], r["caller_masked"]) for r in records] == [
        ("conv_0002", "+44••••••0958")
    ]
    assert "7946" not in lines.stdout
    wrong = cli.invoke(app, ["conversations", "export", "--format", "xml"])
    assert wrong.exit_code == 1

    assert cli.invoke(app, ["conversations", "delete", "conv_0001"]).exit_code == 0
    assert cli.invoke(app, ["conversations", "delete", "conv_0001"]).exit_code == 1

    policy = ["conversations", "retention", "set", "*", "--conversation-days", "1"]
    assert cli.invoke(app, policy).exit_code == 0
    listed = cli.invoke(app, ["conversations", "retention", "list"])
    assert "*: audio forever, conversations 1 days" in listed.stdout
    applied = cli.invoke(app, ["conversations", "retention", "apply", "--json"])
    assert applied.exit_code == 0, applied.output
    assert json.loads(applied.stdout) == {"conversations_deleted": 2, "audio_deleted": 0}
    queued = cli.invoke(app, ["conversations", "retention", "apply", "--queue", "--json"])
    assert json.loads(queued.stdout)["job"] is not None
    again = cli.invoke(app, ["conversations", "retention", "apply", "--queue"])
    assert "Already queued today." in again.stdout
