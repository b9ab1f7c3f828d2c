"""The roster as a min-cost flow: a fast relaxation that gives the CP-SAT model both a
strong starting point and a proven lower bound.

Drop the few rules a flow cannot express (partners walk together, the experienced mix,
people who walked together before, the term's cap on the nights walked by one who may also
lead) and what remains — capacities, each person's maximum, one night a weekend (or an
evening), one leader slot per night, a convex cost for each further night — is exactly a
network flow. Every dropped term costs zero or more and
every dropped rule only removes solutions, so the flow's optimum can never be above the
full model's: a valid bound.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from ortools.graph.python import min_cost_flow

from natteravn.roster.autofill.problem import Night, Problem, Volunteer


@dataclass
class FlowResult:
    bound: int
    assignments: set[tuple[int, int]]
    leaders: set[tuple[int, int]]


def roster_by_flow(problem: Problem, nights: list[Night], volunteers: list[Volunteer], pairs) -> FlowResult:
    """A complete roster that keeps every hard rule: couples placed first on the nights that
    need people most, then everyone else by flow. Its bound is the flow relaxation's."""
    bound = relax(problem, nights, volunteers, pairs).bound
    by_id = {v.id: v for v in volunteers}
    free = {n.id: n.free_places for n in nights}
    need = {n.id: n.walkers_needed for n in nights}
    led: set[int] = set()
    assignments: set[tuple[int, int]] = set()
    leaders: set[tuple[int, int]] = set()
    options: dict[int, list[Night]] = {}
    for volunteer, night in pairs:
        options.setdefault(volunteer.id, []).append(night)
    for volunteer in volunteers:
        partner = by_id.get(volunteer.partner_id) if volunteer.partner_id is not None else None
        if partner is None or volunteer.id > partner.id:
            continue
        shared = {n.id for n in options.get(partner.id, [])}
        weekends: set = set()
        wanted = min(volunteer.most_new_nights, partner.most_new_nights)
        walks_left = {member.id: member.most_new_walks for member in (volunteer, partner)}
        nights_left = sorted(
            (n for n in options.get(volunteer.id, []) if n.id in shared),
            key=lambda n: (-need[n.id], -(n.needs_leader and n.id not in led), n.day),
        )
        for night in nights_left:
            if wanted == 0:
                break
            if free[night.id] < 2 or need[night.id] <= 0 or night.weekend in weekends:
                continue
            fits, leader = _couple_on(volunteer, partner, night, night.id in led, walks_left)
            if not fits:
                continue
            for member in (volunteer, partner):
                assignments.add((member.id, night.id))
                if member is leader:
                    leaders.add((member.id, night.id))
                    led.add(night.id)
                else:
                    walks_left[member.id] -= 1
            free[night.id] -= 2
            need[night.id] = max(0, need[night.id] - 2)
            weekends.add(night.weekend)
            wanted -= 1
    placed = {v for v, _ in assignments}
    rest_nights = [
        replace(n, free_places=free[n.id], walkers_needed=need[n.id], needs_leader=n.needs_leader and n.id not in led)
        for n in nights
    ]
    rest_by_id = {n.id: n for n in rest_nights}
    rest = [v for v in volunteers if v.partner_id is None]
    rest_pairs = [(v, rest_by_id[n.id]) for v, n in pairs if v.partner_id is None and v.id not in placed]
    others = relax(problem, rest_nights, rest, rest_pairs)
    walks = _within_walker_cap(rest, others.assignments - others.leaders)
    return FlowResult(bound, assignments | walks | others.leaders, leaders | others.leaders)


def _couple_on(
    volunteer: Volunteer, partner: Volunteer, night: Night, led: bool, walks_left: dict[int, int]
) -> tuple[bool, Volunteer | None]:
    """Whether a couple can take the night together, and which of them leads it (None: neither).
    Whoever walks it needs a walker's night left under the term's cap; a leader's is free of it."""
    couple = (volunteer, partner)
    for leader in (*couple, None):
        if leader is not None and not (leader.can_lead and night.needs_leader and not led):
            continue
        if all(walks_left[member.id] > 0 for member in couple if member is not leader):
            return True, leader
    return False, None


def _within_walker_cap(volunteers: list[Volunteer], walks: set[tuple[int, int]]) -> set[tuple[int, int]]:
    """The flow bounds each person's nights, not the walker's among them (the cap's count, which
    a flow cannot keep apart from the weekends): places walked beyond it are left empty."""
    most = {v.id: v.most_new_walks for v in volunteers}
    kept: set[tuple[int, int]] = set()
    taken: dict[int, int] = {}
    for volunteer_id, night_id in sorted(walks):
        if taken.get(volunteer_id, 0) < most[volunteer_id]:
            kept.add((volunteer_id, night_id))
            taken[volunteer_id] = taken.get(volunteer_id, 0) + 1
    return kept


def relax(problem: Problem, nights: list[Night], volunteers: list[Volunteer], pairs) -> FlowResult:
    w = problem.weights
    flow = min_cost_flow.SimpleMinCostFlow()
    ids: dict[object, int] = {}

    def node(key) -> int:
        return ids.setdefault(key, len(ids))

    source, sink = node("source"), node("sink")
    arcs: list[tuple[int, int, int, int, tuple | None]] = []  # tail, head, capacity, cost, meaning

    def arc(tail, head, capacity, cost, meaning=None):
        arcs.append((tail, head, capacity, cost, meaning))

    supply = 0
    for volunteer in volunteers:
        for k in range(volunteer.most_new_nights):
            arc(source, node(("v", volunteer.id)), 1, w.extra_night * (volunteer.existing_nights + k))
        supply += volunteer.most_new_nights
    for volunteer, night in pairs:
        # One night a weekend; those who allowed two still walk one an evening.
        weekly = ("vw", volunteer.id, night.weekend)
        if weekly not in ids:
            cap = volunteer.most_new_nights if volunteer.same_weekend_ok else 1
            arc(node(("v", volunteer.id)), node(weekly), cap, 0)
        through = node(weekly)
        if volunteer.same_weekend_ok:
            evening = ("vd", volunteer.id, night.day)
            if evening not in ids:
                arc(through, node(evening), 1, 0)
            through = node(evening)
        cost = 0
        if night.municipality_id != volunteer.municipality_id:
            cost += w.other_municipality
        if volunteer.outside_class_weekend(night):
            cost += w.outside_class_weekend
        if night.has_waitlist:
            cost += w.waitlist_slack
        if volunteer.most_new_walks > 0:
            arc(through, node(("n", night.id)), 1, cost, ("walk", volunteer.id, night.id))
        if volunteer.can_lead and night.needs_leader:
            arc(through, node(("l", night.id)), 1, cost, ("lead", volunteer.id, night.id))
    constant = 0
    for night in nights:
        if night.needs_leader:
            arc(node(("l", night.id)), node(("n", night.id)), 1, -w.missing_leader)
            constant += w.missing_leader
        needed = min(night.walkers_needed, night.free_places)
        if needed:
            arc(node(("n", night.id)), sink, needed, -w.short_walker)
            constant += w.short_walker * night.walkers_needed
        if night.free_places > needed:
            arc(node(("n", night.id)), sink, night.free_places - needed, 0)
    arc(source, sink, supply, 0)  # nobody has to be used

    for tail, head, capacity, cost, _ in arcs:
        flow.add_arc_with_capacity_and_unit_cost(tail, head, capacity, cost)
    flow.set_node_supply(source, supply)
    flow.set_node_supply(sink, -supply)
    if flow.solve() != flow.OPTIMAL:
        raise RuntimeError("the roster flow has no optimum")
    assignments, leaders = set(), set()
    for index, (*_, meaning) in enumerate(arcs):
        if meaning and flow.flow(index):
            kind, volunteer_id, night_id = meaning
            assignments.add((volunteer_id, night_id))
            if kind == "lead":
                leaders.add((volunteer_id, night_id))
    return FlowResult(bound=flow.optimal_cost() + constant, assignments=assignments, leaders=leaders)
