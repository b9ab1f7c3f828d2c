"""the pattern that made a night: deleting a pattern takes its empty nights along

Revision ID: c4f2a7d91e36
Revises: 80dabea7e681
Create Date: 2026-12-06 10:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "c4f2a7d91e36"
down_revision: str | None = "80dabea7e681"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Nights made so far do not say which pattern made them: deleting a pattern leaves them be.
    with op.batch_alter_table("shift", schema=None) as batch_op:
        batch_op.add_column(sa.Column("pattern_id", sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f("ix_shift_pattern_id"), ["pattern_id"], unique=False)
        batch_op.create_foreign_key(
            batch_op.f("fk_shift_pattern_id_night_pattern"),
            "night_pattern",
            ["pattern_id"],
            ["id"],
            ondelete="SET NULL",
        )


def downgrade() -> None:
    with op.batch_alter_table("shift", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("fk_shift_pattern_id_night_pattern"), type_="foreignkey")
        batch_op.drop_index(batch_op.f("ix_shift_pattern_id"))
        batch_op.drop_column("pattern_id")
