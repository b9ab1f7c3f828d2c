"""names folded again for search, now with oe as ø and æ as ae (Løkken is found by "loekken",
Kjær by "kjaer")

Revision ID: ab0109929adb
Revises: c4f2a7d91e36
Create Date: 2026-12-05 15:00:00.000000
"""

import unicodedata
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

#: Names as the search compares them, as natteravn.accounts.models.folded did when this revision was
#: written, and as it did before (copied: a migration must not change when the app's code does).
_NORWEGIAN_SPELLING = str.maketrans({"ö": "ø", "ä": "æ"})


def _accents_dropped(text: str) -> str:
    kept = []
    for char in text.translate(_NORWEGIAN_SPELLING):
        if char in "æøå":
            kept.append(char)
        else:
            kept.extend(c for c in unicodedata.normalize("NFD", char) if not unicodedata.combining(c))
    return "".join(kept)


def folded(text: str) -> str:
    key = _accents_dropped(" ".join(text.split()).casefold())
    return key.replace("aa", "å").replace("oe", "ø").replace("æ", "ae")


def folded_before(text: str) -> str:
    return _accents_dropped(" ".join(text.split()).casefold().replace("aa", "å"))


revision: str = "ab0109929adb"
down_revision: str | None = "c4f2a7d91e36"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_PERSON = sa.table(
    "person", sa.column("id", sa.Integer()), sa.column("name", sa.String()), sa.column("name_key", sa.String())
)


def upgrade() -> None:
    _fold_names(folded)


def downgrade() -> None:
    _fold_names(folded_before)


def _fold_names(fold) -> None:
    """Every name is read (SQLite cannot pick out Æ and æ alike by ilike), but only those that fold
    differently are written."""
    connection = op.get_bind()
    rows = connection.execute(sa.select(_PERSON.c.id, _PERSON.c.name, _PERSON.c.name_key)).all()
    folded_rows = ((person_id, fold(name or ""), key) for person_id, name, key in rows)
    keys = [{"person_id": person_id, "key": new} for person_id, new, key in folded_rows if new != key]
    if keys:
        connection.execute(
            _PERSON.update().where(_PERSON.c.id == sa.bindparam("person_id")).values(name_key=sa.bindparam("key")),
            keys,
        )
