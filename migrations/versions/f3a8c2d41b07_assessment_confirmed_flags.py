"""the coordinator's assessment is checked for what may identify someone, as a leader's report is

Revision ID: f3a8c2d41b07
Revises: e7b3c1a9f204
Create Date: 2026-12-06 12:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "f3a8c2d41b07"
down_revision: str | None = "e7b3c1a9f204"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Assessments written before were never checked: nothing in them counts as confirmed, so one
    # the check flags is held back from print and link until the coordinator looks at it.
    with op.batch_alter_table("assessment", schema=None) as batch_op:
        batch_op.add_column(sa.Column("confirmed_flags", sa.JSON(), nullable=False, server_default="[]"))


def downgrade() -> None:
    with op.batch_alter_table("assessment", schema=None) as batch_op:
        batch_op.drop_column("confirmed_flags")
