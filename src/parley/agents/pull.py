"""`parley agents pull`: bring agents made outside Parley under management, as spec files.

A provider agent is turned back into a neutral spec (decompiled) with everything the neutral
fields cannot say kept verbatim under `providers.<target>`, then checked: the spec must compile
to exactly what the provider holds on every field Parley manages. The spec is applied as a
Parley version and the remote agent is recorded as its live copy, so a plan right after a pull
shows no change.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import ValidationError
from sqlalchemy.ext.asyncio import AsyncSession

from parley.agents import canonical, remote, service
from parley.agents.repository import AgentRepository
from parley.agents.spec import TEMPLATE, AgentSpec
from parley.models import ProviderAgent
from parley.providers.base import AgentProvider, RemoteAgent
from parley.providers.projection import differences, project
from parley.providers.registry import Providers

MAX_FIXES = 3


@dataclass
class Pulled:
    name: str
    target: str
    remote_id: str
    file: str | None = None
    skipped: str | None = None


@dataclass
class PullReport:
    items: list[Pulled] = field(default_factory=list)


def slug(name: str) -> str:
    text = re.sub(r"[^a-z0-9_-]+", "-", name.lower()).strip("-_")
    return (text or "agent")[:64]


def _set(tree: dict[str, Any], path: str, value: Any) -> None:
    """Set `value` at a dotted path, creating the mappings on the way."""
    *parents, last = path.split(".")
    node = tree
    for part in parents:
        node = node.setdefault(part, {})
    node[last] = value


def _extras_for(
    remote_payload: dict[str, Any], found: list[tuple[str, Any, Any]]
) -> dict[str, Any]:
    extras: dict[str, Any] = {}
    for path, _sent, _held in found:
        key_path = path.split("[", 1)[0]
        value = _lookup(remote_payload, key_path)
        _set(extras, key_path, value)
    return extras


def _lookup(tree: Any, path: str) -> Any:
    for part in path.split("."):
        if not isinstance(tree, dict) or part not in tree:
            return None
        tree = tree[part]
    return tree


def _variables(texts: Sequence[str], defaults: dict[str, Any]) -> dict[str, Any]:
    names = {m.group(1) for text in texts for m in TEMPLATE.finditer(text)}
    out: dict[str, Any] = {}
    for name in sorted(names | set(defaults)):
        if name.startswith("system__") or name.startswith("secret__"):
            continue
        default = defaults.get(name)
        out[name] = {"default": default} if default is not None else {"required": True}
    return out


def decompile_elevenlabs(agent: RemoteAgent) -> dict[str, Any]:
    config = agent.payload.get("conversation_config") or {}
    settings = agent.payload.get("platform_settings") or {}
    head = config.get("agent") or {}
    prompt = head.get("prompt") or {}
    tts = config.get("tts") or {}
    placeholders = (head.get("dynamic_variables") or {}).get("dynamic_variable_placeholders") or {}
    spec: dict[str, Any] = {
        "name": slug(agent.name),
        "tags": list(agent.payload.get("tags") or []),
        "targets": ["elevenlabs"],
        "language": head.get("language") or "en",
        "system_prompt": prompt.get("prompt") or "(empty)",
        "first_message": head.get("first_message") or "",
        "llm": {
            "model": prompt.get("llm") or "gemini-2.0-flash",
            "temperature": prompt.get("temperature") or 0.0,
            "max_tokens": None if (prompt.get("max_tokens") or -1) < 0 else prompt["max_tokens"],
        },
        "variables": _variables(
            [prompt.get("prompt") or "", head.get("first_message") or ""], placeholders
        ),
        "data_collection": {
            key: {
                "type": value.get("type", "string"),
                "description": value.get("description") or key,
            }
            for key, value in (settings.get("data_collection") or {}).items()
        },
        "evaluation": {
            c["id"]: {
                "goal": c.get("conversation_goal_prompt") or c["id"],
                "name": c.get("name") or "",
            }
            for c in ((settings.get("evaluation") or {}).get("criteria") or [])
            if c.get("id")
        },
    }
    if tts.get("voice_id"):
        spec["voice"] = {
            key: tts[source]
            for key, source in (
                ("id", "voice_id"),
                ("stability", "stability"),
                ("similarity_boost", "similarity_boost"),
                ("speed", "speed"),
            )
            if tts.get(source) is not None
        }
    return spec


def decompile_ultravox(agent: RemoteAgent) -> dict[str, Any]:
    template = agent.payload.get("callTemplate") or {}
    greeting = (template.get("firstSpeakerSettings") or {}).get("agent") or {}
    voice = (template.get("externalVoice") or {}).get("elevenLabs") or {}
    props = (template.get("contextSchema") or {}).get("properties") or {}
    spec: dict[str, Any] = {
        "name": slug(agent.name),
        "targets": ["ultravox"],
        "language": template.get("languageHint") or "en",
        "system_prompt": template.get("systemPrompt") or "(empty)",
        "first_message": greeting.get("text") or "",
        "llm": {
            "model": template.get("model") or "ultravox-v0.7",
            "temperature": template.get("temperature") or 0.0,
        },
        "variables": _variables(
            [template.get("systemPrompt") or "", greeting.get("text") or ""],
            {k: v.get("default") for k, v in props.items() if isinstance(v, dict)},
        ),
    }
    if voice.get("voiceId"):
        spec["voice"] = {
            "id": voice["voiceId"],
            **{
                key: voice[source]
                for key, source in (
                    ("stability", "stability"),
                    ("similarity_boost", "similarityBoost"),
                    ("style", "style"),
                    ("speed", "speed"),
                    ("speaker_boost", "useSpeakerBoost"),
                )
                if voice.get(source) is not None
            },
        }
    return spec


DECOMPILERS = {"elevenlabs": decompile_elevenlabs, "ultravox": decompile_ultravox}


def to_spec(adapter: AgentProvider, agent: RemoteAgent) -> AgentSpec:
    """The neutral spec that compiles to exactly what `agent` holds on managed fields."""
    base = DECOMPILERS[adapter.name](agent)
    extras: dict[str, Any] = {}
    for _ in range(MAX_FIXES):
        data = {**base, "providers": {adapter.name: extras}}
        spec = AgentSpec.model_validate(data)
        compiled = adapter.compile(canonical.normalise(spec), version=1)
        found = differences(compiled.payload, project(agent.payload, compiled.payload))
        if adapter.name == "ultravox":
            found = [f for f in found if f[0] != "name"]  # version agents carry their own name
        if not found:
            return spec
        template_extras = _extras_for(agent.payload, found)
        if adapter.name == "ultravox":
            template_extras = template_extras.get("callTemplate", {})
        extras = _merge(extras, template_extras)
    raise ValueError(f"{adapter.name} agent {agent.remote_id} could not be described as a spec")


def _merge(a: dict[str, Any], b: dict[str, Any]) -> dict[str, Any]:
    from parley.providers.base import deep_merge

    return deep_merge(a, b)


async def pull(
    session: AsyncSession,
    providers: Providers,
    target: str,
    out_dir: Path,
    *,
    author: str,
    names: Sequence[str] = (),
) -> PullReport:
    adapter = providers.get(target)
    repo = AgentRepository(session)
    report = PullReport()
    managed = {row.remote_id for row in await repo.all_bindings(target)}
    await asyncio.to_thread(out_dir.mkdir, parents=True, exist_ok=True)
    async for summary in adapter.list_agents():
        if summary.remote_id in managed or (names and summary.name not in names):
            continue
        item = Pulled(slug(summary.name), target, summary.remote_id)
        report.items.append(item)
        agent = await adapter.get_agent(summary.remote_id)
        try:
            spec = to_spec(adapter, agent)
        except (ValueError, ValidationError) as exc:
            item.skipped = f"cannot be described as a spec: {exc}"
            continue
        if await repo.by_name(spec.name) is not None:
            item.skipped = f"a Parley agent named {spec.name!r} exists already"
            continue
        path = out_dir / f"{spec.name}.yaml"
        if await asyncio.to_thread(path.exists):
            item.skipped = f"{path} exists already; move it or pull into another folder"
            continue
        text = canonical.to_yaml(canonical.normalise(spec))
        await asyncio.to_thread(path.write_text, text, encoding="utf-8")
        item.file = str(path)
        sourced = service.SourcedSpec(spec, service.Provenance(path=str(path)))
        await service.apply(session, [sourced], author=author, message=f"pulled from {target}")
        created = await repo.by_name(spec.name)
        assert created is not None
        payload = adapter.compile(canonical.normalise(spec), version=1).payload
        if target == "ultravox":
            payload = {**payload, "name": agent.name}
        repo.add(
            ProviderAgent(
                agent_id=created.id,
                target=target,
                version_number=1,
                remote_id=agent.remote_id,
                remote_version_id=agent.version_id,
                remote_branch_id=agent.branch_id,
                payload=payload,
                payload_hash=remote.payload_key(target, payload),
                losses=[],
                live=True,
            )
        )
        repo.audit(author, "agent.pull", spec.name, provider=target, remote_id=agent.remote_id)
        await repo.flush()
    return report
