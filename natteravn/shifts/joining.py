"""A municipality's public page for parents who may want to walk: its coming nights, naming nobody,
and a QR code of the page's address to print for a class's parent meeting."""

from __future__ import annotations

import io
from datetime import datetime

import segno
from sqlalchemy import select
from sqlalchemy.orm import Session, contains_eager

from natteravn.places.models import Municipality, Route
from natteravn.shifts.models import Shift, Term

#: Enough to show that nights are coming, few enough to read on a phone.
NIGHTS_SHOWN = 6


def coming_nights(session: Session, municipality: Municipality, now: datetime) -> list[Shift]:
    """The municipality's next published nights that are neither cancelled nor begun."""
    return list(
        session.scalars(
            select(Shift)
            .join(Shift.term)
            .join(Shift.route)
            .where(
                Route.municipality_id == municipality.id,
                Term.published_at.is_not(None),
                Shift.cancelled_at.is_(None),
                Shift.starts_at > now,
            )
            .options(contains_eager(Shift.route))
            .order_by(Shift.starts_at, Route.name)
            .limit(NIGHTS_SHOWN)
        )
    )


def qr_code_svg(address: str, title: str) -> bytes:
    """The address as a QR code in SVG, sized by whoever shows it (no width or height of its own),
    with the quiet border scanners need."""
    code = segno.make(address, error="m", micro=False)
    drawing = io.BytesIO()
    code.save(drawing, kind="svg", border=4, omitsize=True, title=title, nl=False)
    return drawing.getvalue()
