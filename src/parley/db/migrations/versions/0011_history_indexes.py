"""conversations: a caller's (or user's) history with one agent from one index

A conversation start reads the unit's earlier conversations with the agent. With an index on
the caller's hash alone, SQLite (which keeps no statistics unless asked) chose the index on the
agent instead and read every conversation the agent ever had, on every start. The composite
indexes answer the lookup directly and still serve lookups by caller or user alone, so they
replace the single-column ones.

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-07
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

NEW = {
    "ix_conversations_caller_agent": ["caller_hash", "agent_id", "started_at"],
    "ix_conversations_user_agent": ["user_id", "agent_id", "started_at"],
}
OLD = {"ix_conversations_caller_hash": ["caller_hash"], "ix_conversations_user_id": ["user_id"]}


def upgrade() -> None:
    for name, columns in NEW.items():
        op.create_index(name, "conversations", columns)
    for name in OLD:
        op.drop_index(name, table_name="conversations")


def downgrade() -> None:
    for name, columns in OLD.items():
        op.create_index(name, "conversations", columns)
    for name in NEW:
        op.drop_index(name, table_name="conversations")
