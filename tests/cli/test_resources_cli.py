"""Resources in PATHS go first in `parley agents plan|apply --target`; delete checks dependents."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from parley.cli.main import app
from tests.cli.test_agents_remote_cli import cli, cli_json, live, runner
from tests.live_emulator import RunningEmulator

__all__ = ["live"]


def test_resources_are_applied_first_and_agents_use_their_ids(
    live: RunningEmulator, examples: Path
) -> None:
    planned = cli_json("agents", "plan", str(examples), "--target", "all")
    assert {r["action"] for r in planned["resources"]} == {"create"}
    out = cli("agents", "apply", str(examples), "--target", "all")
    assert out.index("tool book_meeting on elevenlabs") < out.index("etf-sales-specialist v1")
    assert "Resources applied: 16 create." in out
    assert "not managed by Parley" not in out
    cli("agents", "plan", str(examples), "--target", "all", "--detailed-exitcode")

    listed = cli_json("resources", "list")
    assert {(r["kind"], r["name"]) for r in listed} >= {("tool", "book_meeting")}

    refused = runner.invoke(
        app, ["resources", "delete", "tool", "book_meeting", "--target", "ultravox"]
    )
    assert refused.exit_code == 1
    assert "tool book_meeting is used by: etf-sales-specialist (v1)" in refused.output
    deleted = cli_json(
        "resources", "delete", "tool", "book_meeting", "--target", "ultravox", "--force"
    )
    assert deleted["action"] == "delete"


def test_apply_deletes_a_superseded_document_after_the_agents_moved(
    live: RunningEmulator, examples: Path, tmp_path: Path
) -> None:
    copy = tmp_path / "examples"
    shutil.copytree(examples, copy)
    cli("agents", "apply", str(copy), "--target", "elevenlabs")
    old = {r["name"]: r["remote_id"] for r in cli_json("resources", "list")}["etf-fee-schedule"]
    doc = copy / "knowledge" / "etf-fee-schedule.yaml"
    doc.write_text(doc.read_text().replace("0.29% a year", "0.25% a year"))
    out = cli_json("agents", "apply", str(copy), "--target", "elevenlabs")
    [deleted] = out["collected"]
    assert (deleted["action"], deleted["name"], deleted["remote_id"]) == (
        "delete", "etf-fee-schedule", old
    )  # fmt: skip
    doc.write_text(doc.read_text().replace("0.25% a year", "0.24% a year"))
    text = cli("agents", "apply", str(copy), "--target", "elevenlabs")
    assert "delete  knowledge etf-fee-schedule on elevenlabs" in text


def test_validate_counts_resource_files_and_asks_the_database_when_needed(
    live: RunningEmulator, examples: Path, tmp_path: Path
) -> None:
    out = cli("agents", "validate", str(examples))
    assert "13 file(s): 13 valid, 0 error(s), 0 warning(s)" in out
    agent = examples / "support-agent.yaml"
    (tmp_path / "support-agent.yaml").write_text(agent.read_text())
    missing = runner.invoke(app, ["agents", "validate", str(tmp_path)])
    assert missing.exit_code == 1
    assert "tool 'lookup_account' is not defined" in missing.output
    cli("agents", "apply", str(examples / "tools"), str(examples / "knowledge"), "--target", "all")
    # Now Parley manages them: the agent alone validates.
    cli("agents", "validate", str(tmp_path))


def test_resource_schema_is_json() -> None:
    result = runner.invoke(app, ["resources", "schema"])
    assert result.exit_code == 0
    assert json.loads(result.output)["title"] == "Parley resource spec"
