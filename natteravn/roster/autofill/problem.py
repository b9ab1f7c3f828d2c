"""The auto-fill problem as plain data: what the solver sees, with no database in sight."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from natteravn.clock import weekend_of


@dataclass(frozen=True)
class Weights:
    """What each unmet wish costs; a coordinator can adjust them per region. Every cost is
    zero or more, so the objective is a cost to minimise and its bound means something.

    Short nights and missing leaders cost far more than any wish, so the solver only leaves a
    night short when no assignment within the hard rules could fill it.
    """

    short_walker: int = 1000  # per missing walker below a night's minimum
    missing_leader: int = 1500  # per night that needs a leader and gets none
    # Each further night a person gets costs this much more than the one before; a convex cost
    # keeps both the largest load and the spread between people as small as the nights allow.
    extra_night: int = 40
    other_municipality: int = 6  # for walking outside one's own municipality
    outside_class_weekend: int = 8  # for a parent with a school class walking outside its weekends
    no_experienced: int = 5  # for a night with nobody experienced on it
    repeat_pair: int = 3  # cost for two people who walked together before, together again
    waitlist_slack: int = 4  # cost per place filled on a night that has people waiting


@dataclass(frozen=True)
class Night:
    id: int
    municipality_id: int
    day: date
    weekend: tuple[int, int]  # ISO (year, week)
    free_places: int  # maximum minus those already on it
    walkers_needed: int  # minimum minus those already on it (never below 0)
    needs_leader: bool  # needs one and has none yet
    has_waitlist: bool = False
    has_experienced: bool = False  # someone experienced is already on it
    class_ids: frozenset[int] = frozenset()  # school classes whose weekend this is, in this municipality


@dataclass(frozen=True)
class Volunteer:
    id: int
    municipality_id: int
    available: frozenset[int]  # night ids the person can walk (dates, weekdays and municipalities applied)
    max_new_nights: int  # their own maximum this term minus all the nights they already have
    # The term's cap minus the walker's places they already hold (`shifts.service.caps`): it bounds
    # the new nights they walk, not those they lead. None: no bound but their own.
    max_new_walks: int | None = None
    can_lead: bool = False
    partner_id: int | None = None
    same_weekend_ok: bool = False
    experienced: bool = False
    class_ids: frozenset[int] = frozenset()  # their children's school classes
    busy_days: frozenset[date] = frozenset()  # evenings they already walk
    existing_nights: int = 0  # nights already held this term (for fairness)

    @property
    def most_new_walks(self) -> int:
        """New nights they may get as walker: their own maximum and the term's cap both hold."""
        own = self.max_new_nights
        return own if self.max_new_walks is None else max(0, min(own, self.max_new_walks))

    @property
    def most_new_nights(self) -> int:
        """New nights they may get at all: one who can lead may lead nights beyond the cap."""
        return max(0, self.max_new_nights) if self.can_lead else self.most_new_walks

    def outside_class_weekend(self, night: Night) -> bool:
        """A parent with school classes asked to walk a weekend given to none of them."""
        return bool(self.class_ids) and not self.class_ids & night.class_ids

    @property
    def busy_weekends(self) -> frozenset[tuple[int, int]]:
        return frozenset(weekend_of(day) for day in self.busy_days)


@dataclass
class Problem:
    nights: list[Night]
    volunteers: list[Volunteer]
    weights: Weights = field(default_factory=Weights)
    # Cells the coordinator locked: (volunteer id, night id) -> True (must) / False (must not).
    locks: dict[tuple[int, int], bool] = field(default_factory=dict)
    # Pairs of volunteer ids who have walked together before.
    past_pairs: frozenset[frozenset[int]] = frozenset()


@dataclass(frozen=True)
class ShortNight:
    night_id: int
    walkers_missing: int
    leader_missing: bool
    # "no_leader_available", "too_few_volunteers", or "leaders_"/"volunteers_" and what keeps
    # those who can walk the night away from it: "at_their_most", "on_that_weekend", "not_fitting".
    reasons: tuple[str, ...]
    held: dict[str, int] = field(default_factory=dict)  # how many people each "leaders_…"/"volunteers_…" reason keeps


@dataclass
class Solution:
    assignments: set[tuple[int, int]]  # (volunteer id, night id), new ones only
    leaders: set[tuple[int, int]]  # the subset that lead
    objective: int
    bound: int
    optimal: bool
    seconds: float
    short: list[ShortNight]
    breakdown: dict[str, int]

    @property
    def gap(self) -> float:
        if self.optimal:
            return 0.0
        return abs(self.objective - self.bound) / max(1, abs(self.objective))


def feasible_pairs(problem: Problem) -> list[tuple[Volunteer, Night]]:
    """Every (volunteer, night) the hard rules allow before counting: available, capacity,
    not a weekend they already walk, not locked out; partners only where both can go."""
    nights = {n.id: n for n in problem.nights}
    by_id = {v.id: v for v in problem.volunteers}
    pairs = []
    for volunteer in problem.volunteers:
        if volunteer.most_new_nights <= 0:
            continue
        partner = by_id.get(volunteer.partner_id) if volunteer.partner_id else None
        for night_id in sorted(volunteer.available):
            night = nights.get(night_id)
            if night is None or night.free_places <= 0:
                continue
            if volunteer.most_new_walks <= 0 and not (volunteer.can_lead and night.needs_leader):
                continue  # at the term's cap, they may only come to lead
            if night.day in volunteer.busy_days:
                continue  # one night an evening: nights of the same date are taken to overlap
            if not volunteer.same_weekend_ok and night.weekend in volunteer.busy_weekends:
                continue
            if problem.locks.get((volunteer.id, night_id)) is False:
                continue
            if volunteer.partner_id is not None and (
                partner is None
                or night_id not in partner.available
                or partner.most_new_nights <= 0
                or night.free_places < 2
                or problem.locks.get((partner.id, night_id)) is False
            ):
                continue
            pairs.append((volunteer, night))
    return pairs
