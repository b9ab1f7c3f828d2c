"""messages keep their region's quiet hours; a NEI that names no night asks which

Revision ID: 0551e7e772f0
Revises: 8ebeea338039
Create Date: 2026-12-05 01:24:29.096502
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import natteravn.db

revision: str = "0551e7e772f0"
down_revision: str | None = "8ebeea338039"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "night_choice",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("signup_id", sa.Integer(), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("asked_at", natteravn.db.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["person_id"], ["person.id"], name=op.f("fk_night_choice_person_id_person"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["signup_id"], ["signup.id"], name=op.f("fk_night_choice_signup_id_signup"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_night_choice")),
        sa.UniqueConstraint("person_id", "number", name=op.f("uq_night_choice_person_id")),
    )
    with op.batch_alter_table("sms_message", schema=None) as batch_op:
        batch_op.add_column(sa.Column("region_id", sa.Integer(), nullable=True))
        batch_op.create_foreign_key(batch_op.f("fk_sms_message_region_id_region"), "region", ["region_id"], ["id"])
    # Messages already planned about a night keep its region's quiet hours from now on.
    op.execute(
        "UPDATE sms_message SET region_id = "
        "(SELECT term.region_id FROM shift JOIN term ON term.id = shift.term_id WHERE shift.id = sms_message.shift_id) "
        "WHERE shift_id IS NOT NULL"
    )


def downgrade() -> None:
    with op.batch_alter_table("sms_message", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("fk_sms_message_region_id_region"), type_="foreignkey")
        batch_op.drop_column("region_id")
    op.drop_table("night_choice")
