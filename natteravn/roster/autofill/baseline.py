"""First come, first served: what a coordinator does by hand, for comparison in the bench."""

from __future__ import annotations

from collections import Counter

from natteravn.roster.autofill.problem import Problem, feasible_pairs


def first_come(problem: Problem) -> tuple[set[tuple[int, int]], set[tuple[int, int]]]:
    taken: Counter[int] = Counter()
    load: Counter[int] = Counter()
    walks: Counter[int] = Counter()  # what the term's cap counts: nights not led
    weekends: dict[int, set] = {}
    days: dict[int, set] = {}
    led: set[int] = set()
    assignments: set[tuple[int, int]] = set()
    leaders: set[tuple[int, int]] = set()
    by_id = {v.id: v for v in problem.volunteers}
    for volunteer, night in sorted(feasible_pairs(problem), key=lambda p: (p[0].id, p[1].day, p[1].id)):
        group = [volunteer] + ([by_id[volunteer.partner_id]] if volunteer.partner_id else [])
        if any((v.id, night.id) in assignments for v in group):
            continue
        if taken[night.id] + len(group) > night.free_places:
            continue
        if any(load[v.id] >= v.max_new_nights for v in group):
            continue
        leader = next((v for v in group if v.can_lead and night.needs_leader and night.id not in led), None)
        if any(walks[v.id] >= v.most_new_walks for v in group if v is not leader):
            continue
        if any(not v.same_weekend_ok and night.weekend in weekends.get(v.id, set()) for v in group):
            continue
        if any(night.day in days.get(v.id, set()) for v in group):
            continue
        for v in group:
            assignments.add((v.id, night.id))
            load[v.id] += 1
            weekends.setdefault(v.id, set(v.busy_weekends)).add(night.weekend)
            days.setdefault(v.id, set(v.busy_days)).add(night.day)
            if v is leader:
                leaders.add((v.id, night.id))
                led.add(night.id)
            else:
                walks[v.id] += 1
        taken[night.id] += len(group)
    return assignments, leaders
