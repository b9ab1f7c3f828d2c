"""a person's language may be a guess (an import's default): their browser's comes first until they choose

Revision ID: e7b3c1a9f204
Revises: ab0109929adb
Create Date: 2026-12-06 10:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "e7b3c1a9f204"
down_revision: str | None = "ab0109929adb"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("person", schema=None) as batch_op:
        batch_op.add_column(sa.Column("locale_guessed", sa.Boolean(), server_default=sa.false(), nullable=False))
    # Someone with a name who has not answered the first-time questions was named by whoever
    # registered them (an import, a coordinator, an administrator): a person who logs in by themselves
    # gives their name in those questions. Their language is that registration's default.
    op.execute("UPDATE person SET locale_guessed = true WHERE conduct_accepted_at IS NULL AND name <> ''")


def downgrade() -> None:
    with op.batch_alter_table("person", schema=None) as batch_op:
        batch_op.drop_column("locale_guessed")
