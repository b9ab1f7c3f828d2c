"""incident entry: an incident sent twice from one form is added once

Revision ID: d55ec75ad04e
Revises: 344ba2d4e68e
Create Date: 2026-12-05 09:43:49.123380
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "d55ec75ad04e"
down_revision: str | None = "344ba2d4e68e"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Incidents entered so far have no form to tell: each stays as it is.
    with op.batch_alter_table("incident", schema=None) as batch_op:
        batch_op.add_column(sa.Column("entry", sa.String(length=40), nullable=True))
        batch_op.create_index("ix_incident_report_entry", ["report_id", "entry"], unique=True)


def downgrade() -> None:
    with op.batch_alter_table("incident", schema=None) as batch_op:
        batch_op.drop_index("ix_incident_report_entry")
        batch_op.drop_column("entry")
