"""`parley sessions start` and `parley calls start` against the emulator on a real port."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

import parley.config
from parley.cli.main import app
from tests.live_emulator import RunningEmulator, running_emulator

runner = CliRunner()


@pytest.fixture
def live(db_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[RunningEmulator]:
    with running_emulator() as emulator:
        monkeypatch.setenv("PARLEY_DATABASE_URL", db_url)
        monkeypatch.setenv("PARLEY_ELEVENLABS_API_KEY", "xi-cli-test")
        monkeypatch.setenv("PARLEY_ELEVENLABS_BASE_URL", f"{emulator.url}/elevenlabs")
        monkeypatch.setenv("PARLEY_ULTRAVOX_API_KEY", "uv-cli-test")
        monkeypatch.setenv("PARLEY_ULTRAVOX_BASE_URL", f"{emulator.url}/ultravox")
        monkeypatch.setenv("PARLEY_SECRET_VARIABLES", '{"crm_token": "crm-CLI-SECRET"}')
        parley.config.get_settings.cache_clear()
        yield emulator


def cli(*args: str, code: int = 0) -> str:
    result = runner.invoke(app, list(args))
    assert result.exit_code == code, result.output
    return result.output


def cli_json(*args: str) -> Any:
    return json.loads(cli(*args, "--json"))


def test_start_a_session_and_a_call(live: RunningEmulator, examples: Path) -> None:
    cli("agents", "apply", str(examples), "--target", "all", "-m", "first")
    agent = "etf-sales-specialist"
    started = cli_json(
        "sessions", "start", agent, "--target", "elevenlabs", "--var", "advisor_name=Ana"
    )
    assert started["version"] == 1
    assert started["join_url"].startswith("ws://")
    assert started["client_data"]["dynamic_variables"]["secret__crm_token"] == "crm-CLI-SECRET"
    table = cli("sessions", "start", agent, "--target", "elevenlabs", "--var", "advisor_name=Ana")
    assert "join_url" in table
    assert "crm-CLI-SECRET" not in table  # masked in tables
    call = cli_json(
        "calls", "start", agent, "--target", "ultravox", "--to", "+15550123456",
        "--line", "+15550100", "--var", "advisor_name=Ana",
    )  # fmt: skip
    assert call["conversation_id"]
    out = cli("sessions", "start", agent, "--target", "elevenlabs", code=1)
    assert "advisor_name" in out
    out = cli("sessions", "start", agent, "--var", "oops", code=1)
    assert "name=value" in out
