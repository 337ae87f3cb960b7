"""`parley agents plan/apply --target` against the emulator served on a real port."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
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
        parley.config.get_settings.cache_clear()
        yield emulator


def cli(*args: str, code: int = 0) -> str:
    result = runner.invoke(app, list(args))
    assert result.exit_code == code, result.output
    return result.output


def cli_json(*args: str, code: int = 0) -> Any:
    return json.loads(cli(*args, "--json", code=code))


def test_plan_apply_drift_force(live: RunningEmulator, examples: Path) -> None:
    planned = cli_json("agents", "plan", str(examples), "--target", "all")
    assert {t["action"] for t in planned["targets"]} == {"create"}
    out = cli("agents", "apply", str(examples), "--target", "all", "-m", "first")
    assert "create  etf-sales-specialist v1 on elevenlabs" in out
    assert "Applied: 5 create." in out
    cli("agents", "plan", str(examples), "--target", "all", "--detailed-exitcode")

    applied = cli_json("agents", "apply", str(examples), "--target", "elevenlabs")
    support = next(t for t in applied["targets"] if t["name"] == "support-agent")
    assert support["action"] == "unchanged"
    # Someone edits the agent in the ElevenLabs dashboard, behind Parley's back.
    httpx.patch(
        f"{live.url}/elevenlabs/v1/convai/agents/{support['remote_id']}",
        headers={"xi-api-key": "xi-cli-test"},
        json={"conversation_config": {"agent": {"language": "de"}}},
    ).raise_for_status()
    out = cli("agents", "plan", str(examples), "--target", "elevenlabs", code=0)
    assert "drift  support-agent v1 on elevenlabs" in out
    assert "conversation_config.agent.language: Parley wrote 'en', now 'de'" in out
    cli("agents", "apply", str(examples), "--target", "elevenlabs", code=1)  # refuses
    forced = cli_json("agents", "apply", str(examples), "--target", "elevenlabs", "--force")
    assert {t["name"]: t["action"] for t in forced["targets"]}["support-agent"] == "update"
    cli("agents", "plan", str(examples), "--target", "all", "--detailed-exitcode")


def test_bad_target_and_missing_key(
    live: RunningEmulator, examples: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert "--target must be one of" in cli(
        "agents", "plan", str(examples), "--target", "vapi", code=1
    )
    monkeypatch.delenv("PARLEY_ULTRAVOX_API_KEY")
    parley.config.get_settings.cache_clear()
    out = cli("agents", "plan", str(examples), "--target", "ultravox", code=1)
    assert "no API key for ultravox: set PARLEY_ULTRAVOX_API_KEY" in out


def test_pull_writes_specs_that_plan_unchanged(live: RunningEmulator, tmp_path: Path) -> None:
    httpx.post(
        f"{live.url}/elevenlabs/v1/convai/agents/create",
        headers={"xi-api-key": "xi-cli-test"},
        json={
            "name": "Legacy Agent",
            "conversation_config": {"agent": {"prompt": {"prompt": "Be useful."}}},
        },
    ).raise_for_status()
    out = tmp_path / "pulled"
    text = cli("agents", "pull", "--target", "elevenlabs", "--out", str(out))
    assert "pulled legacy-agent" in text
    assert (out / "legacy-agent.yaml").exists()
    cli("agents", "plan", str(out), "--target", "all", "--detailed-exitcode")
    assert "0 agent(s) pulled" in cli("agents", "pull", "--target", "elevenlabs", "--out", str(out))
