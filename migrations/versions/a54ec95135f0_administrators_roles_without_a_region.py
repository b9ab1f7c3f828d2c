"""administrators: roles without a region

Revision ID: a54ec95135f0
Revises: 5c3e9a71d2b4
Create Date: 2026-12-05 01:05:36.503054
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "a54ec95135f0"
down_revision: str | None = "5c3e9a71d2b4"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

#: Role kinds are stored by name as plain text, so the new kind ADMIN needs no change to the column.
REGION_UNLESS_ADMIN = "(kind = 'ADMIN') = (region_id IS NULL)"


def upgrade() -> None:
    with op.batch_alter_table("role", schema=None) as batch_op:
        batch_op.alter_column("region_id", existing_type=sa.Integer(), nullable=True)
        batch_op.create_check_constraint("region_unless_admin", REGION_UNLESS_ADMIN)


def downgrade() -> None:
    op.execute("DELETE FROM role WHERE kind = 'ADMIN'")
    with op.batch_alter_table("role", schema=None) as batch_op:
        batch_op.drop_constraint("region_unless_admin", type_="check")
        batch_op.alter_column("region_id", existing_type=sa.Integer(), nullable=False)
