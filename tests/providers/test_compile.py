"""One spec compiled to both providers: pinned defaults, secrets, extras, loss reports."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from elevenlabs.types import AgentPlatformSettingsRequestModel, ConversationalConfig

from parley.agents import canonical
from parley.agents.validate import check_paths
from parley.providers.base import References, deep_merge
from parley.providers.elevenlabs import compile as el
from parley.providers.ultravox import compile as uv


def example(examples: Path, name: str) -> dict[str, Any]:
    [spec] = [s for s in check_paths([examples]).valid if s.name == name]
    return canonical.normalise(spec)


def refs_for(spec: dict[str, Any]) -> References:
    return References(
        tools={name: f"tool_{i}" for i, name in enumerate(spec["tools"])},
        knowledge={
            name: {"id": f"doc_{i}", "type": "url"} for i, name in enumerate(spec["knowledge"])
        },
    )


def test_elevenlabs_payload_parses_with_the_sdk_types(examples: Path) -> None:
    spec = example(examples, "etf-sales-specialist")
    compiled = el.compile_agent(spec, refs_for(spec))
    assert compiled.unresolved == []
    payload = compiled.payload
    config = ConversationalConfig.model_validate(payload["conversation_config"])
    assert config.agent is not None
    assert config.agent.prompt is not None
    assert config.agent.prompt.prompt == spec["system_prompt"]
    assert config.agent.prompt.llm == spec["llm"]["model"]
    assert config.agent.prompt.temperature == spec["llm"]["temperature"]
    assert config.agent.prompt.tool_ids == [f"tool_{i}" for i in range(len(spec["tools"]))]
    assert config.agent.first_message == spec["first_message"]
    assert config.tts is not None
    assert config.tts.voice_id == spec["voice"]["id"]
    assert config.tts.model_id == el.TTS_MODEL  # pinned, never the provider's default
    settings = AgentPlatformSettingsRequestModel.model_validate(payload["platform_settings"])
    assert settings.evaluation is not None
    assert [c.id for c in settings.evaluation.criteria or []] == list(spec["evaluation"])
    assert set(payload["platform_settings"]["data_collection"]) == set(spec["data_collection"])


def test_elevenlabs_secrets_never_become_placeholders(examples: Path) -> None:
    spec = example(examples, "support-agent")
    agent = el.compile_agent(spec, refs_for(spec)).payload["conversation_config"]["agent"]
    placeholders = agent["dynamic_variables"]["dynamic_variable_placeholders"]
    secrets = {n for n, v in spec["variables"].items() if v["secret"]}
    assert secrets
    assert not secrets & set(placeholders)
    assert el.rename_secrets("Bearer {{ token }}", {"token"}) == "Bearer {{secret__token}}"


def test_extras_are_laid_over_verbatim(examples: Path) -> None:
    spec = example(examples, "etf-sales-specialist")
    extras = spec["providers"]["elevenlabs"]
    payload = el.compile_agent(spec, refs_for(spec)).payload
    assert deep_merge(payload, extras) == payload  # already merged, nothing left to add
    uv_extras = spec["providers"]["ultravox"]
    template = uv.compile_agent(spec, refs_for(spec)).payload["callTemplate"]
    for key, value in uv_extras.items():
        assert template[key] == value


def test_ultravox_template_and_losses(examples: Path) -> None:
    spec = example(examples, "etf-sales-specialist")
    compiled = uv.compile_agent(spec, refs_for(spec))
    template = compiled.payload["callTemplate"]
    assert template["systemPrompt"] == spec["system_prompt"]
    assert template["languageHint"] == spec["language"]
    assert template["firstSpeakerSettings"] == {"agent": {"text": spec["first_message"]}}
    assert template["externalVoice"]["elevenLabs"]["voiceId"] == spec["voice"]["id"]
    schema = template["contextSchema"]
    secrets = {n for n, v in spec["variables"].items() if v["secret"]}
    assert not secrets & set(schema["properties"])
    required = {n for n, v in spec["variables"].items() if v["required"] and not v["secret"]}
    assert set(schema["required"]) == required
    lost = {loss.path for loss in compiled.losses}
    assert {f"data_collection.{n}" for n in spec["data_collection"]} <= lost
    assert {f"evaluation.{c}" for c in spec["evaluation"]} <= lost
    corpora = [t for t in template["selectedTools"] if t.get("toolName") == "queryCorpus"]
    assert len(corpora) == len(spec["knowledge"])


def test_models_that_do_not_run_on_ultravox_are_pinned_and_reported() -> None:
    spec = {
        "name": "x",
        "system_prompt": "p",
        "first_message": "",
        "language": "en",
        "llm": {"model": "gpt-4o-mini", "temperature": 1.5, "max_tokens": 200},
        "voice": None,
    }
    compiled = uv.compile_agent(spec)
    template = compiled.payload["callTemplate"]
    assert (template["model"], template["temperature"]) == (uv.DEFAULT_MODEL, 1.0)
    assert template["firstSpeakerSettings"] == {"user": {}}
    assert [loss.path for loss in compiled.losses] == [
        "llm.model",
        "llm.temperature",
        "llm.max_tokens",
    ]
    el_compiled = el.compile_agent(spec)
    assert [loss.path for loss in el_compiled.losses] == ["voice"]


def test_unresolved_references_are_listed(examples: Path) -> None:
    spec = example(examples, "support-agent")
    assert el.compile_agent(spec).unresolved == [
        *(f"tool {t}" for t in spec["tools"]),
        *(f"knowledge {k}" for k in spec["knowledge"]),
    ]


def test_long_names_shortened_for_ultravox_versions_are_reported() -> None:
    spec = {
        "name": "a" * 62,
        "system_prompt": "p",
        "first_message": "",
        "language": "en",
        "llm": {"model": "ultravox-v0.7", "temperature": 0.0, "max_tokens": None},
        "voice": None,
    }
    compiled = uv.compile_agent(spec, version=12)
    assert compiled.payload["name"] == "a" * 60 + "-v12"
    assert [loss.path for loss in compiled.losses] == ["name"]
