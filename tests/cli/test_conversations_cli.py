"""`parley conversations sync/list/show` against the emulator served on a real port."""

from __future__ import annotations

from pathlib import Path

import httpx

from tests.cli.test_agents_remote_cli import cli, cli_json, live
from tests.live_emulator import RunningEmulator

__all__ = ["live"]


def _simulate(emulator: RunningEmulator, provider: str, options: dict[str, object]) -> None:
    answer = httpx.post(
        f"{emulator.url}/_emulator/simulate", json={"provider": provider, "options": options}
    )
    answer.raise_for_status()


def test_sync_list_show(live: RunningEmulator, examples: Path) -> None:
    applied = cli_json("agents", "apply", str(examples), "--target", "all")
    remote = {(t["name"], t["target"]): t["remote_id"] for t in applied["targets"]}
    agent = "etf-sales-specialist"
    _simulate(
        live,
        "elevenlabs",
        {
            "agent_id": remote[(agent, "elevenlabs")],
            "count": 3,
            "dynamic_variables": {"advisor_name": "Ana"},
            "outcome": {"p_success": 1.0},
        },
    )
    _simulate(
        live,
        "ultravox",
        {
            "agent_id": remote[(agent, "ultravox")],
            "count": 2,
            "template_context": {"advisor_name": "Ana"},
        },
    )

    report = cli_json("conversations", "sync")
    assert {p["provider"]: p["new"] for p in report["providers"]} == {
        "elevenlabs": 3,
        "ultravox": 2,
    }
    text = cli("conversations", "sync", "--provider", "elevenlabs")
    assert "elevenlabs: 3 seen, 0 new, 0 updated, 3 unchanged" in text

    listed = cli_json("conversations", "list", "--agent", agent, "--provider", "elevenlabs")
    assert len(listed["items"]) == 3
    assert {(i["agent"], i["version"], i["successful"]) for i in listed["items"]} == {
        (agent, 1, True)
    }
    table = cli("conversations", "list", "--successful", "--limit", "2")
    assert f"{agent} v1" in table
    assert "more: --cursor" in table

    first = listed["items"][0]
    shown = cli("conversations", "show", str(first["id"]))
    assert first["remote_id"] in shown
    assert "agent " in shown
    detail = cli_json("conversations", "show", first["remote_id"])
    assert detail["id"] == first["id"]
    assert detail["turns"][0]["role"] == "agent"

    assert "no conversation 'nope'" in cli("conversations", "show", "nope", code=1)
    assert "--since" in cli("conversations", "sync", "--since", "yesterday", code=1)
