"""`parley agents ...` as a user types it, against SQLite and PostgreSQL."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

import parley.config
from parley.cli.main import app
from tests.agents.specs import MINIMAL, WITH_VARIABLES, write

runner = CliRunner()


@pytest.fixture
def cli_db(db_url: str, monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.setenv("PARLEY_DATABASE_URL", db_url)
    parley.config.get_settings.cache_clear()
    return db_url


def parley_cli(*args: str, code: int = 0) -> str:
    result = runner.invoke(app, list(args))
    assert result.exit_code == code, result.output
    return result.output


def as_json(*args: str, code: int = 0) -> Any:
    return json.loads(parley_cli(*args, "--json", code=code))


def test_validate_reports_all_problems_and_exit_code(tmp_path: Path) -> None:
    write(tmp_path, "good.yaml", MINIMAL)
    write(tmp_path, "bad.yaml", MINIMAL.replace("greeter", "bad") + "frist_message: x\n")
    out = parley_cli("agents", "validate", str(tmp_path), code=1)
    assert f"{tmp_path / 'bad.yaml'}:5:1: error: frist_message: unknown field" in out
    assert "2 file(s): 1 valid, 1 error(s), 0 warning(s)" in out
    data = as_json("agents", "validate", str(tmp_path / "good.yaml"))
    assert data == {"valid": [str(tmp_path / "good.yaml")], "problems": []}


def test_validate_strict_fails_on_warnings(tmp_path: Path) -> None:
    path = write(tmp_path, "a.yaml", MINIMAL + "variables:\n  unused: {}\n")
    assert "warning" in parley_cli("agents", "validate", str(path))
    parley_cli("agents", "validate", "--strict", str(path), code=1)


def test_the_examples_directory(cli_db: str, examples: Path) -> None:
    assert "3 valid, 0 error(s), 0 warning(s)" in parley_cli("agents", "validate", str(examples))
    applied = as_json("agents", "apply", str(examples), "-m", "import")
    assert {i["action"] for i in applied["items"]} == {"create"}
    listed = as_json("agents", "list", "--provider", "ultravox")
    assert "etf-sales-specialist" in [a["name"] for a in listed]


def test_plan_apply_history_diff_rollback_export(cli_db: str, tmp_path: Path) -> None:
    specs = tmp_path / "agents"
    path = write(specs, "greeter.yaml", WITH_VARIABLES)
    out = parley_cli("agents", "plan", str(specs))
    assert "new agent  greeter (v1)" in out
    assert "Plan: 1 to create" in out
    parley_cli("agents", "apply", str(specs), "-m", "first")
    assert "unchanged  greeter" in parley_cli("agents", "apply", str(specs))
    parley_cli("agents", "plan", "--detailed-exitcode", str(specs))

    path.write_text(WITH_VARIABLES.replace("You greet people.", "You greet people kindly."))
    out = parley_cli("agents", "plan", "--detailed-exitcode", str(specs), code=2)
    assert "new version  greeter (v1 -> v2)" in out
    assert "-You greet people." in out
    assert "+You greet people kindly." in out
    parley_cli("agents", "apply", str(specs), "-m", "kinder")

    history = as_json("agents", "history", "greeter")
    assert [(v["number"], v["message"], v["author"]) for v in history] == [
        (2, "kinder", "tester"),
        (1, "first", "tester"),
    ]
    table = parley_cli("agents", "history", "greeter")
    assert "v2" in table
    assert "kinder" in table
    diff = as_json("agents", "diff", "greeter", "1", "2")
    assert [c["path"] for c in diff["changes"]] == ["system_prompt"]
    assert "1 change(s)" in parley_cli("agents", "diff", "greeter", "1", "2")

    assert "v3 created with the content of v1" in parley_cli("agents", "rollback", "greeter", "1")
    shown = as_json("agents", "show", "greeter@3")
    assert shown["rollback_of"] == 1
    assert "greeter v1" in parley_cli("agents", "show", "greeter@1")

    exported = tmp_path / "exported" / "greeter.yaml"
    exported.parent.mkdir()
    parley_cli("agents", "export", "greeter@2", "-o", str(exported))
    assert "kindly" in exported.read_text()
    plan = as_json("agents", "plan", str(exported))
    assert plan["items"][0]["action"] == "update"
    assert as_json("agents", "export", "greeter@1")["system_prompt"].startswith("You greet")
    current = parley_cli("agents", "export", "greeter")
    exported.write_text(current)
    parley_cli("agents", "plan", "--detailed-exitcode", str(exported))


def test_an_invalid_spec_stops_nothing_that_is_valid(cli_db: str, tmp_path: Path) -> None:
    write(tmp_path, "good.yaml", MINIMAL)
    write(tmp_path, "bad.yaml", "name: bad\nsystem_prompt: [unclosed\n")
    result = as_json("agents", "apply", str(tmp_path), code=1)
    assert [i["name"] for i in result["items"]] == ["greeter"]
    assert result["problems"][0]["code"] == "yaml_syntax"
    assert [a["name"] for a in as_json("agents", "list")] == ["greeter"]


def test_archive_and_list_filters(cli_db: str, tmp_path: Path) -> None:
    write(tmp_path, "a.yaml", WITH_VARIABLES)
    write(tmp_path, "b.yaml", MINIMAL.replace("greeter", "other") + "tags: [sales]\n")
    parley_cli("agents", "apply", str(tmp_path))

    def names(*args: str) -> list[str]:
        return [x["name"] for x in as_json("agents", "list", *args)]

    assert names("--tag", "sales") == ["other"]
    assert names("--search", "greets") == ["greeter"]
    assert names("--meta", "owner=team-a") == ["greeter"]
    parley_cli("agents", "list", "--meta", "nonsense", code=1)
    assert "archived" in parley_cli("agents", "archive", "other")
    assert names() == ["greeter"]
    assert names("--archived") == ["greeter", "other"]
    assert "greeter" in parley_cli("agents", "list")


def test_errors_are_messages_not_tracebacks(cli_db: str) -> None:
    result = runner.invoke(app, ["agents", "show", "ghost"])
    assert result.exit_code == 1
    assert "no agent named 'ghost'" in result.output
    assert "Traceback" not in result.output
    assert "must be a number" in runner.invoke(app, ["agents", "show", "g@x"]).output


def test_schema_export(tmp_path: Path) -> None:
    schema = json.loads(parley_cli("agents", "schema"))
    assert schema["title"] == "Parley agent spec"
    parley_cli("agents", "schema", "-o", str(tmp_path / "s.json"))
    assert json.loads((tmp_path / "s.json").read_text()) == schema


def test_apply_records_the_git_commit(cli_db: str, tmp_path: Path) -> None:
    if shutil.which("git") is None:
        pytest.skip("git is not installed")
    repo = tmp_path / "repo"
    write(repo, "agents/greeter.yaml", MINIMAL)
    git = ["git", "-C", str(repo), "-c", "user.name=t", "-c", "user.email=t@t"]
    subprocess.run(["git", "init", "-q", str(repo)], check=True)
    subprocess.run([*git, "add", "."], check=True)
    subprocess.run([*git, "commit", "-qm", "specs"], check=True)
    head = subprocess.run([*git, "rev-parse", "HEAD"], capture_output=True, text=True).stdout
    parley_cli("agents", "apply", str(repo / "agents"))
    shown = as_json("agents", "show", "greeter")
    assert shown["git_commit"] == head.strip()
    assert shown["git_dirty"] is False
    write(repo, "agents/greeter.yaml", MINIMAL.replace("people", "folks"))
    parley_cli("agents", "apply", str(repo / "agents"))
    assert as_json("agents", "show", "greeter")["git_dirty"] is True


def test_help_imports_nothing_heavy() -> None:
    code = (
        "import sys; from parley.cli.main import app\n"
        "heavy = [m for m in ('sqlalchemy', 'fastapi', 'pydantic', 'rich.console', 'yaml')"
        " if m in sys.modules]\n"
        "print(','.join(heavy))"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == ""
