"""conversation search and retention policies

Full-text search is dialect-specific DDL, so it is written with op.execute:

- SQLite: an FTS5 table `conversation_search` with one row per conversation (rowid = the
  conversation's id; columns summary and transcript), filled by the conversation repository
  whenever a conversation is stored. A trigger removes the row when the conversation is deleted
  however that happens. Existing conversations are indexed here.
- PostgreSQL: GIN expression indexes over to_tsvector('simple', ...) of the turns' text and of
  the summary; nothing to maintain, the indexes follow the rows.

Neither is in the ORM models (SQLAlchemy has no notion of either); the models-match-migrations
test leaves exactly these names out of its comparison.

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-23
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SQLITE_UP = (
    "CREATE VIRTUAL TABLE conversation_search USING fts5(summary, transcript)",
    "CREATE TRIGGER conversation_search_delete AFTER DELETE ON conversations "
    "BEGIN DELETE FROM conversation_search WHERE rowid = old.id; END",
    "INSERT INTO conversation_search (rowid, summary, transcript) "
    "SELECT c.id, coalesce(c.summary, ''), coalesce((SELECT group_concat(t.text, char(10)) "
    "FROM conversation_turns t WHERE t.conversation_id = c.id), '') FROM conversations c",
)
SQLITE_DOWN = (
    "DROP TRIGGER IF EXISTS conversation_search_delete",
    "DROP TABLE IF EXISTS conversation_search",
)
POSTGRES_UP = (
    "CREATE INDEX ix_conversation_turns_text_fts ON conversation_turns "
    "USING gin (to_tsvector('simple'::regconfig, text))",
    "CREATE INDEX ix_conversations_summary_fts ON conversations "
    "USING gin (to_tsvector('simple'::regconfig, coalesce(summary, '')))",
)
POSTGRES_DOWN = (
    "DROP INDEX IF EXISTS ix_conversations_summary_fts",
    "DROP INDEX IF EXISTS ix_conversation_turns_text_fts",
)


def upgrade() -> None:
    op.create_table(
        "retention_policies",
        sa.Column("agent", sa.String(length=128), nullable=False),
        sa.Column("audio_days", sa.Integer(), nullable=True),
        sa.Column("conversation_days", sa.Integer(), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_by", sa.String(length=256), nullable=False),
        sa.PrimaryKeyConstraint("agent", name=op.f("pk_retention_policies")),
    )
    dialect = op.get_bind().dialect.name
    for statement in {"sqlite": SQLITE_UP, "postgresql": POSTGRES_UP}.get(dialect, ()):
        op.execute(statement)


def downgrade() -> None:
    dialect = op.get_bind().dialect.name
    for statement in {"sqlite": SQLITE_DOWN, "postgresql": POSTGRES_DOWN}.get(dialect, ()):
        op.execute(statement)
    op.drop_table("retention_policies")
