"""report rules: walk-ins kept by first name, flags a leader confirmed, counts and categories not yet given,
text typed after a session ended

Revision ID: 0505f5215229
Revises: b9e7ad4bca90
Create Date: 2026-12-05 01:31:29.011737
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import natteravn.db

revision: str = "0505f5215229"
down_revision: str | None = "b9e7ad4bca90"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

AGE_BANDS = ("youths_under_13", "youths_13_15", "youths_16_17", "youths_18_plus")


def upgrade() -> None:
    op.create_table(
        "walk_in",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("shift_id", sa.Integer(), nullable=False),
        sa.Column("first_name", sa.String(length=60), nullable=False),
        sa.Column("added_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", natteravn.db.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["added_by_id"], ["person.id"], name=op.f("fk_walk_in_added_by_id_person"), ondelete="SET NULL"
        ),
        sa.ForeignKeyConstraint(["shift_id"], ["shift.id"], name=op.f("fk_walk_in_shift_id_shift")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_walk_in")),
    )
    with op.batch_alter_table("walk_in", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_walk_in_shift_id"), ["shift_id"], unique=False)

    op.create_table(
        "kept_report_input",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("token", sa.String(length=64), nullable=False),
        sa.Column("shift_id", sa.Integer(), nullable=False),
        sa.Column("form", sa.JSON(), nullable=False),
        sa.Column("created_at", natteravn.db.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["shift_id"], ["shift.id"], name=op.f("fk_kept_report_input_shift_id_shift"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_kept_report_input")),
        sa.UniqueConstraint("token", name=op.f("uq_kept_report_input_token")),
    )
    with op.batch_alter_table("kept_report_input", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_kept_report_input_created_at"), ["created_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_kept_report_input_shift_id"), ["shift_id"], unique=False)

    with op.batch_alter_table("incident", schema=None) as batch_op:
        batch_op.alter_column("category", existing_type=sa.VARCHAR(length=30), nullable=True)

    with op.batch_alter_table("shift_report", schema=None) as batch_op:
        # Reports saved before counted every band (a 0 was the default): they keep their counts.
        batch_op.add_column(sa.Column("confirmed_flags", sa.JSON(), nullable=False, server_default="[]"))
        for band in AGE_BANDS:
            batch_op.alter_column(band, existing_type=sa.INTEGER(), nullable=True)

    with op.batch_alter_table("signup", schema=None) as batch_op:
        batch_op.add_column(sa.Column("walked_in_at", natteravn.db.UTCDateTime(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("signup", schema=None) as batch_op:
        batch_op.drop_column("walked_in_at")

    op.execute(sa.text("UPDATE incident SET category = 'other' WHERE category IS NULL"))
    with op.batch_alter_table("shift_report", schema=None) as batch_op:
        for band in AGE_BANDS:
            batch_op.execute(sa.text(f"UPDATE shift_report SET {band} = 0 WHERE {band} IS NULL"))
            batch_op.alter_column(band, existing_type=sa.INTEGER(), nullable=False)
        batch_op.drop_column("confirmed_flags")

    with op.batch_alter_table("incident", schema=None) as batch_op:
        batch_op.alter_column("category", existing_type=sa.VARCHAR(length=30), nullable=False)

    op.drop_table("kept_report_input")
    with op.batch_alter_table("walk_in", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_walk_in_shift_id"))

    op.drop_table("walk_in")
