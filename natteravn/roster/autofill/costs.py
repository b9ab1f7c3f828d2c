"""What a roster costs, computed from the assignments alone — the same sums the CP-SAT model
minimises, written out independently, so the bench and the tests can check the solver's own
figures and price any roster (the first-come baseline included)."""

from __future__ import annotations

from collections import Counter, defaultdict

from natteravn.roster.autofill.problem import Problem, feasible_pairs


def breakdown(problem: Problem, assignments: set[tuple[int, int]], leaders: set[tuple[int, int]]) -> dict[str, int]:
    w = problem.weights
    volunteers = {v.id: v for v in problem.volunteers}
    per_night = Counter(n for _, n in assignments)
    led = {n for _, n in leaders}
    candidates: dict[int, set[int]] = defaultdict(set)
    for volunteer, night in feasible_pairs(problem):
        candidates[night.id].add(volunteer.id)
    on_night: dict[int, set[int]] = defaultdict(set)
    nights_of: dict[int, set[int]] = defaultdict(set)
    for volunteer_id, night_id in assignments:
        on_night[night_id].add(volunteer_id)
        nights_of[volunteer_id].add(night_id)
    costs: dict[str, int] = defaultdict(int)
    for night in problem.nights:
        costs["short_walker"] += w.short_walker * max(0, night.walkers_needed - per_night[night.id])
        if night.needs_leader and night.id not in led:
            costs["missing_leader"] += w.missing_leader
        experienced = any(volunteers[v].experienced for v in on_night[night.id])
        if not night.has_experienced and candidates[night.id] and not experienced:
            costs["no_experienced"] += w.no_experienced
        if night.has_waitlist:
            costs["waitlist_slack"] += w.waitlist_slack * per_night[night.id]
    load = Counter(v for v, _ in assignments)
    for volunteer_id, count in load.items():
        existing = volunteers[volunteer_id].existing_nights
        costs["extra_night"] += sum(w.extra_night * (existing + k) for k in range(count))
    nights = {n.id: n for n in problem.nights}
    for volunteer_id, night_id in assignments:
        volunteer, night = volunteers[volunteer_id], nights[night_id]
        if night.municipality_id != volunteer.municipality_id:
            costs["other_municipality"] += w.other_municipality
        if volunteer.outside_class_weekend(night):
            costs["outside_class_weekend"] += w.outside_class_weekend
    for pair in problem.past_pairs:
        a, b = sorted(pair)
        costs["repeat_pair"] += w.repeat_pair * len(nights_of[a] & nights_of[b])
    return dict(costs)


def total(problem: Problem, assignments, leaders) -> int:
    return sum(breakdown(problem, assignments, leaders).values())


def tally(problem: Problem, assignments: set[tuple[int, int]], leaders: set[tuple[int, int]]) -> dict[str, int]:
    """What a roster leaves unmet, counted in the coordinator's units rather than priced: walker
    places below the minimums, nights without a leader, walks outside one's municipality or class
    weekend, and so on. Kinds with none are left out. A person's further nights are priced (to
    share the nights out) but are no unmet wish: nobody gets more nights than they offered, nor
    two in a weekend unless they said they can, so neither is counted here."""
    volunteers = {v.id: v for v in problem.volunteers}
    nights = {n.id: n for n in problem.nights}
    per_night = Counter(n for _, n in assignments)
    led = {n for _, n in leaders}
    on_night: dict[int, set[int]] = defaultdict(set)
    nights_of: dict[int, list[int]] = defaultdict(list)
    for volunteer_id, night_id in assignments:
        on_night[night_id].add(volunteer_id)
        nights_of[volunteer_id].append(night_id)
    counts: Counter[str] = Counter()
    for night in problem.nights:
        counts["short_walker"] += max(0, night.walkers_needed - per_night[night.id])
        counts["missing_leader"] += night.needs_leader and night.id not in led
        experienced = night.has_experienced or any(volunteers[v].experienced for v in on_night[night.id])
        counts["no_experienced"] += not experienced
        counts["waitlist_slack"] += per_night[night.id] if night.has_waitlist else 0
    for volunteer_id, its_nights in nights_of.items():
        volunteer = volunteers[volunteer_id]
        counts["other_municipality"] += sum(nights[n].municipality_id != volunteer.municipality_id for n in its_nights)
        counts["outside_class_weekend"] += sum(volunteer.outside_class_weekend(nights[n]) for n in its_nights)
    for pair in problem.past_pairs:
        a, b = sorted(pair)
        counts["repeat_pair"] += len(set(nights_of[a]) & set(nights_of[b]))
    return {kind: int(count) for kind, count in counts.items() if count}
