"""Changing a pattern after its nights are made: a time typed wrong is put right on every night
nobody is on yet, and the nights people are on keep theirs until changed one by one."""

from __future__ import annotations

from datetime import UTC, date, datetime
from html import unescape

from sqlalchemy import select

from natteravn.roster.models import NightPattern
from natteravn.shifts.models import Shift, Term
from tests import factories


def test_a_pattern_put_right_puts_right_the_nights_nobody_is_on(world, db, clock, login):
    client = login(world.coordinator)
    made = client.post(
        "/coordinator/terms/new",
        data={
            "name": "Vår 2027",
            "starts_on": "2027-01-08",
            "ends_on": "2027-01-23",
            "signup_opens_at": "2026-12-01T08:00",
            "region_id": world.region.id,
        },
    )
    assert made.status_code == 302
    term = db.scalar(select(Term).where(Term.name == "Vår 2027"))
    pattern = {
        "weekdays": ["4", "5"],
        "starts_local": "20:00",
        "ends_local": "08:00",  # meant 24:00
        "route_ids": [str(world.routes["Våler sentrum"].id)],
        "min_walkers": "3",
        "max_walkers": "6",
    }
    client.post(f"/coordinator/terms/{term.id}/patterns", data={f"new-{k}": v for k, v in pattern.items()})
    nights = list(db.scalars(select(Shift).where(Shift.term_id == term.id).order_by(Shift.starts_at)))
    assert len(nights) == 6
    factories.signup(db, nights[0], world.parent, clock())
    db.commit()
    saved = db.scalar(select(NightPattern).where(NightPattern.term_id == term.id))

    fixed = {**pattern, "ends_local": "24:00", "max_walkers": "8"}
    page = unescape(
        client.post(
            f"/coordinator/terms/{term.id}/patterns/{saved.id}",
            data={f"p{saved.id}-{k}": v for k, v in fixed.items()},
            follow_redirects=True,
        ).text
    )
    assert "5 nights nobody is on have the pattern's new times and numbers." in page
    assert "1 night with people on it keeps its times" in page
    db.expire_all()
    nights = list(db.scalars(select(Shift).where(Shift.term_id == term.id).order_by(Shift.starts_at)))
    assert (nights[0].ends_at, nights[0].max_walkers) == (datetime(2027, 1, 9, 7, 0, tzinfo=UTC), 6)  # Kari's
    for night in nights[1:]:
        assert night.ends_at - night.starts_at == datetime(2027, 1, 1, 4) - datetime(2027, 1, 1, 0)
        assert night.max_walkers == 8
    assert {night.starts_at.date() for night in nights} >= {date(2027, 1, 8), date(2027, 1, 22)}
