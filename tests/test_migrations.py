"""Every migration walks up and down on both databases, and the models match the migrations."""

from __future__ import annotations

from pathlib import Path

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import inspect

from parley.conversations import search
from parley.db import migrate
from parley.db.base import Base
from parley.db.engine import create_engine


def _revisions() -> list[str]:
    scripts = ScriptDirectory.from_config(migrate._config())
    return [rev.revision for rev in reversed(list(scripts.walk_revisions()))]


async def test_walk_every_migration_up_and_down(db_url: str) -> None:
    engine = create_engine(db_url)
    try:
        await migrate.downgrade(engine, "base")
        async with engine.connect() as conn:
            tables = await conn.run_sync(lambda c: inspect(c).get_table_names())
        assert set(tables) <= {"alembic_version"}
        previous = "base"
        for revision in _revisions():
            await migrate.upgrade(engine, revision)
            assert await migrate.current_revision(engine) == revision
            await migrate.downgrade(engine, previous)
            await migrate.upgrade(engine, revision)
            previous = revision
        assert await migrate.current_revision(engine) == migrate.LATEST_REVISION
    finally:
        await migrate.upgrade(engine)
        await engine.dispose()


def _not_full_text_search(
    obj: object, name: str | None, type_: str, reflected: bool, compare_to: object
) -> bool:
    """Leave out what migration 0006 adds for full-text search, and only that: SQLAlchemy
    models cannot declare SQLite's FTS5 table (nor the shadow tables FTS5 makes for it) or
    PostgreSQL's GIN expression indexes, so the database has them and the models never will."""
    if not reflected or compare_to is not None or name is None:
        return True
    return not any(name == own or name.startswith(f"{own}_") for own in search.SEARCH_OBJECTS)


async def test_models_match_the_migrations(db_url: str) -> None:
    engine = create_engine(db_url)

    def differences(sync_conn: object) -> list[object]:
        opts = {"compare_type": True, "include_object": _not_full_text_search}
        context = MigrationContext.configure(sync_conn, opts=opts)  # type: ignore[arg-type]
        return list(compare_metadata(context, Base.metadata))

    async with engine.connect() as conn:
        assert await conn.run_sync(differences) == []
    await engine.dispose()


def test_latest_revision_constant_is_the_head() -> None:
    assert migrate.head_revision() == migrate.LATEST_REVISION == _revisions()[-1]


async def test_ensure_schema_creates_a_new_database(tmp_path: Path) -> None:
    engine = create_engine(f"sqlite+aiosqlite:///{tmp_path / 'sub' / 'new.db'}")
    assert await migrate.current_revision(engine) is None
    await migrate.ensure_schema(engine)
    await migrate.ensure_schema(engine)  # already current: a no-op
    assert await migrate.current_revision(engine) == migrate.LATEST_REVISION
    await engine.dispose()


async def test_processes_starting_together_migrate_once(tmp_path: Path, db_url: str) -> None:
    """Several engines (as several API processes would) upgrading the same database at once."""
    import asyncio

    engines = [create_engine(db_url) for _ in range(3)]
    try:
        await migrate.downgrade(engines[0], "base")
        await asyncio.gather(*(migrate.upgrade(e) for e in engines))
        assert await migrate.current_revision(engines[0]) == migrate.LATEST_REVISION
    finally:
        await migrate.upgrade(engines[0])
        for engine in engines:
            await engine.dispose()
