"""e-mail as a second channel, and a monthly SMS budget per region

The outbox keeps its table: each row gets the channel it goes by (sms or email), the e-mail address
and subject; its region, whose SMS budget it spends, is indexed for the month's spending. A person
gets an e-mail address and the channel they chose; a region its monthly budget in kroner.

Revision ID: 5f1db416204b
Revises: 855aae214030
Create Date: 2026-12-05 10:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "5f1db416204b"
down_revision: str | None = "855aae214030"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

CHANNEL = sa.Enum("SMS", "EMAIL", name="channel", native_enum=False, length=10)


def upgrade() -> None:
    with op.batch_alter_table("person", schema=None) as batch_op:
        batch_op.add_column(sa.Column("email", sa.String(length=254), server_default="", nullable=False))
        batch_op.add_column(sa.Column("channel", CHANNEL, server_default="SMS", nullable=False))
    with op.batch_alter_table("region", schema=None) as batch_op:
        batch_op.add_column(sa.Column("sms_budget_nok", sa.Integer(), nullable=True))
    with op.batch_alter_table("sms_message", schema=None) as batch_op:
        batch_op.add_column(sa.Column("channel", CHANNEL, server_default="SMS", nullable=False))
        batch_op.add_column(sa.Column("email", sa.String(length=254), nullable=True))
        batch_op.add_column(sa.Column("subject", sa.String(length=200), server_default="", nullable=False))
        batch_op.create_index(batch_op.f("ix_sms_message_region_id"), ["region_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("sms_message", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_sms_message_region_id"))
        batch_op.drop_column("subject")
        batch_op.drop_column("email")
        batch_op.drop_column("channel")
    with op.batch_alter_table("region", schema=None) as batch_op:
        batch_op.drop_column("sms_budget_nok")
    with op.batch_alter_table("person", schema=None) as batch_op:
        batch_op.drop_column("channel")
        batch_op.drop_column("email")
