"""job heartbeats: the last run of each scheduler job, read by /healthz

Revision ID: b9e7ad4bca90
Revises: ad018ddbeb04
Create Date: 2026-12-05 00:30:07.820794
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import natteravn.db

revision: str = "b9e7ad4bca90"
down_revision: str | None = "ad018ddbeb04"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "job_heartbeat",
        sa.Column("job_id", sa.String(length=64), nullable=False),
        sa.Column("started_at", natteravn.db.UTCDateTime(), nullable=False),
        sa.Column("finished_at", natteravn.db.UTCDateTime(), nullable=True),
        sa.Column("ok", sa.Boolean(), nullable=True),
        sa.Column("error", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("job_id", name=op.f("pk_job_heartbeat")),
    )


def downgrade() -> None:
    op.drop_table("job_heartbeat")
