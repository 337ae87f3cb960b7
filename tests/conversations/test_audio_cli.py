"""`parley conversations audio ID -o FILE` against the emulator served on a real port."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from tests.cli.test_agents_remote_cli import cli, cli_json, live
from tests.live_emulator import RunningEmulator

__all__ = ["live"]


def test_audio_saved_then_served_from_parleys_copy(
    live: RunningEmulator, examples: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import parley.config

    monkeypatch.setenv("PARLEY_DATA_DIR", str(tmp_path / "data"))
    parley.config.get_settings.cache_clear()
    applied = cli_json("agents", "apply", str(examples), "--target", "elevenlabs")
    agent = next(t for t in applied["targets"] if t["name"] == "etf-sales-specialist")
    answer = httpx.post(
        f"{live.url}/_emulator/simulate",
        json={
            "provider": "elevenlabs",
            "options": {
                "agent_id": agent["remote_id"],
                "count": 1,
                "dynamic_variables": {"advisor_name": "Ana"},
            },
        },
    )
    answer.raise_for_status()
    (remote_id,) = [c["conversation_id"] for c in answer.json()["conversations"]]
    cli("conversations", "sync", "--provider", "elevenlabs")

    out = tmp_path / "call.mp3"
    first = cli_json("conversations", "audio", remote_id, "-o", str(out))
    assert first == {
        "path": str(out),
        "media_type": "audio/mpeg",
        "bytes": out.stat().st_size,
        "source": "provider",
    }
    assert out.stat().st_size > 0
    text = cli("conversations", "audio", remote_id, "--output", str(tmp_path))
    assert "from Parley's copy" in text
    assert (tmp_path / f"{remote_id}.mp3").read_bytes() == out.read_bytes()
    assert "no conversation 'nope'" in cli("conversations", "audio", "nope", code=1)
