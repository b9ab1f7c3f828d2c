"""regions choose how people join; people are approved

Revision ID: 5c3e9a71d2b4
Revises: 0505f5215229
Create Date: 2026-12-10 09:12:40.118204
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import natteravn.db

revision: str = "5c3e9a71d2b4"
down_revision: str | None = "0505f5215229"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

REGISTRATION = sa.Enum("OPEN", "APPROVAL", name="registration", native_enum=False, length=20)


def upgrade() -> None:
    # A region made from now on approves each new person unless its coordinator opens it; the
    # regions that exist keep letting anyone join, as they did. (Adding the column with its default,
    # rather than changing it afterwards, spares SQLite from rebuilding a table others point at.)
    with op.batch_alter_table("region", schema=None) as batch_op:
        batch_op.add_column(sa.Column("registration", REGISTRATION, server_default="APPROVAL", nullable=False))
    op.execute("UPDATE region SET registration = 'OPEN'")

    # Everyone already registered walks as before.
    with op.batch_alter_table("person", schema=None) as batch_op:
        batch_op.add_column(sa.Column("approved_at", natteravn.db.UTCDateTime(), nullable=True))
    op.execute("UPDATE person SET approved_at = created_at")


def downgrade() -> None:
    with op.batch_alter_table("person", schema=None) as batch_op:
        batch_op.drop_column("approved_at")
    with op.batch_alter_table("region", schema=None) as batch_op:
        batch_op.drop_column("registration")
