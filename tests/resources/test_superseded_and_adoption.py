"""Superseded documents are deleted once no live agent uses them; interrupted creates adopted."""

from __future__ import annotations

import shutil
from pathlib import Path

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from parley.agents import remote, service
from parley.agents.validate import check_paths
from parley.db.engine import session_scope
from parley.emulator.state import Emulator
from parley.providers.errors import ProviderNotFound
from parley.providers.registry import Providers
from parley.resources import service as resources
from parley.resources import superseded
from parley.resources.repository import ResourceRepository
from parley.resources.service import ResourceItem
from tests.resources.test_remote_resources import (
    apply_everything,
    plan_resources,
    sourced_resources,
)

Sessions = async_sessionmaker[AsyncSession]
FEES = "etf-fee-schedule"  # a text document the ETF agent uses on both providers


def _copy(examples: Path, tmp_path: Path) -> Path:
    copy = tmp_path / "examples"
    shutil.copytree(examples, copy)
    return copy


def _edit_fees(folder: Path) -> None:
    doc = folder / "knowledge" / f"{FEES}.yaml"
    doc.write_text(doc.read_text().replace("0.29% a year", "0.25% a year"))


async def _apply(
    sessions: Sessions, providers: Providers, folder: Path, only: list[str]
) -> tuple[list[ResourceItem], list[remote.TargetItem]]:
    """Resources and versions for every file; only the agents in `only` go to the providers."""
    report = check_paths([folder])
    async with session_scope(sessions) as session:
        done = await resources.apply(
            session, providers, sourced_resources(report), author="t", agents=report.valid
        )
        await service.apply(session, [service.SourcedSpec(s) for s in report.valid], author="t")
        wanted = await remote.desired_for(session, only)
        pushed = await remote.apply(session, providers, wanted, author="t")
    return done, pushed


async def _collect(sessions: Sessions, providers: Providers) -> list[ResourceItem]:
    async with session_scope(sessions) as session:
        return await resources.collect_garbage(session, providers, None, author="t")


async def _exists(providers: Providers, target: str, remote_id: str) -> bool:
    try:
        await providers.get(target).resources.get_knowledge(remote_id)
    except ProviderNotFound:
        return False
    return True


async def test_an_edited_document_is_deleted_once_its_agents_moved(
    sessions: Sessions, providers: Providers, emu: Emulator, examples: Path, tmp_path: Path
) -> None:
    first, _ = await apply_everything(sessions, providers, examples)
    old = {i.target: i.remote_id or "" for i in first if i.name == FEES}
    assert set(old) == {"elevenlabs", "ultravox"}
    copy = _copy(examples, tmp_path)
    _edit_fees(copy)

    report = check_paths([copy])
    async with session_scope(sessions) as session:
        done = await resources.apply(
            session, providers, sourced_resources(report), author="t", agents=report.valid
        )
    new = {i.target: i.remote_id or "" for i in done if i.name == FEES}
    assert {i.action for i in done if i.name == FEES} == {"recreate"}
    # Only name and type of a document read back: the old one must not be "adopted".
    assert all(new[t] != old[t] for t in old)
    assert not any(i.adopted for i in done)
    # The agents still use the old documents: nothing may be deleted yet.
    assert await _collect(sessions, providers) == []
    assert all([await _exists(providers, t, i) for t, i in old.items()])
    # The bookkeeping key is no change: planning again shows nothing to do for the document.
    planned = await plan_resources(sessions, providers, copy)
    assert {planned[("knowledge", FEES, t)].action for t in old} == {"unchanged"}

    _, pushed = await apply_everything(sessions, providers, copy)
    etf = [i for i in pushed if i.name == "etf-sales-specialist"]
    assert {i.action for i in etf} == {"update", "create"}  # ElevenLabs updates, Ultravox new
    assert all(any(new[i.target] in str(c.new) for c in i.changes) for i in etf)
    collected = await _collect(sessions, providers)
    assert {(i.target, i.action, i.remote_id) for i in collected} == {
        (t, "delete", old[t]) for t in old
    }
    assert old["elevenlabs"] not in emu.state("elevenlabs").knowledge_base
    assert old["ultravox"] not in emu.state("ultravox").corpora
    assert not await _exists(providers, "elevenlabs", old["elevenlabs"])
    assert all([await _exists(providers, t, i) for t, i in new.items()])
    async with session_scope(sessions) as session:
        rows = await ResourceRepository(session).rows()
    assert not any(superseded.ids(r) for r in rows)
    assert await _collect(sessions, providers) == []  # nothing left to collect


async def test_a_document_another_live_agent_uses_is_kept(
    sessions: Sessions, providers: Providers, emu: Emulator, examples: Path, tmp_path: Path
) -> None:
    copy = _copy(examples, tmp_path)
    spec = (copy / "etf-sales-specialist.yaml").read_text()
    twin = spec.replace("name: etf-sales-specialist\n", "name: etf-sales-twin\n", 1)
    (copy / "etf-sales-twin.yaml").write_text(twin)
    both = ["etf-sales-specialist", "etf-sales-twin"]
    first, _ = await _apply(sessions, providers, copy, both)
    old = next(i.remote_id or "" for i in first if (i.name, i.target) == (FEES, "elevenlabs"))

    _edit_fees(copy)
    await _apply(sessions, providers, copy, ["etf-sales-specialist"])
    # The twin's live version still names the old document on both providers.
    assert await _collect(sessions, providers) == []
    assert old in emu.state("elevenlabs").knowledge_base

    await _apply(sessions, providers, copy, ["etf-sales-twin"])
    collected = await _collect(sessions, providers)
    assert ("elevenlabs", old) in {(i.target, i.remote_id) for i in collected}
    assert {i.action for i in collected} == {"delete"}
    assert old not in emu.state("elevenlabs").knowledge_base


async def test_a_tool_created_but_not_recorded_is_adopted(
    sessions: Sessions, providers: Providers, emu: Emulator, examples: Path
) -> None:
    report = check_paths([examples])
    [tool] = [r.spec for r in report.valid_resources if r.spec and r.spec.name == "book_meeting"]
    data = tool.model_dump(mode="json")
    # An apply that died after the provider answered: the tools exist, Parley has no rows.
    leftover = {}
    for target in ("elevenlabs", "ultravox"):
        adapter = providers.get(target).resources
        leftover[target] = (await adapter.create_tool(adapter.compile("tool", data))).remote_id

    done, pushed = await apply_everything(sessions, providers, examples)
    items = {i.target: i for i in done if i.name == "book_meeting"}
    assert {t: (i.action, i.adopted, i.remote_id) for t, i in items.items()} == {
        t: ("create", True, remote_id) for t, remote_id in leftover.items()
    }
    assert {i.action for i in pushed} == {"create"}
    el_tools = emu.state("elevenlabs").tools.values()
    uv_tools = emu.state("ultravox").tools.values()
    assert [t.id for t in el_tools if t.tool_config["name"] == "book_meeting"] == [
        leftover["elevenlabs"]
    ]
    assert [t.tool_id for t in uv_tools if t.name == "book_meeting"] == [leftover["ultravox"]]
    # Other tools were created as usual, and a second apply changes nothing.
    assert not any(i.adopted for i in done if i.name != "book_meeting")
    again = await plan_resources(sessions, providers, examples)
    assert {i.action for i in again.values()} == {"unchanged"}


async def test_a_different_tool_with_the_same_name_is_not_adopted(
    sessions: Sessions, providers: Providers, emu: Emulator, examples: Path
) -> None:
    # ElevenLabs allows two tools with one name (Ultravox refuses the second create).
    report = check_paths([examples])
    [tool] = [r.spec for r in report.valid_resources if r.spec and r.spec.name == "book_meeting"]
    data = {**tool.model_dump(mode="json"), "description": "Someone else's tool"}
    adapter = providers.get("elevenlabs").resources
    theirs = (await adapter.create_tool(adapter.compile("tool", data))).remote_id

    done, _ = await apply_everything(sessions, providers, examples)
    [item] = [i for i in done if (i.name, i.target) == ("book_meeting", "elevenlabs")]
    assert (item.action, item.adopted) == ("create", False)
    assert item.remote_id != theirs
    tools = emu.state("elevenlabs").tools.values()
    assert [t.tool_config["name"] for t in tools].count("book_meeting") == 2


async def test_a_document_created_but_not_recorded_is_adopted(
    sessions: Sessions, providers: Providers, emu: Emulator, examples: Path
) -> None:
    report = check_paths([examples])
    [doc] = [r for r in report.valid_resources if r.spec and r.spec.name == FEES]
    assert doc.spec is not None
    adapter = providers.get("ultravox").resources
    compiled = adapter.compile("knowledge", doc.spec.model_dump(mode="json"))
    leftover = (await adapter.create_knowledge(compiled)).remote_id

    done, _ = await apply_everything(sessions, providers, examples)
    [item] = [i for i in done if (i.name, i.target) == (FEES, "ultravox")]
    assert (item.action, item.adopted, item.remote_id) == ("create", True, leftover)
    names = [c.name for c in emu.state("ultravox").corpora.values()]
    assert names.count(FEES) == 1
