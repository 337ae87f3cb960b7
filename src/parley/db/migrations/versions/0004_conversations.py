"""conversations

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-22
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "sync_watermarks",
        sa.Column("provider", sa.String(length=32), nullable=False),
        sa.Column("synced_until", sa.DateTime(timezone=True), nullable=True),
        sa.Column("cursor", sa.Text(), nullable=True),
        sa.Column("last_run_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("provider", name=op.f("pk_sync_watermarks")),
    )
    op.create_table(
        "conversations",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("provider", sa.String(length=32), nullable=False),
        sa.Column("remote_id", sa.String(length=128), nullable=False),
        sa.Column("agent_id", sa.Integer(), nullable=True),
        sa.Column("agent_name", sa.String(length=128), nullable=True),
        sa.Column("version_number", sa.Integer(), nullable=True),
        sa.Column("remote_agent_id", sa.String(length=128), nullable=True),
        sa.Column("remote_branch_id", sa.String(length=128), nullable=True),
        sa.Column("remote_version_id", sa.String(length=128), nullable=True),
        sa.Column("experiment", sa.String(length=128), nullable=True),
        sa.Column("arm", sa.String(length=128), nullable=True),
        sa.Column("user_id", sa.String(length=256), nullable=True),
        sa.Column("caller_hash", sa.String(length=64), nullable=True),
        sa.Column("caller_masked", sa.String(length=32), nullable=True),
        sa.Column("channel", sa.String(length=16), nullable=False),
        sa.Column("direction", sa.String(length=16), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ended_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("duration_s", sa.Float(), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("termination_reason", sa.Text(), nullable=True),
        sa.Column("cost", sa.Float(), nullable=True),
        sa.Column("cost_unit", sa.String(length=32), nullable=True),
        sa.Column("successful", sa.Boolean(), nullable=True),
        sa.Column("summary", sa.Text(), nullable=True),
        sa.Column("evaluation", sa.JSON(none_as_null=True), nullable=False),
        sa.Column("data_collection", sa.JSON(none_as_null=True), nullable=False),
        sa.Column("dynamic_variables", sa.JSON(none_as_null=True), nullable=False),
        sa.Column("metadata", sa.JSON(none_as_null=True), nullable=False),
        sa.Column("has_audio", sa.Boolean(), nullable=False),
        sa.Column("raw", sa.JSON(none_as_null=True), nullable=False),
        sa.Column("fingerprint", sa.String(length=64), nullable=False),
        sa.Column("normaliser_version", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["agent_id"],
            ["agents.id"],
            name=op.f("fk_conversations_agent_id_agents"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_conversations")),
        sa.UniqueConstraint(
            "provider", "remote_id", name=op.f("uq_conversations_provider_remote_id")
        ),
    )
    with op.batch_alter_table("conversations", schema=None) as batch_op:
        batch_op.create_index(
            "ix_conversations_agent_version",
            ["agent_id", "version_number", "started_at"],
            unique=False,
        )
        batch_op.create_index(
            batch_op.f("ix_conversations_caller_hash"), ["caller_hash"], unique=False
        )
        batch_op.create_index(
            "ix_conversations_provider_started_at", ["provider", "started_at"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_conversations_remote_agent_id"), ["remote_agent_id"], unique=False
        )
        batch_op.create_index("ix_conversations_started_at_id", ["started_at", "id"], unique=False)
        batch_op.create_index(batch_op.f("ix_conversations_user_id"), ["user_id"], unique=False)

    op.create_table(
        "conversation_labels",
        sa.Column("conversation_id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=128), nullable=False),
        sa.Column("value", sa.String(length=256), nullable=False),
        sa.ForeignKeyConstraint(
            ["conversation_id"],
            ["conversations.id"],
            name=op.f("fk_conversation_labels_conversation_id_conversations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("conversation_id", "key", name=op.f("pk_conversation_labels")),
    )
    with op.batch_alter_table("conversation_labels", schema=None) as batch_op:
        batch_op.create_index("ix_conversation_labels_key_value", ["key", "value"], unique=False)

    op.create_table(
        "conversation_turns",
        sa.Column("conversation_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("role", sa.String(length=16), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("offset_s", sa.Float(), nullable=True),
        sa.Column("interrupted", sa.Boolean(), nullable=False),
        sa.Column("tool_calls", sa.JSON(none_as_null=True), nullable=False),
        sa.Column("tool_results", sa.JSON(none_as_null=True), nullable=False),
        sa.Column("latency", sa.JSON(none_as_null=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["conversation_id"],
            ["conversations.id"],
            name=op.f("fk_conversation_turns_conversation_id_conversations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("conversation_id", "position", name=op.f("pk_conversation_turns")),
    )


def downgrade() -> None:
    op.drop_table("conversation_turns")
    with op.batch_alter_table("conversation_labels", schema=None) as batch_op:
        batch_op.drop_index("ix_conversation_labels_key_value")

    op.drop_table("conversation_labels")
    with op.batch_alter_table("conversations", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_conversations_user_id"))
        batch_op.drop_index("ix_conversations_started_at_id")
        batch_op.drop_index(batch_op.f("ix_conversations_remote_agent_id"))
        batch_op.drop_index("ix_conversations_provider_started_at")
        batch_op.drop_index(batch_op.f("ix_conversations_caller_hash"))
        batch_op.drop_index("ix_conversations_agent_version")

    op.drop_table("conversations")
    op.drop_table("sync_watermarks")
