"""analytics rollups and dirty marks

`analytics_rollups` holds one pre-aggregated row per (agent, UTC day, version, provider);
`analytics_dirty` lists the (agent, day) buckets to recompute. Triggers on `conversations`
mark a bucket dirty on every insert, update (old and new bucket) and delete, whichever code
path writes, so rollups can never silently go stale. Trigger DDL is dialect-specific and not
in the ORM models (Alembic does not compare triggers). Every (agent, day) that already has
conversations is marked dirty here, so the first analytics query builds its rollups.

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-22
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SQLITE_DAY = "substr({row}.started_at, 1, 10)"  # stored as naive UTC text
POSTGRES_DAY = "to_char({row}.started_at AT TIME ZONE 'UTC', 'YYYY-MM-DD')"


def _sqlite_mark(row: str) -> str:
    return (
        f"INSERT INTO analytics_dirty (agent_id, day, seq) SELECT {row}.agent_id, "
        f"{SQLITE_DAY.format(row=row)}, 1 WHERE {row}.agent_id IS NOT NULL "
        "ON CONFLICT (agent_id, day) DO UPDATE SET seq = seq + 1;"
    )


SQLITE_UP = (
    "CREATE TRIGGER analytics_dirty_insert AFTER INSERT ON conversations "
    f"BEGIN {_sqlite_mark('new')} END",
    "CREATE TRIGGER analytics_dirty_update AFTER UPDATE ON conversations "
    f"BEGIN {_sqlite_mark('old')} {_sqlite_mark('new')} END",
    "CREATE TRIGGER analytics_dirty_delete AFTER DELETE ON conversations "
    f"BEGIN {_sqlite_mark('old')} END",
)
SQLITE_DOWN = (
    "DROP TRIGGER IF EXISTS analytics_dirty_delete",
    "DROP TRIGGER IF EXISTS analytics_dirty_update",
    "DROP TRIGGER IF EXISTS analytics_dirty_insert",
)


def _postgres_mark(row: str) -> str:
    return (
        f"IF {row}.agent_id IS NOT NULL THEN "
        "INSERT INTO analytics_dirty (agent_id, day, seq) "
        f"VALUES ({row}.agent_id, {POSTGRES_DAY.format(row=row)}, 1) "
        "ON CONFLICT (agent_id, day) DO UPDATE SET seq = analytics_dirty.seq + 1; END IF;"
    )


POSTGRES_UP = (
    "CREATE FUNCTION analytics_mark_dirty() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
    f"IF TG_OP IN ('UPDATE', 'DELETE') THEN {_postgres_mark('OLD')} END IF; "
    f"IF TG_OP IN ('INSERT', 'UPDATE') THEN {_postgres_mark('NEW')} END IF; "
    "RETURN NULL; END $$",
    "CREATE TRIGGER analytics_dirty AFTER INSERT OR UPDATE OR DELETE ON conversations "
    "FOR EACH ROW EXECUTE FUNCTION analytics_mark_dirty()",
)
POSTGRES_DOWN = (
    "DROP TRIGGER IF EXISTS analytics_dirty ON conversations",
    "DROP FUNCTION IF EXISTS analytics_mark_dirty()",
)


def upgrade() -> None:
    op.create_table(
        "analytics_rollups",
        sa.Column("agent_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("day", sa.String(length=10), nullable=False),
        sa.Column("version_number", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("provider", sa.String(length=32), nullable=False),
        sa.Column("conversations", sa.Integer(), nullable=False),
        sa.Column("stats", sa.JSON(none_as_null=True), nullable=False),
        sa.Column("computed_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint(
            "agent_id", "day", "version_number", "provider", name=op.f("pk_analytics_rollups")
        ),
    )
    op.create_table(
        "analytics_dirty",
        sa.Column("agent_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("day", sa.String(length=10), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("agent_id", "day", name=op.f("pk_analytics_dirty")),
    )
    dialect = op.get_bind().dialect.name
    day = {"sqlite": SQLITE_DAY, "postgresql": POSTGRES_DAY}.get(dialect)
    if day is not None:
        op.execute(
            "INSERT INTO analytics_dirty (agent_id, day, seq) SELECT DISTINCT c.agent_id, "
            f"{day.format(row='c')}, 1 FROM conversations c WHERE c.agent_id IS NOT NULL"
        )
    for statement in {"sqlite": SQLITE_UP, "postgresql": POSTGRES_UP}.get(dialect, ()):
        op.execute(statement)


def downgrade() -> None:
    dialect = op.get_bind().dialect.name
    for statement in {"sqlite": SQLITE_DOWN, "postgresql": POSTGRES_DOWN}.get(dialect, ()):
        op.execute(statement)
    op.drop_table("analytics_dirty")
    op.drop_table("analytics_rollups")
