"""`parley tokens ...`, `parley db ...`, `parley openapi` and `parley version`."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

import parley.config
from parley.cli.main import app
from parley.db.migrate import LATEST_REVISION

runner = CliRunner()


def run(*args: str, code: int = 0) -> str:
    result = runner.invoke(app, list(args))
    assert result.exit_code == code, result.output
    return result.output


@pytest.fixture
def cli_db(db_url: str, monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.setenv("PARLEY_DATABASE_URL", db_url)
    parley.config.get_settings.cache_clear()
    return db_url


def test_token_lifecycle(cli_db: str) -> None:
    out = run("tokens", "create", "--name", "ci")
    token = out.strip().splitlines()[-1]
    assert token.startswith("prl_")
    assert "not shown again" in out
    listed = json.loads(run("tokens", "list", "--json"))
    assert [(t["name"], t["revoked_at"]) for t in listed] == [("ci", None)]
    assert token not in run("tokens", "list")
    assert "exists already" in run("tokens", "create", "--name", "ci", code=1)
    assert "revoked" in run("tokens", "revoke", "ci")
    assert json.loads(run("tokens", "list", "--json"))[0]["revoked_at"] is not None
    assert "no token named" in run("tokens", "revoke", "nope", code=1)
    created = json.loads(run("tokens", "create", "--name", "other", "--json"))
    assert created["token"].startswith("prl_")


def test_db_commands(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PARLEY_DATABASE_URL", f"sqlite+aiosqlite:///{tmp_path / 'p.db'}")
    parley.config.get_settings.cache_clear()
    assert run("db", "current").strip() == "none"
    run("db", "upgrade")
    assert run("db", "current").strip() == LATEST_REVISION
    run("db", "downgrade", "base")
    assert run("db", "current").strip() in ("none", "")


def test_default_database_is_sqlite_in_the_data_dir(tmp_path: Path) -> None:
    run("tokens", "list")
    assert (tmp_path / "data" / "parley.db").exists()


def test_openapi_and_version(tmp_path: Path) -> None:
    run("openapi", "-o", str(tmp_path / "o.json"))
    assert json.loads((tmp_path / "o.json").read_text())["info"]["title"] == "Parley"
    assert run("version").strip() == parley.__version__
