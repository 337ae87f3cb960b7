"""The start path's reads use the indexes meant for them (SQLite plans without statistics)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.sql import Select

from parley.db.engine import create_engine
from parley.sessions import repository


@pytest.mark.parametrize(
    ("query", "index"),
    [
        (repository._HISTORY_OF_CALLER, "ix_conversations_caller_agent"),
        (repository._HISTORY_OF_USER, "ix_conversations_user_agent"),
    ],
)
async def test_a_units_history_is_read_through_its_own_index(
    sqlite_template: Path, tmp_path: Path, query: Select[tuple[object, ...]], index: str
) -> None:
    """Not through the agent's index, which would read every conversation of the agent."""
    path = tmp_path / "plan.db"
    shutil.copy(sqlite_template, path)
    engine = create_engine(f"sqlite+aiosqlite:///{path}")
    bound = query.params(who="someone", agent_id=1)
    compiled = bound.compile(engine.sync_engine, compile_kwargs={"literal_binds": True})
    try:
        async with engine.connect() as conn:
            plan = (await conn.execute(text(f"EXPLAIN QUERY PLAN {compiled}"))).all()
    finally:
        await engine.dispose()
    details = " ".join(str(row[-1]) for row in plan)
    assert f"USING INDEX {index} (" in details, details
