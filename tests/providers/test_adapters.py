"""Both adapters against the emulator: create, read back, update, list, delete, errors."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from parley.agents import canonical
from parley.agents.validate import check_paths
from parley.providers.errors import ProviderAuthError, ProviderNotFound
from parley.providers.projection import differences, project
from parley.providers.registry import Providers
from tests.providers.conftest import provider_settings


def spec_of(examples: Path, name: str) -> dict[str, Any]:
    [spec] = [s for s in check_paths([examples]).valid if s.name == name]
    normal = canonical.normalise(spec)
    # The references are resolved by the apply flow; here the agent uses none.
    return {**normal, "tools": [], "knowledge": []}


@pytest.mark.parametrize("target", ["elevenlabs", "ultravox"])
async def test_round_trip_keeps_every_managed_field(
    providers: Providers, examples: Path, target: str
) -> None:
    adapter = providers.get(target)
    spec = spec_of(examples, "etf-sales-specialist")
    compiled = adapter.compile(spec, version=1)
    created = await adapter.create_agent(compiled, version=1, label="parley v1")
    assert differences(compiled.payload, project(created.payload, compiled.payload)) == []
    again = await adapter.get_agent(created.remote_id)
    assert again.payload == created.payload

    edited = adapter.compile({**spec, "first_message": "Hello again"}, version=1)
    updated = await adapter.update_agent(created.remote_id, edited, label="parley v2")
    assert differences(edited.payload, project(updated.payload, edited.payload)) == []
    listed = [a.remote_id async for a in adapter.list_agents()]
    assert created.remote_id in listed
    await adapter.delete_agent(created.remote_id)
    with pytest.raises(ProviderNotFound):
        await adapter.get_agent(created.remote_id)


async def test_elevenlabs_versions_are_named(providers: Providers, examples: Path) -> None:
    adapter = providers.get("elevenlabs")
    created = await adapter.create_agent(
        adapter.compile(spec_of(examples, "support-agent")), version=1, label="parley v1 abc"
    )
    assert created.version_id is not None
    assert created.version_id.startswith("agtvrsn_")


async def test_ultravox_names_each_version(providers: Providers, examples: Path) -> None:
    adapter = providers.get("ultravox")
    created = await adapter.create_agent(
        adapter.compile(spec_of(examples, "coaching-agent"), version=7), version=7, label="v7"
    )
    assert created.name == "coaching-agent-v7"


@pytest.mark.parametrize("target", ["elevenlabs", "ultravox"])
async def test_a_wrong_key_is_said_plainly_and_never_shown(
    emulator_app: FastAPI, tmp_path: Path, target: str
) -> None:
    settings = provider_settings(
        tmp_path, elevenlabs_api_key="xi-wrong-secret", ultravox_api_key="uv-wrong-secret"
    )
    transport = httpx.ASGITransport(app=emulator_app)
    async with Providers(settings, transports={target: transport}) as providers:
        with pytest.raises(ProviderAuthError) as caught:
            await providers.get(target).get_agent("whatever")
    message = caught.value.message
    name = {"elevenlabs": "ElevenLabs", "ultravox": "Ultravox"}[target]
    assert message.startswith(f"{name} rejected the API key")
    assert "wrong-secret" not in str(caught.value.to_body())


async def test_missing_key_names_the_setting(tmp_path: Path) -> None:
    from parley.config import settings_with
    from parley.errors import InvalidInput

    async with Providers(settings_with(data_dir=tmp_path)) as providers:
        with pytest.raises(InvalidInput, match="PARLEY_ULTRAVOX_API_KEY"):
            providers.get("ultravox")


def test_ultravox_call_metadata_names_the_version() -> None:
    from parley.providers.ultravox.adapter import call_metadata

    assert call_metadata("support", 3, parley_arm="b") == {
        "parley_agent": "support",
        "parley_version": "3",
        "parley_arm": "b",
    }
