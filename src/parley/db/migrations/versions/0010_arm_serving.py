"""experiment arms: the provider branch/version each arm is served from

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-07
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("experiment_arms") as batch:
        batch.add_column(sa.Column("remote_branch_id", sa.String(length=128), nullable=True))
        batch.add_column(sa.Column("remote_version_id", sa.String(length=128), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("experiment_arms") as batch:
        batch.drop_column("remote_version_id")
        batch.drop_column("remote_branch_id")
