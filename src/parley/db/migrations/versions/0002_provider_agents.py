"""provider agents

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-22
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:

    op.create_table(
        "provider_agents",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("agent_id", sa.Integer(), nullable=False),
        sa.Column("target", sa.String(length=32), nullable=False),
        sa.Column("version_number", sa.Integer(), nullable=False),
        sa.Column("remote_id", sa.String(length=128), nullable=False),
        sa.Column("remote_version_id", sa.String(length=128), nullable=True),
        sa.Column("remote_branch_id", sa.String(length=128), nullable=True),
        sa.Column("payload", sa.JSON(none_as_null=True), nullable=False),
        sa.Column("payload_hash", sa.String(length=71), nullable=False),
        sa.Column("losses", sa.JSON(none_as_null=True), nullable=False),
        sa.Column("live", sa.Boolean(), nullable=False),
        sa.Column("applied_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["agent_id"],
            ["agents.id"],
            name=op.f("fk_provider_agents_agent_id_agents"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_provider_agents")),
        sa.UniqueConstraint(
            "agent_id",
            "target",
            "version_number",
            name=op.f("uq_provider_agents_agent_id_target_version_number"),
        ),
    )
    with op.batch_alter_table("provider_agents", schema=None) as batch_op:
        batch_op.create_index(
            "ix_provider_agents_agent_target", ["agent_id", "target"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_provider_agents_remote_id"), ["remote_id"], unique=False
        )


def downgrade() -> None:

    with op.batch_alter_table("provider_agents", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_provider_agents_remote_id"))
        batch_op.drop_index("ix_provider_agents_agent_target")

    op.drop_table("provider_agents")
