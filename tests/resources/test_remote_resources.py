"""Tools and knowledge planned and applied before the agents that use them, on both databases."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from parley.agents import remote, service
from parley.agents.validate import CheckReport, check_paths
from parley.db.engine import session_scope
from parley.emulator.state import Emulator
from parley.errors import Conflict, NotFound
from parley.providers.base import CompiledResource
from parley.providers.registry import Providers
from parley.resources import service as resources
from parley.resources import usage
from parley.resources.service import ResourceItem, SourcedResource

Sessions = async_sessionmaker[AsyncSession]


def sourced_resources(report: CheckReport) -> list[SourcedResource]:
    return [
        SourcedResource(r.spec, Path(r.file).parent)
        for r in report.valid_resources
        if r.spec is not None
    ]


async def apply_everything(
    sessions: Sessions, providers: Providers, examples: Path, **kw: object
) -> tuple[list[ResourceItem], list[remote.TargetItem]]:
    report = check_paths([examples])
    agents = report.valid
    async with session_scope(sessions) as session:
        done = await resources.apply(
            session, providers, sourced_resources(report), author="t", agents=agents, **kw
        )
        await service.apply(session, [service.SourcedSpec(s) for s in agents], author="t")
        wanted = await remote.desired_for(session, [a.name for a in agents])
        pushed = await remote.apply(session, providers, wanted, author="t")
    return done, pushed


async def plan_resources(
    sessions: Sessions, providers: Providers, examples: Path
) -> dict[tuple[str, str, str], ResourceItem]:
    report = check_paths([examples])
    async with session_scope(sessions) as session:
        items = await resources.plan(
            session, providers, sourced_resources(report), agents=report.valid
        )
    return {(i.kind, i.name, i.target): i for i in items}


async def test_resources_then_agents_carry_real_ids(
    sessions: Sessions, providers: Providers, emu: Emulator, examples: Path
) -> None:
    done, pushed = await apply_everything(sessions, providers, examples)
    assert {i.action for i in done} == {"create"}, [(i.name, i.target, i.error) for i in done]
    assert all(i.not_kept == [] for i in done), [i.not_kept for i in done if i.not_kept]
    # The support agent runs on ElevenLabs only, so its tools and documents go there only.
    assert {i.target for i in done if i.name == "lookup_account"} == {"elevenlabs"}
    assert {i.target for i in done if i.name == "book_meeting"} == {"elevenlabs", "ultravox"}
    assert {i.action for i in pushed} == {"create"}, [(i.name, i.target, i.error) for i in pushed]
    assert not any("not managed by Parley" in loss for i in pushed for loss in i.losses)

    ids = {(i.name, i.target): i.remote_id for i in done}
    el = emu.state("elevenlabs")
    etf = next(a for a in el.agents.values() if a.name == "etf-sales-specialist")
    prompt = etf.tip(etf.main_branch_id).conversation_config["agent"]["prompt"]
    assert prompt["tool_ids"] == [
        ids[("check_calendar", "elevenlabs")],
        ids[("book_meeting", "elevenlabs")],
    ]
    assert [d["id"] for d in prompt["knowledge_base"]] == [
        ids[("etf-product-sheet", "elevenlabs")],
        ids[("etf-fee-schedule", "elevenlabs")],
    ]
    docs = el.knowledge_base
    assert all(d.rag_indexes for d in docs.values())  # indexing was started for each
    faq = docs[ids[("ledgerly-product-faq", "elevenlabs")] or ""]
    assert (faq.type, faq.filename) == ("file", "ledgerly-product-faq.md")
    assert "Bank feeds" in faq.content

    uv = emu.state("ultravox")
    [agent] = [a for a in uv.agents.values() if a.name == "etf-sales-specialist-v1"]
    selected = agent.call_template["selectedTools"]
    assert selected[:2] == [
        {"toolId": ids[("check_calendar", "ultravox")]},
        {"toolId": ids[("book_meeting", "ultravox")]},
    ]
    corpora = [s["parameterOverrides"]["corpus_id"] for s in selected[2:]]
    assert corpora == [
        ids[("etf-product-sheet", "ultravox")],
        ids[("etf-fee-schedule", "ultravox")],
    ]
    assert all(c in uv.corpora for c in corpora)

    again = await plan_resources(sessions, providers, examples)
    assert {i.action for i in again.values()} == {"unchanged"}


async def test_a_tool_edited_behind_parleys_back_is_drift(
    sessions: Sessions, providers: Providers, examples: Path
) -> None:
    done, _ = await apply_everything(sessions, providers, examples)
    ids = {(i.name, i.target): i.remote_id or "" for i in done}
    el = providers.get("elevenlabs").resources
    tool = await el.get_tool(ids[("book_meeting", "elevenlabs")])
    edited = {**tool.payload["tool_config"], "description": "Edited in the dashboard"}
    await el.update_tool(tool.remote_id, _compiled(edited))
    uv = providers.get("ultravox").client
    path = f"/api/tools/{ids[('check_calendar', 'ultravox')]}"
    held = await uv.request("GET", path, "read")
    held["definition"]["timeout"] = "30s"
    await uv.request(
        "PUT", path, "edit", json={"name": held["name"], "definition": held["definition"]}
    )

    planned = await plan_resources(sessions, providers, examples)
    drifted = {k: i for k, i in planned.items() if i.action == "drift"}
    assert set(drifted) == {
        ("tool", "book_meeting", "elevenlabs"),
        ("tool", "check_calendar", "ultravox"),
    }
    el_item = drifted[("tool", "book_meeting", "elevenlabs")]
    assert [(c.path, c.new) for c in el_item.drift] == [
        ("tool_config.description", "Edited in the dashboard")
    ]
    kept, _ = await apply_everything(sessions, providers, examples)
    assert {i.action for i in kept if (i.name, i.target) in {
        ("book_meeting", "elevenlabs"), ("check_calendar", "ultravox")}} == {"drift"}  # fmt: skip
    forced, _ = await apply_everything(sessions, providers, examples, force=True)
    assert {(i.name, i.target): i.action for i in forced if i.action != "unchanged"} == {
        ("book_meeting", "elevenlabs"): "update",
        ("check_calendar", "ultravox"): "update",
    }
    again = await plan_resources(sessions, providers, examples)
    assert {i.action for i in again.values()} == {"unchanged"}


async def test_changed_specs_update_tools_and_recreate_documents(
    sessions: Sessions, providers: Providers, examples: Path, tmp_path: Path
) -> None:
    await apply_everything(sessions, providers, examples)
    copy = tmp_path / "examples"
    shutil.copytree(examples, copy)
    tool = copy / "tools" / "book_meeting.yaml"
    tool.write_text(tool.read_text().replace("timeout_s: 10", "timeout_s: 12"))
    faq = copy / "knowledge" / "ledgerly-product-faq.md"
    faq.write_text(faq.read_text() + "\n## Is there a free trial?\nYes, 14 days.\n")
    planned = await plan_resources(sessions, providers, copy)
    moved = {k: i.action for k, i in planned.items() if i.action != "unchanged"}
    assert moved == {
        ("tool", "book_meeting", "elevenlabs"): "update",
        ("tool", "book_meeting", "ultravox"): "update",
        ("knowledge", "ledgerly-product-faq", "elevenlabs"): "recreate",
    }
    el_change = planned[("tool", "book_meeting", "elevenlabs")].changes
    assert [(c.path, c.old, c.new) for c in el_change] == [
        ("tool_config.response_timeout_secs", 10, 12)
    ]
    done, pushed = await apply_everything(sessions, providers, copy)
    recreated = next(i for i in done if i.name == "ledgerly-product-faq")
    assert recreated.notes
    assert "stays while live agents use it" in recreated.notes[0]
    support = next(i for i in pushed if i.name == "support-agent")
    assert support.action == "update"  # it moves to the new document
    assert any(recreated.remote_id in str(c.new) for c in support.changes)


async def test_delete_is_refused_while_agents_use_it(
    sessions: Sessions, providers: Providers, emu: Emulator, examples: Path
) -> None:
    _done, _ = await apply_everything(sessions, providers, examples)
    async with session_scope(sessions) as session:
        with pytest.raises(Conflict) as refused:
            await resources.delete(
                session, providers, "tool", "book_meeting", "elevenlabs", author="t"
            )
    assert str(refused.value) == (
        "tool book_meeting is used by: etf-sales-specialist (v1); "
        "apply those agents without it first, or pass --force"
    )
    async with session_scope(sessions) as session:
        item = await resources.delete(
            session, providers, "tool", "book_meeting", "elevenlabs", author="t", force=True
        )
    assert item.action == "delete"
    assert item.remote_id not in emu.state("elevenlabs").tools
    async with session_scope(sessions) as session:
        refs = await usage.references(session, "elevenlabs")
        with pytest.raises(NotFound):
            await resources.delete(
                session, providers, "tool", "book_meeting", "elevenlabs", author="t"
            )
    assert "book_meeting" not in refs.tools
    assert "check_calendar" in refs.tools


def _compiled(config: dict[str, object]) -> CompiledResource:
    return CompiledResource("tool", str(config["name"]), "elevenlabs", {"tool_config": config})
