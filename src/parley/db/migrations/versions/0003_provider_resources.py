"""provider resources

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-22
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "provider_resources",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("name", sa.String(length=128), nullable=False),
        sa.Column("target", sa.String(length=32), nullable=False),
        sa.Column("remote_id", sa.String(length=128), nullable=False),
        sa.Column("payload", sa.JSON(none_as_null=True), nullable=False),
        sa.Column("payload_hash", sa.String(length=71), nullable=False),
        sa.Column("applied_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_provider_resources")),
        sa.UniqueConstraint(
            "kind", "name", "target", name=op.f("uq_provider_resources_kind_name_target")
        ),
    )
    with op.batch_alter_table("provider_resources", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_provider_resources_remote_id"), ["remote_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("provider_resources", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_provider_resources_remote_id"))

    op.drop_table("provider_resources")
