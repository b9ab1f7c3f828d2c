"""names folded again for search, now with aa as å (Aasen is found by "ås")

Revision ID: 80dabea7e681
Revises: d55ec75ad04e
Create Date: 2026-12-05 12:20:00.000000
"""

import unicodedata
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

#: Names as the search compares them, as natteravn.accounts.models.folded did when this revision was
#: written (copied: a migration must not change when the app's code does).
_NORWEGIAN_SPELLING = str.maketrans({"ö": "ø", "ä": "æ"})


def folded(text: str, *, aa_is_å: bool = True) -> str:
    text = " ".join(text.split()).casefold()
    if aa_is_å:
        text = text.replace("aa", "å")
    kept = []
    for char in text.translate(_NORWEGIAN_SPELLING):
        if char in "æøå":
            kept.append(char)
        else:
            kept.extend(c for c in unicodedata.normalize("NFD", char) if not unicodedata.combining(c))
    return "".join(kept)


revision: str = "80dabea7e681"
down_revision: str | None = "d55ec75ad04e"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_PERSON = sa.table(
    "person", sa.column("id", sa.Integer()), sa.column("name", sa.String()), sa.column("name_key", sa.String())
)


def upgrade() -> None:
    _fold_names_with_aa(aa_is_å=True)


def downgrade() -> None:
    _fold_names_with_aa(aa_is_å=False)


def _fold_names_with_aa(*, aa_is_å: bool) -> None:
    """Only names with an "aa" fold differently; the rest keep their keys."""
    connection = op.get_bind()
    rows = connection.execute(sa.select(_PERSON.c.id, _PERSON.c.name).where(_PERSON.c.name.ilike("%aa%"))).all()
    keys = [{"person_id": person_id, "key": folded(name or "", aa_is_å=aa_is_å)} for person_id, name in rows]
    if keys:
        connection.execute(
            _PERSON.update().where(_PERSON.c.id == sa.bindparam("person_id")).values(name_key=sa.bindparam("key")),
            keys,
        )
