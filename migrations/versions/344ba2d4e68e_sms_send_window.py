"""sms send window: the provider's rate shared by every dispatcher

Revision ID: 344ba2d4e68e
Revises: 344b2c40df64
Create Date: 2026-12-05 03:52:17.927274
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "344ba2d4e68e"
down_revision: str | None = "344b2c40df64"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "sms_send_window",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("second", sa.BigInteger(), nullable=False),
        sa.Column("used", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sms_send_window")),
    )


def downgrade() -> None:
    op.drop_table("sms_send_window")
