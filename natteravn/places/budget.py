"""A region's monthly SMS budget: what its SMS have cost this calendar month, what is left, and what
the SMS already planned for the rest of the month would take of it.

At 80 % the coordinator is warned; once the budget is spent only essential messages go out (login
codes and news about tonight, see `sms.service.essential`) and the rest wait for the next month or
a raised budget. E-mail costs nothing and is never held."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from sqlalchemy import case, func, or_, select
from sqlalchemy.orm import Session

from natteravn.clock import month_span
from natteravn.places.models import Region
from natteravn.sms.models import SmsMessage
from natteravn.sms.service import billed_between, waiting_before

#: From this share of the budget on, the coordinator is warned.
WARN_AT = Decimal("0.8")


def segments_paid_for(budget: int, price: Decimal) -> int:
    """The SMS segments a monthly budget of `budget` kroner pays for at `price` a segment (above 0)."""
    return int(Decimal(budget) // price)


@dataclass(frozen=True)
class BudgetUse:
    """A region's SMS this month, against its budget if it has one."""

    region: Region
    budget: int | None  # NOK a month; None: no limit
    segments: int  # SMS segments paid for this month
    price: Decimal  # NOK a segment
    # SMS segments planned to go out later this month, not yet sent (a message to the whole region
    # waiting for the quiet hours to end, say): what the budget is about to spend.
    waiting: int = 0

    @property
    def spent(self) -> Decimal:
        """NOK, estimated."""
        return self.segments * self.price

    @property
    def limits(self) -> bool:
        """Whether the budget holds SMS back: SMS priced at nothing never spend it, whatever it
        is (the dispatcher's `segments_left` sets no limit then either)."""
        return self.budget is not None and self.price > 0

    @property
    def share(self) -> Decimal:
        if self.budget is None or not self.limits:
            return Decimal(0)
        return self.spent / self.budget if self.budget else Decimal(1)

    @property
    def percent(self) -> int:
        return int(self.share * 100)

    @property
    def percent_share(self) -> Decimal:
        """The share in whole percent, rounded down as the warning says it (79.9 % is not yet 80 %)."""
        return Decimal(self.percent) / 100

    @property
    def allowed(self) -> int | None:
        """SMS segments the budget pays for this month, as the dispatcher counts them; None when
        nothing limits them (no budget, or SMS that cost nothing)."""
        if self.budget is None or not self.limits:
            return None
        return segments_paid_for(self.budget, self.price)

    @property
    def left(self) -> int | None:
        """SMS segments that may still go out this month, other than login codes and tonight's news."""
        return None if self.allowed is None else max(self.allowed - self.segments, 0)

    @property
    def waiting_cost(self) -> Decimal:
        """NOK, estimated, of the SMS waiting to go out this month."""
        return self.waiting * self.price

    @property
    def share_with_waiting(self) -> Decimal:
        """The share once the SMS waiting this month have gone out too."""
        if self.budget is None or not self.limits:
            return Decimal(0)
        return (self.spent + self.waiting_cost) / self.budget if self.budget else Decimal(1)

    @property
    def percent_with_waiting(self) -> Decimal:
        """As `percent_share`, once the SMS waiting this month have gone out too."""
        return Decimal(int(self.share_with_waiting * 100)) / 100

    @property
    def waiting_past_budget(self) -> int:
        """Of the SMS segments waiting this month, those the budget leaves no room for: they wait for
        next month or a raised budget (login codes and news about tonight would go all the same)."""
        return 0 if self.left is None else max(self.waiting - self.left, 0)

    @property
    def warning(self) -> bool:
        """From 80 % on, counting what waits to go out this month: the coordinator learns that the
        budget will soon be spent before it is."""
        return self.limits and max(self.share, self.share_with_waiting) >= WARN_AT

    @property
    def used_up(self) -> bool:
        return self.limits and self.share >= 1


def segments_sent(session: Session, region_ids: Collection[int], now: datetime) -> dict[int, int]:
    """SMS segments each region has paid for this month (those handed to the provider included)."""
    start, end = month_span(now)
    rows = session.execute(
        select(SmsMessage.region_id, func.sum(SmsMessage.segments))
        .where(SmsMessage.region_id.in_(region_ids), billed_between(start, end))
        .group_by(SmsMessage.region_id)
    )
    return {region_id: int(segments or 0) for region_id, segments in rows if region_id is not None}


def segments_this_month(session: Session, region_ids: Collection[int], now: datetime) -> dict[int, tuple[int, int]]:
    """SMS segments each region has paid for this month, and those still waiting to go out this month:
    one grouped query for all the regions."""
    start, end = month_span(now)
    billed, waiting = billed_between(start, end), waiting_before(end, now)
    rows = session.execute(
        select(
            SmsMessage.region_id,
            func.sum(case((billed, SmsMessage.segments), else_=0)),
            func.sum(case((waiting, SmsMessage.segments), else_=0)),
        )
        .where(SmsMessage.region_id.in_(region_ids), or_(billed, waiting))
        .group_by(SmsMessage.region_id)
    )
    return {
        region_id: (int(sent or 0), int(planned or 0)) for region_id, sent, planned in rows if region_id is not None
    }


def segments_left(session: Session, region_ids: Collection[int], now: datetime, *, price: Decimal) -> dict[int, int]:
    """How many more SMS segments each region with a budget may send this month (the dispatcher's
    question); a region without a budget, or free SMS, sets no limit and is left out."""
    if price <= 0:
        return {}
    # Plain columns, read afresh: the dispatcher's session may have seen a budget since raised.
    rows = session.execute(
        select(Region.id, Region.sms_budget_nok).where(Region.id.in_(region_ids), Region.sms_budget_nok.is_not(None))
    )
    budgets = {region_id: budget for region_id, budget in rows if budget is not None}
    sent = segments_sent(session, budgets, now) if budgets else {}
    return {
        region_id: segments_paid_for(budget, price) - sent.get(region_id, 0) for region_id, budget in budgets.items()
    }


def budget_uses(session: Session, region_ids: Collection[int], now: datetime, *, price: Decimal) -> list[BudgetUse]:
    """This month's SMS spending of each of these regions, by name, against its budget where it has one,
    with what waits to go out this month."""
    regions = list(session.scalars(select(Region).where(Region.id.in_(region_ids)).order_by(Region.name)))
    month = segments_this_month(session, [r.id for r in regions], now) if regions else {}
    uses = []
    for region in regions:
        sent, waiting = month.get(region.id, (0, 0))
        uses.append(BudgetUse(region, region.sms_budget_nok, sent, price, waiting))
    return uses
