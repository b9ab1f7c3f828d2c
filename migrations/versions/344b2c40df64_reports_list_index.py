"""reports list index: a region's reports in the list's order, flagged first and newest next

Revision ID: 344b2c40df64
Revises: 8ee207de24db
Create Date: 2026-12-05 05:00:00.000000
"""

from collections.abc import Sequence

from alembic import op

revision: str = "344b2c40df64"
down_revision: str | None = "8ee207de24db"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index(
        "ix_shift_report_region_flagged_night", "shift_report", ["region_id", "flagged", "night_on", "id"], unique=False
    )


def downgrade() -> None:
    op.drop_index("ix_shift_report_region_flagged_night", table_name="shift_report")
