"""region leader place days: how long a night without a group leader keeps its last place for one

Revision ID: 8ee207de24db
Revises: 32025085e543
Create Date: 2026-12-05 11:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "8ee207de24db"
down_revision: str | None = "32025085e543"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Existing regions keep no place until their coordinator sets a number of days.
    with op.batch_alter_table("region", schema=None) as batch_op:
        batch_op.add_column(sa.Column("leader_place_days", sa.Integer(), server_default="0", nullable=False))


def downgrade() -> None:
    with op.batch_alter_table("region", schema=None) as batch_op:
        batch_op.drop_column("leader_place_days")
