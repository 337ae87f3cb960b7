"""The agents service on real databases (SQLite and PostgreSQL)."""

from __future__ import annotations

import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from parley.agents import canonical, service
from parley.agents.loader import load_text
from parley.agents.repository import AgentFilter
from parley.agents.validate import check_document
from parley.db.engine import session_scope
from parley.errors import InvalidInput, NotFound
from tests.agents.specs import MINIMAL, WITH_VARIABLES

Sessions = async_sessionmaker[AsyncSession]


def spec(text: str, path: str | None = None) -> service.SourcedSpec:
    checked = check_document(load_text(text, "t.yaml"))
    assert checked.spec is not None, checked.problems
    return service.SourcedSpec(checked.spec, service.Provenance(path=path, git_commit="abc"))


async def apply(sessions: Sessions, *texts: str, message: str = "") -> list[tuple[str, str, int]]:
    async with session_scope(sessions) as session:
        report = await service.apply(
            session, [spec(t) for t in texts], author="alice", message=message
        )
    return [(i.name, i.action, i.version) for i in report.items]


async def test_apply_creates_then_versions_then_is_idempotent(sessions: Sessions) -> None:
    assert await apply(sessions, MINIMAL, message="first") == [("greeter", "create", 1)]
    assert await apply(sessions, MINIMAL) == [("greeter", "unchanged", 1)]
    edited = MINIMAL.replace("people.", "people warmly.")
    assert await apply(sessions, edited) == [("greeter", "update", 2)]
    assert await apply(sessions, edited) == [("greeter", "unchanged", 2)]
    async with session_scope(sessions) as session:
        history = (await service.history(session, "greeter")).items
    assert [(v.number, v.current, v.author) for v in history] == [
        (2, True, "alice"),
        (1, False, "alice"),
    ]
    assert history[1].message == "first"
    assert history[1].git_commit == "abc"


async def test_plan_shows_create_update_unchanged_with_changes(sessions: Sessions) -> None:
    await apply(sessions, MINIMAL)
    edited = MINIMAL.replace("temperature", "x").replace("gpt-4o-mini", "gpt-4o")
    other = MINIMAL.replace("greeter", "other")
    async with session_scope(sessions) as session:
        items = await service.plan(session, [spec(edited), spec(other), spec(MINIMAL)])
    assert [(i.name, i.action, i.current_version) for i in items] == [
        ("greeter", "update", 1),
        ("other", "create", None),
        ("greeter", "unchanged", 1),
    ]
    assert [(c.path, c.old, c.new) for c in items[0].changes] == [
        ("llm.model", "gpt-4o-mini", "gpt-4o")
    ]


async def test_bulk_apply_is_one_report(sessions: Sessions) -> None:
    texts = [MINIMAL.replace("greeter", f"agent-{i}") for i in range(30)]
    result = await apply(sessions, *texts)
    assert len(result) == 30
    assert {action for _, action, _ in result} == {"create"}
    async with session_scope(sessions) as session:
        page = await service.list_agents(session)
    assert len(page.items) == 30


async def test_rollback_appends_a_version_equal_to_the_old_one(sessions: Sessions) -> None:
    await apply(sessions, MINIMAL)
    await apply(sessions, MINIMAL.replace("people.", "everyone."))
    async with session_scope(sessions) as session:
        item = await service.rollback(session, "greeter", 1, author="bob")
    assert (item.action, item.version) == ("update", 3)
    async with session_scope(sessions) as session:
        v1 = await service.show_version(session, "greeter", 1)
        v3 = await service.show_version(session, "greeter", None)
        again = await service.rollback(session, "greeter", 1, author="bob")
    assert v3.content_hash == v1.content_hash
    assert v3.spec == v1.spec
    assert (v3.number, v3.rollback_of, v3.author, v3.message) == (
        3,
        1,
        "bob",
        "rollback to version 1",
    )
    assert (again.action, again.version) == ("unchanged", 3)
    # Applying the old spec again is now a no-op: the content is current.
    assert await apply(sessions, MINIMAL) == [("greeter", "unchanged", 3)]


async def test_diff_between_versions(sessions: Sessions) -> None:
    await apply(sessions, WITH_VARIABLES)
    await apply(sessions, WITH_VARIABLES.replace("Acme", "Globex"))
    async with session_scope(sessions) as session:
        result = await service.diff(session, "greeter", 1, 2)
        with pytest.raises(NotFound, match="has no version 7"):
            await service.diff(session, "greeter", 1, 7)
    assert [(c.path, c.old, c.new) for c in result.changes] == [
        ("variables.company.default", "Acme", "Globex")
    ]


async def test_list_filters_and_cursor_pagination(sessions: Sessions) -> None:
    await apply(
        sessions,
        WITH_VARIABLES.replace("greeter", "alpha"),
        MINIMAL.replace("greeter", "beta") + "targets: [ultravox]\ntags: [sales]\n",
        MINIMAL.replace("greeter", "gamma")
        + "description: Books meetings\nmetadata: {owner: b, live: true}\n",
    )

    async def names(flt: AgentFilter) -> list[str]:
        async with session_scope(sessions) as session:
            return [a.name for a in (await service.list_agents(session, flt)).items]

    assert await names(AgentFilter()) == ["alpha", "beta", "gamma"]
    assert await names(AgentFilter(tag="support")) == ["alpha"]
    assert await names(AgentFilter(provider="elevenlabs")) == ["alpha", "gamma"]
    assert await names(AgentFilter(search="MEETINGS")) == ["gamma"]
    assert await names(AgentFilter(search="%")) == []  # matched literally, not as a wildcard
    assert await names(AgentFilter(metadata=(("meta.owner", "team-a"),))) == ["alpha"]
    assert await names(AgentFilter(metadata=service.parse_metadata_filters(["live=true"]))) == [
        "gamma"
    ]
    async with session_scope(sessions) as session:
        first = await service.list_agents(session, cursor=None, limit=2)
        second = await service.list_agents(session, cursor=first.next_cursor, limit=2)
        with pytest.raises(InvalidInput):
            await service.list_agents(session, limit=0)
    assert [a.name for a in first.items] == ["alpha", "beta"]
    assert [a.name for a in second.items] == ["gamma"]
    assert second.next_cursor is None


async def test_history_pages_newest_first(sessions: Sessions) -> None:
    for n in range(5):
        await apply(sessions, MINIMAL.replace("people.", f"people {n}."))
    async with session_scope(sessions) as session:
        first = await service.history(session, "greeter", limit=2)
        rest = await service.history(session, "greeter", cursor=first.next_cursor, limit=10)
    assert [v.number for v in first.items] == [5, 4]
    assert [v.number for v in rest.items] == [3, 2, 1]


async def test_archive_hides_and_apply_restores(sessions: Sessions) -> None:
    await apply(sessions, MINIMAL)
    async with session_scope(sessions) as session:
        summary = await service.archive(session, "greeter", author="alice")
    assert summary.archived
    async with session_scope(sessions) as session:
        assert (await service.list_agents(session)).items == []
        archived = await service.list_agents(session, AgentFilter(include_archived=True))
        assert [a.name for a in archived.items] == ["greeter"]
        [item] = await service.plan(session, [spec(MINIMAL)])
    assert item.action == "restore"
    assert await apply(sessions, MINIMAL) == [("greeter", "restore", 1)]
    async with session_scope(sessions) as session:
        assert [a.name for a in (await service.list_agents(session)).items] == ["greeter"]


async def test_export_plans_as_unchanged(sessions: Sessions) -> None:
    await apply(sessions, WITH_VARIABLES)
    async with session_scope(sessions) as session:
        text = await service.export(session, "greeter")
        [item] = await service.plan(session, [spec(text)])
    assert item.action == "unchanged"
    assert canonical.to_yaml(canonical.normalise(spec(text).spec)) == text


async def test_unknown_agent_and_bad_refs(sessions: Sessions) -> None:
    async with session_scope(sessions) as session:
        with pytest.raises(NotFound, match="no agent named 'ghost'"):
            await service.show_agent(session, "ghost")
    assert service.parse_ref("a@12") == ("a", 12)
    assert service.parse_ref("a") == ("a", None)
    with pytest.raises(InvalidInput):
        service.parse_ref("a@x")
