"""privacy limits: the days before a night that its walkers see each other's numbers, and the
partner's number kept as typed instead of the person it belonged to

Revision ID: 855aae214030
Revises: 0551e7e772f0
Create Date: 2026-12-05 10:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "855aae214030"
down_revision: str | None = "0551e7e772f0"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("region", schema=None) as batch_op:
        batch_op.add_column(sa.Column("phones_visible_days", sa.Integer(), server_default="3", nullable=False))
    with op.batch_alter_table("availability", schema=None) as batch_op:
        batch_op.add_column(sa.Column("partner_phone", sa.String(length=20), nullable=True))
    op.execute(
        "UPDATE availability SET partner_phone = (SELECT phone FROM person WHERE person.id = availability.partner_id)"
        " WHERE partner_id IS NOT NULL"
    )
    with op.batch_alter_table("availability", schema=None) as batch_op:
        batch_op.drop_constraint("fk_availability_partner_id_person", type_="foreignkey")
        batch_op.drop_column("partner_id")


def downgrade() -> None:
    with op.batch_alter_table("availability", schema=None) as batch_op:
        batch_op.add_column(sa.Column("partner_id", sa.Integer(), nullable=True))
        batch_op.create_foreign_key(
            "fk_availability_partner_id_person", "person", ["partner_id"], ["id"], ondelete="SET NULL"
        )
    op.execute(
        "UPDATE availability SET partner_id = (SELECT id FROM person WHERE person.phone = availability.partner_phone)"
        " WHERE partner_phone IS NOT NULL"
    )
    with op.batch_alter_table("availability", schema=None) as batch_op:
        batch_op.drop_column("partner_phone")
    # Not in a batch: on SQLite a batch would copy the region table, which others' keys point to.
    op.drop_column("region", "phones_visible_days")
