"""Three-way plan and apply on the emulated providers, on both databases."""

from __future__ import annotations

import random
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from elevenlabs.client import AsyncElevenLabs
from fastapi import FastAPI
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from parley.agents import remote, service
from parley.agents.validate import check_paths
from parley.db.engine import session_scope
from parley.emulator.faults import FaultRule
from parley.emulator.state import Emulator
from parley.providers.registry import Providers
from parley.providers.resilience import CircuitBreaker, Resilience
from tests.providers.conftest import EL_KEY, provider_settings

Sessions = async_sessionmaker[AsyncSession]


class FakeClock:
    """Time that moves only when the code sleeps (or a test says so): retries cost nothing."""

    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.now += seconds


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
async def providers(
    emulator_app: FastAPI, tmp_path: Path, clock: FakeClock
) -> AsyncIterator[Providers]:
    transport = httpx.ASGITransport(app=emulator_app)
    resilience = {
        name: Resilience(
            name, sleep=clock.sleep, rng=random.Random(1), breaker=CircuitBreaker(clock=clock)
        )
        for name in ("elevenlabs", "ultravox")
    }
    async with Providers(
        provider_settings(tmp_path),
        transports={"elevenlabs": transport, "ultravox": transport},
        resilience=resilience,
    ) as built:
        yield built


def sourced(examples: Path, **edits: Any) -> list[service.SourcedSpec]:
    specs = []
    for spec in check_paths([examples]).valid:
        data = spec.model_dump()
        data.update(edits.get(spec.name, {}))
        specs.append(service.SourcedSpec(type(spec).model_validate(data)))
    return specs


async def apply_all(
    sessions: Sessions, providers: Providers, specs: list[service.SourcedSpec], **kw: Any
) -> list[remote.TargetItem]:
    async with session_scope(sessions) as session:
        await service.apply(session, specs, author="t")
        wanted = await remote.desired_for(session, [s.spec.name for s in specs])
        return await remote.apply(session, providers, wanted, author="t", **kw)


async def plan_all(
    sessions: Sessions, providers: Providers, names: list[str]
) -> dict[tuple[str, str], remote.TargetItem]:
    async with session_scope(sessions) as session:
        wanted = await remote.desired_for(session, names)
        items = await remote.plan(session, providers, wanted)
    return {(i.name, i.target): i for i in items}


def actions(items: list[remote.TargetItem]) -> dict[tuple[str, str], str]:
    return {(i.name, i.target): i.action for i in items}


NAMES = ["coaching-agent", "etf-sales-specialist", "support-agent"]


async def test_create_then_unchanged_then_versions(
    sessions: Sessions, providers: Providers, emu: Emulator, examples: Path
) -> None:
    first = await apply_all(sessions, providers, sourced(examples))
    assert set(actions(first).values()) == {"create"}
    assert len(first) == 5  # the support agent targets ElevenLabs only
    assert all(i.not_kept == [] and i.error is None for i in first)
    again = await plan_all(sessions, providers, NAMES)
    assert {i.action for i in again.values()} == {"unchanged"}

    edited = sourced(examples, **{"etf-sales-specialist": {"first_message": "Good day!"}})
    planned = await plan_all(sessions, providers, NAMES)
    assert planned[("etf-sales-specialist", "elevenlabs")].action == "unchanged"
    second = await apply_all(sessions, providers, edited)
    moved = {k: v for k, v in actions(second).items() if v != "unchanged"}
    assert moved == {
        ("etf-sales-specialist", "elevenlabs"): "update",
        ("etf-sales-specialist", "ultravox"): "create",
    }
    update = next(i for i in second if i.action == "update")
    assert [c.path for c in update.changes] == ["conversation_config.agent.first_message"]
    ultravox_names = sorted(a.name for a in emu.state("ultravox").agents.values())
    assert "etf-sales-specialist-v1" in ultravox_names
    assert "etf-sales-specialist-v2" in ultravox_names


async def test_drift_is_shown_and_only_overwritten_with_force(
    sessions: Sessions, providers: Providers, emulator_app: FastAPI, examples: Path
) -> None:
    created = await apply_all(sessions, providers, sourced(examples))
    agent_id = next(
        i.remote_id for i in created if i.name == "support-agent" and i.target == "elevenlabs"
    )
    assert agent_id is not None
    sdk = AsyncElevenLabs(
        api_key=EL_KEY,
        base_url="http://emulator.test/elevenlabs",
        httpx_client=httpx.AsyncClient(transport=httpx.ASGITransport(app=emulator_app)),
    )
    await sdk.conversational_ai.agents.update(
        agent_id, conversation_config={"agent": {"first_message": "Edited in the dashboard"}}
    )
    planned = await plan_all(sessions, providers, NAMES)
    drifted = planned[("support-agent", "elevenlabs")]
    assert drifted.action == "drift"
    assert [(c.path, c.new) for c in drifted.drift] == [
        ("conversation_config.agent.first_message", "Edited in the dashboard")
    ]
    kept = await apply_all(sessions, providers, sourced(examples))
    assert actions(kept)[("support-agent", "elevenlabs")] == "drift"  # not overwritten
    live = await sdk.conversational_ai.agents.get(agent_id)
    assert live.conversation_config.agent.first_message == "Edited in the dashboard"
    forced = await apply_all(sessions, providers, sourced(examples), force=True)
    assert actions(forced)[("support-agent", "elevenlabs")] == "update"
    planned = await plan_all(sessions, providers, NAMES)
    assert planned[("support-agent", "elevenlabs")].action == "unchanged"


async def test_rollback_updates_elevenlabs_and_reuses_the_ultravox_agent(
    sessions: Sessions, providers: Providers, emu: Emulator, examples: Path
) -> None:
    await apply_all(sessions, providers, sourced(examples))
    edits = {"coaching-agent": {"first_message": "Welcome back, {{user_name}}."}}
    await apply_all(sessions, providers, sourced(examples, **edits))
    before = len(emu.state("ultravox").agents)
    async with session_scope(sessions) as session:
        await service.rollback(session, "coaching-agent", 1, author="t")
        wanted = await remote.desired_for(session, ["coaching-agent"])
        items = await remote.apply(session, providers, wanted, author="t")
    assert actions(items) == {
        ("coaching-agent", "elevenlabs"): "update",
        ("coaching-agent", "ultravox"): "reuse",
    }
    assert len(emu.state("ultravox").agents) == before  # no new agent for old content
    assert next(i for i in items if i.target == "ultravox").remote_id is not None


async def test_deleted_remotely_is_recreated(
    sessions: Sessions, providers: Providers, examples: Path
) -> None:
    items = await apply_all(sessions, providers, sourced(examples))
    gone = next(i for i in items if i.name == "support-agent")
    assert gone.remote_id is not None
    await providers.get("elevenlabs").delete_agent(gone.remote_id)
    planned = await plan_all(sessions, providers, NAMES)
    assert planned[("support-agent", "elevenlabs")].action == "recreate"
    again = await apply_all(sessions, providers, sourced(examples))
    recreated = next(i for i in again if i.name == "support-agent")
    assert recreated.action == "recreate"
    assert recreated.remote_id != gone.remote_id


async def test_an_interrupted_create_is_adopted_not_duplicated(
    sessions: Sessions, providers: Providers, emu: Emulator, examples: Path
) -> None:
    specs = sourced(examples)
    async with session_scope(sessions) as session:
        await service.apply(session, specs, author="t")
        [wanted] = await remote.desired_for(session, ["support-agent"])
    adapter = providers.get("elevenlabs")
    # The provider created the agent, then the answer was lost before Parley recorded it.
    await adapter.create_agent(adapter.compile(wanted.spec), version=1, label="lost")
    items = await apply_all(sessions, providers, specs)
    support = next(i for i in items if i.name == "support-agent")
    assert (support.action, support.adopted) == ("create", True)
    names = [a.name for a in emu.state("elevenlabs").agents.values()]
    assert names.count("support-agent") == 1


async def test_loss_policy_fail_blocks_the_target(
    sessions: Sessions, providers: Providers, examples: Path
) -> None:
    specs = sourced(examples, **{"coaching-agent": {"loss_policy": "fail"}})
    items = await apply_all(sessions, providers, specs)
    blocked = {(i.name, i.target) for i in items if i.action == "blocked"}
    assert ("coaching-agent", "ultravox") in blocked  # data collection cannot carry over


async def test_apply_converges_through_429s_and_5xx(
    sessions: Sessions, providers: Providers, emu: Emulator, examples: Path
) -> None:
    emu.faults.add(FaultRule(kind="http_error", path="/elevenlabs/*", status=429,
                             retry_after=1, rate=0.5, count=8))  # fmt: skip
    emu.faults.add(FaultRule(kind="http_error", path="/ultravox/*", status=503, count=3))
    items = await apply_all(sessions, providers, sourced(examples))
    assert {i.action for i in items} == {"create"}
    assert all(i.error is None for i in items)
    names = [a.name for a in emu.state("elevenlabs").agents.values()]
    assert sorted(names) == sorted(NAMES)  # retries created no duplicates


async def test_a_provider_that_is_down_fails_plainly(
    sessions: Sessions, providers: Providers, emu: Emulator, examples: Path, clock: FakeClock
) -> None:
    emu.faults.add(FaultRule(kind="http_error", path="/ultravox/*", status=503))
    items = await apply_all(sessions, providers, sourced(examples))
    failed = [i for i in items if i.action == "failed"]
    assert {i.target for i in failed} == {"ultravox"}
    assert all(i.error and "Ultravox" in i.error for i in failed)
    assert {i.action for i in items if i.target == "elevenlabs"} == {"create"}
    emu.faults.clear()
    # The breaker opened: until its cooldown ends Parley fails fast instead of calling.
    fast = await apply_all(sessions, providers, sourced(examples))
    assert all("circuit open" in (i.error or "") for i in fast if i.target == "ultravox")
    clock.now += 31
    retried = await apply_all(sessions, providers, sourced(examples))
    assert {i.action for i in retried if i.target == "ultravox"} == {"create"}


async def test_an_unknown_voice_falls_back_and_says_so(
    sessions: Sessions, providers: Providers, examples: Path
) -> None:
    specs = sourced(examples, **{"support-agent": {"voice": {"id": "no-such-voice"}}})
    items = await apply_all(sessions, providers, specs)
    support = next(i for i in items if i.name == "support-agent")
    assert support.action == "create"
    assert any("no-such-voice" in loss and "(used)" in loss for loss in support.losses)
    live = await providers.get("elevenlabs").get_agent(support.remote_id or "")
    assert live.payload["conversation_config"]["tts"]["voice_id"] != "no-such-voice"
    planned = await plan_all(sessions, providers, NAMES)
    assert planned[("support-agent", "elevenlabs")].action == "unchanged"
