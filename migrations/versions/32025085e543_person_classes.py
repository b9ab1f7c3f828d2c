"""person classes: a parent may have children in more than one school class

Revision ID: 32025085e543
Revises: 5f1db416204b
Create Date: 2026-12-05 10:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "32025085e543"
down_revision: str | None = "5f1db416204b"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


# SQLite rebuilds a table to drop or add a column, and dropping the old table deletes the rows that
# refer to it by cascade: the pairs are read before the person table changes and written after.


def upgrade() -> None:
    connection = op.get_bind()
    pairs = connection.execute(
        sa.text("SELECT id, school_class_id FROM person WHERE school_class_id IS NOT NULL")
    ).all()
    with op.batch_alter_table("person", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_person_school_class_id"))
        batch_op.drop_constraint(batch_op.f("fk_person_school_class_id_school_class"), type_="foreignkey")
        batch_op.drop_column("school_class_id")
    person_class = op.create_table(
        "person_class",
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("school_class_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["person_id"], ["person.id"], name=op.f("fk_person_class_person_id_person"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["school_class_id"], ["school_class.id"], name=op.f("fk_person_class_school_class_id_school_class")
        ),
        sa.PrimaryKeyConstraint("person_id", "school_class_id", name=op.f("pk_person_class")),
    )
    with op.batch_alter_table("person_class", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_person_class_school_class_id"), ["school_class_id"], unique=False)
    if pairs:
        op.bulk_insert(person_class, [{"person_id": p, "school_class_id": c} for p, c in pairs])


def downgrade() -> None:
    # One class per person again: of several, the one with the lowest id is kept.
    connection = op.get_bind()
    kept = connection.execute(
        sa.text("SELECT person_id, min(school_class_id) FROM person_class GROUP BY person_id")
    ).all()
    with op.batch_alter_table("person_class", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_person_class_school_class_id"))
    op.drop_table("person_class")
    with op.batch_alter_table("person", schema=None) as batch_op:
        batch_op.add_column(sa.Column("school_class_id", sa.Integer(), nullable=True))
        batch_op.create_foreign_key(
            batch_op.f("fk_person_school_class_id_school_class"), "school_class", ["school_class_id"], ["id"]
        )
        batch_op.create_index(batch_op.f("ix_person_school_class_id"), ["school_class_id"], unique=False)
    for person_id, class_id in kept:
        connection.execute(
            sa.text("UPDATE person SET school_class_id = :class_id WHERE id = :person_id"),
            {"class_id": class_id, "person_id": person_id},
        )
