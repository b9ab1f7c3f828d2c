"""privacy limits: the days before a night that its walkers see each other's numbers

Revision ID: 855aae214030
Revises: b9e7ad4bca90
Create Date: 2026-12-06 10:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "855aae214030"
down_revision: str | None = "b9e7ad4bca90"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Existing regions get the default; the model sets it for new ones, so the column keeps no default.
    with op.batch_alter_table("region", schema=None) as batch_op:
        batch_op.add_column(sa.Column("phones_visible_days", sa.Integer(), nullable=False, server_default="3"))
    with op.batch_alter_table("region", schema=None) as batch_op:
        batch_op.alter_column("phones_visible_days", server_default=None)


def downgrade() -> None:
    with op.batch_alter_table("region", schema=None) as batch_op:
        batch_op.drop_column("phones_visible_days")
