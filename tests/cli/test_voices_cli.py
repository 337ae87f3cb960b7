"""`parley voices ...` as a user types it, against the in-process emulator.

The CLI builds its own `Providers`, so the emulator is reached through the registry's test seam
`TRANSPORT_OVERRIDES`; a counting transport tells whether a command asked the provider at all.
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections import Counter
from pathlib import Path
from typing import Any

import httpx
import pytest
from typer.testing import CliRunner

import parley.config
from parley.cli.main import app
from parley.emulator.faults import FaultRule
from parley.emulator.state import Emulator
from parley.providers import registry
from tests.providers.conftest import EL_KEY, UV_KEY, emu, emulator_app

__all__ = ["emu", "emulator_app"]  # shared fixtures

RACHEL = "21m00Tcm4TlvDq8ikWAM"
JONAS = "8a6e3d6b-4c1e-4a4f-9f5d-5b0f1c2d3e06"
runner = CliRunner()


class Counting(httpx.AsyncBaseTransport):
    """Passes requests to the emulator, counting them per provider (the first path segment)."""

    def __init__(self, inner: httpx.AsyncBaseTransport) -> None:
        self.inner = inner
        self.seen: Counter[str] = Counter()

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        self.seen[request.url.path.split("/")[1]] += 1
        return await self.inner.handle_async_request(request)


@pytest.fixture
def wire(emulator_app: Any, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Counting:
    counting = Counting(httpx.ASGITransport(app=emulator_app))
    for name in ("elevenlabs", "ultravox"):
        monkeypatch.setitem(registry.TRANSPORT_OVERRIDES, name, counting)
    monkeypatch.setenv("PARLEY_ELEVENLABS_API_KEY", EL_KEY)
    monkeypatch.setenv("PARLEY_ELEVENLABS_BASE_URL", "http://emulator.test/elevenlabs")
    monkeypatch.setenv("PARLEY_ULTRAVOX_API_KEY", UV_KEY)
    monkeypatch.setenv("PARLEY_ULTRAVOX_BASE_URL", "http://emulator.test/ultravox")
    parley.config.get_settings.cache_clear()
    return counting


def parley_cli(*args: str, code: int = 0) -> Any:
    result = runner.invoke(app, list(args))
    assert result.exit_code == code, result.output
    return result


def as_json(*args: str) -> Any:
    return json.loads(parley_cli(*args, "--json").stdout)


def test_list_shows_both_providers_as_json(wire: Counting) -> None:
    voices = as_json("voices", "list")
    by_id = {v["voice_id"]: v for v in voices}
    assert by_id[RACHEL]["provider"] == "elevenlabs"
    assert by_id[RACHEL]["labels"]["accent"] == "american"
    assert by_id[JONAS]["provider"] == "ultravox"
    assert by_id[JONAS]["languages"] == ["de"]
    assert set(by_id[RACHEL]) == {
        "provider", "voice_id", "name", "category", "labels", "preview_url", "languages",
        "description",
    }  # fmt: skip


def test_list_table_says_where_each_list_came_from(wire: Counting) -> None:
    first = parley_cli("voices", "list", "--provider", "elevenlabs").stdout
    assert "ElevenLabs: 14 voice(s), fetched now" in first
    assert f"{RACHEL}  Rachel" in first  # the id is never cut, even 80 columns wide
    assert "preview URLs: --json, or a terminal 160 columns wide" in first
    again = parley_cli("voices", "list", "--provider", "elevenlabs").stdout
    assert "ElevenLabs: 14 voice(s), cached under a minute ago (--refresh to ask again)" in again


def test_a_wide_table_shows_preview_urls(wire: Counting, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COLUMNS", "200")
    shown = parley_cli("voices", "list", "--provider", "ultravox").stdout
    assert f"/ultravox/api/voices/{JONAS}/preview" in shown
    assert "eleven_labs, external" in shown


def test_second_list_is_served_from_the_cache_until_refresh(wire: Counting, tmp_path: Path) -> None:
    as_json("voices", "list")
    asked = dict(wire.seen)
    assert asked == {"elevenlabs": 1, "ultravox": 1}
    as_json("voices", "list", "--search", "british")
    assert wire.seen == asked
    assert (tmp_path / "data" / "cache" / "voices-elevenlabs.json").exists()
    as_json("voices", "list", "--provider", "ultravox", "--refresh")
    assert wire.seen == {"elevenlabs": 1, "ultravox": 2}


def test_list_filters(wire: Counting) -> None:
    found = as_json(
        "voices", "list", "--provider", "elevenlabs", "--search", "british", "--category", "premade"
    )
    assert [v["name"] for v in found] == ["George", "Alice", "Daniel", "Lily"]


def test_show_finds_a_voice_on_either_provider(wire: Counting) -> None:
    assert as_json("voices", "show", RACHEL)["name"] == "Rachel"
    assert as_json("voices", "show", JONAS)["provider"] == "ultravox"
    shown = parley_cli("voices", "show", JONAS, "--provider", "ultravox").stdout
    assert "Jonas-German" in shown
    assert "engine=eleven_labs" in shown


def test_unknown_voice_and_provider_are_plain_errors(wire: Counting) -> None:
    missing = parley_cli("voices", "show", "nope", code=1)
    assert "error: voice nope does not exist on ElevenLabs or Ultravox" in missing.output
    assert "Traceback" not in missing.output
    bogus = parley_cli("voices", "list", "--provider", "vapi", code=1)
    assert "unknown provider 'vapi'" in bogus.output


def test_provider_errors_are_said_plainly(
    wire: Counting, emu: Emulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PARLEY_ELEVENLABS_API_KEY", "xi-wrong-secret")
    parley.config.get_settings.cache_clear()
    denied = parley_cli("voices", "list", "--provider", "elevenlabs", code=1)
    assert "error: ElevenLabs rejected the API key (401" in denied.output
    assert "wrong-secret" not in denied.output
    emu.faults.add(FaultRule(kind="http_error", path="/ultravox/api/voices", status=400))
    refused = parley_cli("voices", "list", "--provider", "ultravox", code=1)
    assert "error: Ultravox refused to list voices (400" in refused.output


def test_no_key_names_the_setting(wire: Counting, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("PARLEY_ULTRAVOX_API_KEY")
    parley.config.get_settings.cache_clear()
    assert {v["provider"] for v in as_json("voices", "list")} == {"elevenlabs"}
    missing = parley_cli("voices", "list", "--provider", "ultravox", code=1)
    assert "no API key for ultravox: set PARLEY_ULTRAVOX_API_KEY" in missing.output


def test_the_voices_command_module_imports_nothing_heavy() -> None:
    code = (
        "import sys; import parley.cli.voices\n"
        "heavy = [m for m in ('parley.voices', 'parley.providers', 'httpx', 'elevenlabs',"
        " 'pydantic', 'rich.console') if m in sys.modules]\n"
        "print(','.join(heavy))"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == ""
