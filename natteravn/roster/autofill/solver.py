"""Fill a term's empty places with CP-SAT. No database here: problem in, solution out.

The problem falls apart into independent pieces (volunteers rarely accept every
municipality), and each piece is solved on its own: small models prove optimality fast,
and the time limit is shared out by size.
"""

from __future__ import annotations

import time
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, replace

from ortools.sat.python import cp_model

from natteravn.roster.autofill import costs
from natteravn.roster.autofill.flow import roster_by_flow
from natteravn.roster.autofill.problem import Night, Problem, ShortNight, Solution, Volunteer, feasible_pairs
from natteravn.roster.autofill.relaxation import LinearRelaxation, Relaxed

#: Pieces with more (person, night) options than this are solved municipality by municipality.
EXACT_LIMIT = 60_000


@dataclass
class _Part:
    assignments: set[tuple[int, int]]
    leaders: set[tuple[int, int]]
    bound: int
    optimal: bool


def solve(problem: Problem, time_limit_s: float = 10.0, workers: int = 8) -> Solution:
    """The best roster found within the time limit, with a proven lower bound on its cost.

    CP-SAT's portfolio needs several workers to prove optimality even on two cores, hence 8.
    """
    started = time.monotonic()
    # The limit is for the whole run: keep a twentieth for summing up and explaining short nights.
    budget = time_limit_s * 0.95
    pieces = sorted(_components(problem), key=lambda p: len(p[2]))
    left = sum(max(1, len(pairs)) for _, _, pairs in pieces)
    parts = []
    for nights, volunteers, pairs in pieces:
        remaining = max(0.5, budget - (time.monotonic() - started))
        share = max(0.5, remaining * max(1, len(pairs)) / left)
        left -= max(1, len(pairs))
        piece = Problem(nights, volunteers, problem.weights, problem.locks, problem.past_pairs)
        solve_piece = _solve_exact if len(pairs) <= EXACT_LIMIT else _solve_by_municipality
        parts.append(solve_piece(piece, pairs, share, workers))
    assignments = set().union(*(p.assignments for p in parts)) if parts else set()
    leaders = set().union(*(p.leaders for p in parts)) if parts else set()
    parts_cost = costs.breakdown(problem, assignments, leaders)
    return Solution(
        assignments=assignments,
        leaders=leaders,
        objective=sum(parts_cost.values()),
        bound=sum(p.bound for p in parts),
        optimal=all(p.optimal for p in parts),
        seconds=time.monotonic() - started,
        short=explain_short(problem, assignments, leaders),
        breakdown=parts_cost,
    )


def _components(problem: Problem) -> Iterable[tuple[list[Night], list[Volunteer], list[tuple[Volunteer, Night]]]]:
    pairs = feasible_pairs(problem)
    parent: dict[object, object] = {}

    def find(key):
        parent.setdefault(key, key)
        while parent[key] != key:
            parent[key] = parent[parent[key]]
            key = parent[key]
        return key

    def union(a, b):
        parent[find(a)] = find(b)

    for volunteer, night in pairs:
        union(("v", volunteer.id), ("n", night.id))
        if volunteer.partner_id is not None:
            union(("v", volunteer.id), ("v", volunteer.partner_id))
    for night in problem.nights:
        find(("n", night.id))
    groups: dict[object, tuple[list, list, list]] = defaultdict(lambda: ([], [], []))
    for night in problem.nights:
        groups[find(("n", night.id))][0].append(night)
    for volunteer in problem.volunteers:
        if ("v", volunteer.id) in parent:
            groups[find(("v", volunteer.id))][1].append(volunteer)
    for volunteer, night in pairs:
        groups[find(("n", night.id))][2].append((volunteer, night))
    return groups.values()


def _solve_by_municipality(problem: Problem, pairs, time_limit_s: float, workers: int) -> _Part:
    """Too big for one model: start from the flow's roster, keep what it sends across
    municipal borders, and solve each municipality's own nights exactly around that. The
    bound stays the flow's bound for the whole piece."""
    started = time.monotonic()
    start = roster_by_flow(problem, problem.nights, problem.volunteers, pairs)
    by_id = {v.id: v for v in problem.volunteers}
    nights = {n.id: n for n in problem.nights}

    def home(volunteer: Volunteer) -> int:
        partner = by_id.get(volunteer.partner_id) if volunteer.partner_id is not None else None
        return by_id[min(volunteer.id, partner.id)].municipality_id if partner else volunteer.municipality_id

    crossing = {(v, n) for v, n in start.assignments if nights[n].municipality_id != home(by_id[v])}
    groups: dict[int, list[Volunteer]] = defaultdict(list)
    for volunteer in problem.volunteers:
        groups[home(volunteer)].append(volunteer)
    municipality_nights: dict[int, list[Night]] = defaultdict(list)
    for night in problem.nights:
        municipality_nights[night.municipality_id].append(night)
    assignments, leaders = set(crossing), {key for key in start.leaders if key in crossing}
    order = sorted(municipality_nights, key=lambda m: len(groups.get(m, [])))
    for index, municipality in enumerate(order):
        sub = _around(problem, municipality_nights[municipality], groups.get(municipality, []), crossing, leaders)
        remaining = max(0.5, time_limit_s - (time.monotonic() - started))
        # The pieces' bounds do not add up to one for the whole (the crossings are fixed), so
        # no relaxation is solved for them.
        part = _solve_exact(sub, feasible_pairs(sub), remaining / (len(order) - index), workers, linear_bound=False)
        assignments |= part.assignments
        leaders |= part.leaders
    return _Part(assignments, leaders, start.bound, optimal=False)


def _around(problem: Problem, nights: list[Night], volunteers: list[Volunteer], crossing, crossing_leaders) -> Problem:
    """One municipality's nights and people, with the fixed crossings taken off both sides."""
    ids = {n.id for n in nights}
    people = {v.id: v for v in problem.volunteers}
    arriving: dict[int, list[int]] = defaultdict(list)
    leaving: dict[int, list[int]] = defaultdict(list)
    for volunteer_id, night_id in crossing:
        if night_id in ids:
            arriving[night_id].append(volunteer_id)
        leaving[volunteer_id].append(night_id)
    led = {n for _, n in crossing_leaders}
    walking = Counter(v for v, n in crossing if (v, n) not in crossing_leaders)
    all_nights = {n.id: n for n in problem.nights}
    sub_nights = [
        replace(
            n,
            free_places=n.free_places - len(arriving[n.id]),
            walkers_needed=max(0, n.walkers_needed - len(arriving[n.id])),
            needs_leader=n.needs_leader and n.id not in led,
            has_experienced=n.has_experienced or any(people[v].experienced for v in arriving[n.id]),
        )
        for n in nights
    ]
    sub_volunteers = [
        replace(
            v,
            available=v.available & ids,
            max_new_nights=max(0, v.max_new_nights - len(leaving[v.id])),
            max_new_walks=None if v.max_new_walks is None else max(0, v.max_new_walks - walking[v.id]),
            existing_nights=v.existing_nights + len(leaving[v.id]),
            busy_days=v.busy_days | {all_nights[n].day for n in leaving[v.id]},
        )
        for v in volunteers
    ]
    return Problem(sub_nights, sub_volunteers, problem.weights, problem.locks, problem.past_pairs)


def _solve_exact(problem: Problem, pairs, time_limit_s: float, workers: int, *, linear_bound: bool = True) -> _Part:
    deadline = time.monotonic() + time_limit_s  # building the model counts against the limit too
    nights, volunteers = problem.nights, problem.volunteers
    w = problem.weights
    model = cp_model.CpModel()
    x = {(v.id, n.id): model.new_bool_var(f"x{v.id}_{n.id}") for v, n in pairs}
    # Only a night without a leader is led: a second leader's place would slip past the cap.
    lead = {(v.id, n.id): model.new_bool_var(f"l{v.id}_{n.id}") for v, n in pairs if v.can_lead and n.needs_leader}
    by_night: dict[int, list[tuple[int, int]]] = defaultdict(list)
    by_volunteer: dict[int, list[tuple[int, int]]] = defaultdict(list)
    for key in x:
        by_volunteer[key[0]].append(key)
        by_night[key[1]].append(key)
    volunteers_by_id = {v.id: v for v in volunteers}
    nights_by_id = {n.id: n for n in nights}
    terms: dict[str, list] = defaultdict(list)

    for key, var in lead.items():
        model.add(var <= x[key])
    for night in nights:
        cell = by_night.get(night.id, [])
        model.add(sum(x[k] for k in cell) <= night.free_places)
        if night.walkers_needed > 0:
            short = model.new_int_var(0, night.walkers_needed, f"short{night.id}")
            model.add(sum(x[k] for k in cell) + short >= night.walkers_needed)
            terms["short_walker"].append(w.short_walker * short)
        leads = [lead[k] for k in cell if k in lead]
        model.add(sum(leads) <= 1)
        if night.needs_leader:
            missing = model.new_bool_var(f"noleader{night.id}")
            model.add(sum(leads) + missing >= 1)
            terms["missing_leader"].append(w.missing_leader * missing)
        if not night.has_experienced and cell:
            experienced = [x[k] for k in cell if volunteers_by_id[k[0]].experienced]
            none = model.new_bool_var(f"noexp{night.id}")
            model.add(sum(experienced) + none >= 1)
            terms["no_experienced"].append(w.no_experienced * none)
        if night.has_waitlist:
            terms["waitlist_slack"].extend(w.waitlist_slack * x[k] for k in cell)

    for volunteer in volunteers:
        mine = by_volunteer.get(volunteer.id, [])
        load = sum(x[k] for k in mine)
        model.add(load <= volunteer.most_new_nights)
        if volunteer.most_new_walks < volunteer.most_new_nights:
            # The term's cap counts the nights they walk; those they lead are free of it.
            model.add(load - sum(lead[k] for k in mine if k in lead) <= volunteer.most_new_walks)
        _fair_share(model, volunteer, mine, x, w, terms)
        # One night a weekend, or, for those who allowed two, one an evening.
        together: dict[object, list] = defaultdict(list)
        for key in mine:
            night = nights_by_id[key[1]]
            together[night.day if volunteer.same_weekend_ok else night.weekend].append(x[key])
        for cells in together.values():
            if len(cells) > 1:
                model.add(sum(cells) <= 1)
        if volunteer.partner_id is not None:
            for key in mine:
                other = (volunteer.partner_id, key[1])
                if other in x:
                    model.add(x[key] == x[other])
                    if key in lead and other in lead and volunteer.id < volunteer.partner_id:
                        # Implied (a night has one leader), but the relaxation would otherwise
                        # let a couple half there lead it fully, half each.
                        model.add(lead[key] + lead[other] <= x[key])
                else:
                    model.add(x[key] == 0)
        for key in mine:
            night = nights_by_id[key[1]]
            if night.municipality_id != volunteer.municipality_id:
                terms["other_municipality"].append(w.other_municipality * x[key])
            if volunteer.outside_class_weekend(night):
                terms["outside_class_weekend"].append(w.outside_class_weekend * x[key])
            if problem.locks.get(key) is True:
                model.add(x[key] == 1)
    for pair in problem.past_pairs:
        a, b = sorted(pair)
        for night in nights:
            if (a, night.id) in x and (b, night.id) in x:
                both = model.new_bool_var(f"pair{a}_{b}_{night.id}")
                model.add(both >= x[(a, night.id)] + x[(b, night.id)] - 1)
                terms["repeat_pair"].append(w.repeat_pair * both)

    objective = sum(sum(t) for t in terms.values())
    model.minimize(objective)
    relaxation = LinearRelaxation(model, deadline) if linear_bound else None
    start = roster_by_flow(problem, nights, volunteers, pairs)
    bound = start.bound
    # A region's relaxation is solved in a second or two; on a bigger piece the search goes
    # ahead without it and its bound is read at the end.
    relaxed = relaxation.result(wait_s=(deadline - time.monotonic()) / 3) if relaxation else None
    dived = None
    if relaxed is not None:
        bound = max(bound, relaxed.bound)
        decisions = {var.index: key for key, var in (*x.items(), *lead.items())}
        dived = _dive(model, decisions, relaxed, workers, deadline)
    if dived is not None and round(dived.objective_value) <= bound:
        return _part(x, lead, dived, bound, optimal=True)
    if dived is not None:
        _hint(model, dived.response_proto.solution)
    else:
        _start_from(model, x, lead, start.assignments, start.leaders, workers, (deadline - time.monotonic()) / 4)
    model.add(objective >= bound)
    solver = cp_model.CpSolver()
    solver.parameters.max_time_in_seconds = max(0.2, deadline - time.monotonic())
    solver.parameters.num_workers = workers
    status = solver.solve(model)
    if relaxed is None and relaxation is not None and (late := relaxation.result()) is not None:
        bound = max(bound, late.bound)
    if status not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        # Out of time before the first solution (a huge piece on a busy machine): the flow's
        # roster keeps every hard rule, so it stands.
        return _Part(start.assignments, start.leaders, bound, optimal=False)
    bound = max(bound, round(solver.best_objective_bound))
    return _part(x, lead, solver, bound, optimal=status == cp_model.OPTIMAL or bound >= round(solver.objective_value))


def _part(x, lead, solver: cp_model.CpSolver, bound: int, *, optimal: bool) -> _Part:
    return _Part(
        assignments={key for key, var in x.items() if solver.value(var)},
        leaders={key for key, var in lead.items() if solver.value(var)},
        bound=bound,
        optimal=optimal,
    )


def _dive(model: cp_model.CpModel, decisions: dict[int, tuple[int, int]], relaxed: Relaxed, workers, deadline: float):
    """Keep every decision the relaxation made whole and solve the rest exactly: first only
    the nights it left fractional are open, then also everything of the people on them. A
    roster's relaxation is nearly whole, so the result often reaches the relaxation's bound,
    which proves it the best; otherwise it is a good start for the full search."""
    values = relaxed.values
    fractional = {i for i in decisions if 1e-6 < values[i] % 1 < 1 - 1e-6}
    people = {decisions[i][0] for i in fractional}
    nights = {decisions[i][1] for i in fractional}
    best = None
    for open_people in (set(), people):
        fixed = model.clone()
        for index, (person, night) in decisions.items():
            if night not in nights and person not in open_people:
                domain = fixed.proto.variables[index].domain
                domain[0] = domain[1] = round(values[index])
        solver = cp_model.CpSolver()
        solver.parameters.max_time_in_seconds = max(0.2, (deadline - time.monotonic()) / 2)
        solver.parameters.num_workers = workers
        if solver.solve(fixed) in (cp_model.OPTIMAL, cp_model.FEASIBLE):
            if best is None or solver.objective_value < best.objective_value:
                best = solver
            if round(best.objective_value) <= relaxed.bound:
                break
    return best


def _start_from(model: cp_model.CpModel, x, lead, assignments, leaders, workers, seconds: float) -> None:
    """Hint every variable with a complete solution built around the given assignments, so the
    search starts from a feasible roster at least as good as the flow's."""
    fixed = model.clone()
    for key, var in x.items():
        fixed.add(fixed.get_bool_var_from_proto_index(var.index) == (key in assignments))
    for key, var in lead.items():
        fixed.add(fixed.get_bool_var_from_proto_index(var.index) == (key in leaders))
    solver = cp_model.CpSolver()
    solver.parameters.max_time_in_seconds = max(0.2, seconds)
    solver.parameters.num_workers = workers
    if solver.solve(fixed) not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        return  # locks the flow ignored: let the search find its own way
    _hint(model, solver.response_proto.solution)


def _hint(model: cp_model.CpModel, values) -> None:
    for index, value in enumerate(values):
        model.proto.solution_hint.vars.append(index)
        model.proto.solution_hint.values.append(value)


def _fair_share(model, volunteer: Volunteer, mine, x, w, terms) -> None:
    """Each further night a person gets costs more than the one before, so two people with one
    night each beat one person with two: a convex cost spreads the load."""
    if not mine:
        return
    steps = [model.new_bool_var(f"step{volunteer.id}_{k}") for k in range(volunteer.most_new_nights)]
    for earlier, later in zip(steps, steps[1:], strict=False):
        model.add(later <= earlier)
    model.add(sum(steps) == sum(x[k] for k in mine))
    for k, step in enumerate(steps):
        terms["extra_night"].append(w.extra_night * (volunteer.existing_nights + k) * step)


def explain_short(problem: Problem, assignments: set, leaders: set) -> list[ShortNight]:
    """Which nights stay short after the fill, and why, in terms a coordinator can act on: when
    someone who said they can walk the night is not on it, what in the draft keeps them away."""
    pairs = feasible_pairs(problem)
    candidates: dict[int, list[Volunteer]] = defaultdict(list)
    for volunteer, night in pairs:
        candidates[night.id].append(volunteer)
    nights = {n.id: n for n in problem.nights}
    nights_of: dict[int, list[Night]] = defaultdict(list)
    filled: dict[int, set[int]] = defaultdict(set)
    for volunteer_id, night_id in assignments:
        nights_of[volunteer_id].append(nights[night_id])
        filled[night_id].add(volunteer_id)
    led_by = {night_id: volunteer_id for volunteer_id, night_id in leaders}
    walks = Counter(volunteer_id for volunteer_id, night_id in assignments if (volunteer_id, night_id) not in leaders)
    short = []
    for night in problem.nights:
        missing = max(0, night.walkers_needed - len(filled[night.id]))
        leader_missing = night.needs_leader and night.id not in led_by
        if not (missing or leader_missing):
            continue
        held: Counter[str] = Counter()
        leader_reasons, walker_reasons = [], []
        if leader_missing:
            can_lead = [v for v in candidates[night.id] if v.can_lead]
            if not can_lead:
                leader_reasons.append("no_leader_available")
            for volunteer in can_lead:
                held["leaders_" + _kept_away(volunteer, night, nights_of[volunteer.id], leading=True)] += 1
        if missing:
            if len(candidates[night.id]) < night.walkers_needed:
                walker_reasons.append("too_few_volunteers")
            else:
                for volunteer in candidates[night.id]:
                    if volunteer.id not in filled[night.id]:
                        kept = _kept_away(volunteer, night, nights_of[volunteer.id], walks=walks[volunteer.id])
                        held["volunteers_" + kept] += 1
        counted = sorted(held, key=_REASON_ORDER.index)
        reasons = [
            *leader_reasons,
            *(r for r in counted if r.startswith("leaders_")),
            *walker_reasons,
            *(r for r in counted if r.startswith("volunteers_")),
        ]
        short.append(ShortNight(night.id, missing, leader_missing, tuple(reasons), dict(held)))
    return short


#: The order a night's reasons are said in: the leader first, then the walkers; within each, from
#: what the volunteers said themselves to what the rest of the roster asks.
_REASON_ORDER = [
    f"{who}_{why}" for who in ("leaders", "volunteers") for why in ("at_their_most", "on_that_weekend", "not_fitting")
]


def _kept_away(
    volunteer: Volunteer, night: Night, theirs: list[Night], *, leading: bool = False, walks: int = 0
) -> str:
    """Why the draft does not put someone who can walk `night` on it: they have all the nights
    they offered (or, to walk, all the term allows), the draft has them on another night that
    evening or, unless they allowed two, that weekend; or else the rest of the roster (a partner
    who cannot come, a full night, a pinned cell) keeps them away."""
    if len(theirs) >= volunteer.most_new_nights or (not leading and walks >= volunteer.most_new_walks):
        return "at_their_most"
    for other in theirs:
        if other.id != night.id and (
            other.day == night.day or (other.weekend == night.weekend and not volunteer.same_weekend_ok)
        ):
            return "on_that_weekend"
    return "not_fitting"
