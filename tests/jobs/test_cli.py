"""`parley jobs run --once`, `list --status parked` and `replay` on the embedded database."""

from __future__ import annotations

import json

from typer.testing import CliRunner

from parley.cli.main import app


def test_jobs_commands_on_an_empty_database() -> None:
    cli = CliRunner()
    ran = cli.invoke(app, ["jobs", "run", "--once", "--json"])
    assert ran.exit_code == 0, ran.output
    assert json.loads(ran.stdout) == {"done": 0, "retried": 0, "parked": 0}
    listed = cli.invoke(app, ["jobs", "list", "--status", "parked", "--json"])
    assert listed.exit_code == 0
    assert json.loads(listed.stdout) == []
    missing = cli.invoke(app, ["jobs", "replay", "7"])
    assert missing.exit_code == 1
