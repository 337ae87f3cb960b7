"""conversation starts

One row per conversation Parley started or personalised (web session, outbound call, inbound
initiation webhook): the route, the experiment arm, the hashed unit and the non-secret
variables. Looked up by the provider's conversation id, by call sid and by the start token
stamped on the conversation.

Revision ID: 0008
Revises: 0006 (re-chained after 0007 at merge)
Create Date: 2026-11-22
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "conversation_starts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("token", sa.String(length=40), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("agent_id", sa.Integer(), nullable=False),
        sa.Column("version_number", sa.Integer(), nullable=False),
        sa.Column("target", sa.String(length=32), nullable=False),
        sa.Column("remote_agent_id", sa.String(length=128), nullable=False),
        sa.Column("remote_branch_id", sa.String(length=128), nullable=True),
        sa.Column("remote_version_id", sa.String(length=128), nullable=True),
        sa.Column("remote_conversation_id", sa.String(length=128), nullable=True),
        sa.Column("call_sid", sa.String(length=128), nullable=True),
        sa.Column("unit_kind", sa.String(length=16), nullable=True),
        sa.Column("unit_hash", sa.String(length=64), nullable=True),
        sa.Column("caller_hash", sa.String(length=64), nullable=True),
        sa.Column("caller_masked", sa.String(length=32), nullable=True),
        sa.Column("experiment", sa.String(length=128), nullable=True),
        sa.Column("arm", sa.String(length=128), nullable=True),
        sa.Column("variables", sa.JSON(none_as_null=True), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["agent_id"],
            ["agents.id"],
            name=op.f("fk_conversation_starts_agent_id_agents"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_conversation_starts")),
        sa.UniqueConstraint("token", name=op.f("uq_conversation_starts_token")),
    )
    with op.batch_alter_table("conversation_starts", schema=None) as batch_op:
        batch_op.create_index(
            "ix_conversation_starts_target_remote",
            ["target", "remote_conversation_id"],
            unique=False,
        )
        batch_op.create_index("ix_conversation_starts_call_sid", ["call_sid"], unique=False)
        batch_op.create_index(
            "ix_conversation_starts_agent_created", ["agent_id", "created_at"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_conversation_starts_unit_hash"), ["unit_hash"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("conversation_starts", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_conversation_starts_unit_hash"))
        batch_op.drop_index("ix_conversation_starts_agent_created")
        batch_op.drop_index("ix_conversation_starts_call_sid")
        batch_op.drop_index("ix_conversation_starts_target_remote")
    op.drop_table("conversation_starts")
