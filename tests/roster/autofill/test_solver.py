"""The solver on problems small enough to know the best roster by hand, and on random ones
where only the hard rules are known to hold."""

from __future__ import annotations

import time
from datetime import date, timedelta

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from ortools.sat.python import cp_model

from natteravn.clock import weekend_of
from natteravn.roster.autofill import costs
from natteravn.roster.autofill.checker import violations
from natteravn.roster.autofill.flow import roster_by_flow
from natteravn.roster.autofill.problem import Night, Problem, Volunteer, Weights, feasible_pairs
from natteravn.roster.autofill.relaxation import LinearRelaxation
from natteravn.roster.autofill.solver import solve

FRIDAY = date(2027, 1, 8)


def night(id, *, day=FRIDAY, municipality=1, free=6, need=3, leader=True, **extra) -> Night:
    return Night(
        id=id,
        municipality_id=municipality,
        day=day,
        weekend=weekend_of(day),
        free_places=free,
        walkers_needed=need,
        needs_leader=leader,
        **extra,
    )


def person(id, available, *, nights=2, municipality=1, **extra) -> Volunteer:
    return Volunteer(
        id=id, municipality_id=municipality, available=frozenset(available), max_new_nights=nights, **extra
    )


def test_three_parents_fill_the_one_night_they_can_walk():
    problem = Problem([night(1, leader=False)], [person(i, {1}) for i in (1, 2, 3)])
    solution = solve(problem, time_limit_s=5)
    assert solution.assignments == {(1, 1), (2, 1), (3, 1)}
    assert solution.optimal and solution.gap == 0
    assert solution.objective == solution.bound  # the model and the independent pricing agree
    assert solution.short == []


def test_the_leader_goes_where_a_leader_is_needed():
    saturday = FRIDAY + timedelta(days=1)
    problem = Problem(
        [night(1, need=1, leader=False), night(2, day=saturday, need=1)],
        [person(1, {1, 2}, nights=1, can_lead=True), person(2, {1, 2}, nights=1)],
    )
    solution = solve(problem, time_limit_s=5)
    assert solution.leaders == {(1, 2)}
    assert solution.assignments == {(1, 2), (2, 1)}


def test_load_is_spread_fairly_between_people_of_equal_availability():
    nights = [night(i, day=FRIDAY + timedelta(weeks=i), need=1, free=1, leader=False) for i in range(4)]
    people = [person(1, {0, 1, 2, 3}, nights=4), person(2, {0, 1, 2, 3}, nights=4)]
    solution = solve(Problem(nights, people), time_limit_s=5)
    loads = [sum(1 for v, _ in solution.assignments if v == p.id) for p in people]
    assert loads == [2, 2]


def test_parents_walk_in_their_own_municipality_when_they_can():
    problem = Problem(
        [
            night(1, municipality=1, need=1, free=1, leader=False),
            night(2, municipality=2, need=1, free=1, leader=False),
        ],
        [person(1, {1, 2}, nights=1, municipality=2), person(2, {1, 2}, nights=1, municipality=1)],
    )
    solution = solve(problem, time_limit_s=5)
    assert solution.assignments == {(1, 2), (2, 1)}


def test_partners_walk_together_or_not_at_all():
    problem = Problem(
        [night(1, free=1, leader=False), night(2, day=FRIDAY + timedelta(weeks=1), free=6, leader=False)],
        [person(1, {1, 2}, partner_id=2), person(2, {1, 2}, partner_id=1)],
    )
    solution = solve(problem, time_limit_s=5)
    assert solution.assignments == {(1, 2), (2, 2)}


def test_nobody_gets_two_nights_in_one_weekend_unless_they_said_so():
    saturday = FRIDAY + timedelta(days=1)
    nights = [night(1, need=1, leader=False), night(2, day=saturday, need=1, leader=False)]
    solution = solve(Problem(nights, [person(1, {1, 2})]), time_limit_s=5)
    assert len(solution.assignments) == 1
    solution = solve(Problem(nights, [person(1, {1, 2}, same_weekend_ok=True)]), time_limit_s=5)
    assert len(solution.assignments) == 2


def test_nobody_walks_two_routes_on_one_evening_or_beside_a_night_they_hold():
    # Two routes on Friday, both short: one person can only be on one of them.
    nights = [night(1, need=1, leader=False), night(2, municipality=2, need=1, leader=False)]
    both = person(1, {1, 2}, same_weekend_ok=True)
    assert len(solve(Problem(nights, [both]), time_limit_s=5).assignments) == 1
    holding_friday = person(1, {1, 2}, same_weekend_ok=True, busy_days=frozenset({FRIDAY}))
    assert solve(Problem(nights, [holding_friday]), time_limit_s=5).assignments == set()


def test_a_night_nobody_can_fill_is_reported_short_with_its_reasons():
    problem = Problem([night(1), night(2, day=FRIDAY + timedelta(weeks=1))], [person(1, {1}), person(2, {1})])
    solution = solve(problem, time_limit_s=5)
    short = {s.night_id: s for s in solution.short}
    assert short[2].walkers_missing == 3 and short[2].leader_missing
    assert set(short[2].reasons) == {"no_leader_available", "too_few_volunteers"}
    assert short[1].walkers_missing == 1
    assert violations(problem, solution.assignments, solution.leaders) == []


def test_locked_cells_are_kept():
    problem = Problem(
        [
            night(1, need=1, free=1, leader=False),
            night(2, day=FRIDAY + timedelta(weeks=1), need=1, free=1, leader=False),
        ],
        [person(1, {1, 2}, nights=1), person(2, {1, 2}, nights=1)],
        locks={(1, 2): True, (2, 1): False},
    )
    solution = solve(problem, time_limit_s=5)
    assert (1, 2) in solution.assignments
    assert (2, 1) not in solution.assignments


def test_weights_change_what_counts_most():
    problem = Problem(
        [night(1, municipality=2, need=1, free=1, leader=False)],
        [person(1, {1}, municipality=1)],
        weights=Weights(other_municipality=5000),
    )
    # Walking elsewhere now costs more than leaving the night short: the solver says so.
    assert solve(problem, time_limit_s=5).assignments == set()


@st.composite
def problems(draw):
    weekends = draw(st.integers(1, 4))
    nights = []
    for w in range(weekends):
        for offset in (0, 1):
            for municipality in (1, 2):
                nights.append(
                    night(
                        len(nights) + 1,
                        day=FRIDAY + timedelta(weeks=w, days=offset),
                        municipality=municipality,
                        free=draw(st.integers(0, 4)),
                        need=draw(st.integers(0, 3)),
                        leader=draw(st.booleans()),
                    )
                )
    ids = [n.id for n in nights]
    people = []
    for p in range(1, draw(st.integers(1, 14)) + 1):
        people.append(
            person(
                p,
                draw(st.sets(st.sampled_from(ids), max_size=len(ids))),
                nights=draw(st.integers(0, 3)),
                max_new_walks=draw(st.none() | st.integers(0, 2)),
                municipality=draw(st.sampled_from([1, 2])),
                can_lead=draw(st.booleans()),
                same_weekend_ok=draw(st.booleans()),
                busy_days=frozenset(draw(st.sets(st.sampled_from([n.day for n in nights]), max_size=1))),
            )
        )
    if len(people) >= 2 and draw(st.booleans()):
        a, b = people[0], people[1]
        people[0] = Volunteer(**{**a.__dict__, "partner_id": b.id})
        people[1] = Volunteer(**{**b.__dict__, "partner_id": a.id})
    locks = {}
    if draw(st.booleans()):
        locks[(people[0].id, draw(st.sampled_from(ids)))] = draw(st.booleans())
    return Problem(nights, people, locks=locks)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(problems())
def test_no_roster_ever_breaks_a_hard_rule(problem):
    solution = solve(problem, time_limit_s=2, workers=1)
    assert violations(problem, solution.assignments, solution.leaders) == []
    assert solution.bound <= solution.objective
    if solution.optimal:
        assert solution.objective == solution.bound


def test_the_linear_bound_is_the_relaxations_optimum_rounded_up_to_a_whole_number():
    # Three people, each pair of them must have one on duty: the relaxation puts half of each on
    # (1.5); whole people need two.
    model = cp_model.CpModel()
    a, b, c = (model.new_bool_var(name) for name in "abc")
    for first, second in ((a, b), (b, c), (a, c)):
        model.add(first + second >= 1)
    model.add(a + ~b <= 1).only_enforce_if(c)  # a conditional rule is left out, and only widens
    model.minimize(a + b + c)
    assert LinearRelaxation(model, time.monotonic() + 10).result().bound == 2


def test_the_reported_bound_knows_partners_walk_together_where_the_flow_does_not():
    # Kari may lead the Saturday night, but Per, her partner, can only come on Friday: together
    # they can only fill Friday. The flow lets Kari lead Saturday alone; the relaxation does not.
    friday, saturday = night(1, need=2, free=2, leader=False), night(2, day=FRIDAY + timedelta(days=1), need=1, free=1)
    kari = Volunteer(
        id=1, municipality_id=1, available=frozenset({1, 2}), max_new_nights=1, can_lead=True, partner_id=2
    )
    per = Volunteer(id=2, municipality_id=1, available=frozenset({1}), max_new_nights=1, partner_id=1)
    problem = Problem([friday, saturday], [kari, per])
    flow = roster_by_flow(problem, problem.nights, problem.volunteers, feasible_pairs(problem))
    solution = solve(problem, time_limit_s=5, workers=1)
    assert solution.assignments == {(1, 1), (2, 1)}
    assert flow.bound < solution.bound == solution.objective


def test_a_leader_at_the_walkers_cap_still_leads_a_night_without_one():
    saturday = FRIDAY + timedelta(days=1)
    nights = [night(1, need=1, leader=False), night(2, day=saturday + timedelta(weeks=1), need=1)]
    lise = person(1, {1, 2}, nights=2, max_new_walks=0, can_lead=True)
    solution = solve(Problem(nights, [lise]), time_limit_s=5)
    assert solution.assignments == solution.leaders == {(1, 2)}  # led, and not walked on night 1


def test_a_walker_at_the_cap_gets_no_night_however_many_they_offered():
    problem = Problem([night(1, need=1, leader=False)], [person(1, {1}, nights=3, max_new_walks=0)])
    solution = solve(problem, time_limit_s=5)
    assert solution.assignments == set()
    assert solution.short[0].reasons == ("too_few_volunteers",)


def test_a_leaders_own_most_counts_the_nights_they_lead():
    nights = [night(i, day=FRIDAY + timedelta(weeks=i), need=0) for i in range(3)]
    lise = person(1, {0, 1, 2}, nights=1, max_new_walks=0, can_lead=True)
    solution = solve(Problem(nights, [lise]), time_limit_s=5)
    assert len(solution.leaders) == len(solution.assignments) == 1


def test_the_flows_roster_walks_a_leader_no_more_than_the_cap_allows():
    # Four weekends short of walkers and none needing a leader: the flow would walk her on all.
    nights = [night(i, day=FRIDAY + timedelta(weeks=i), need=2, leader=i == 0) for i in range(4)]
    lise = person(1, {0, 1, 2, 3}, nights=4, max_new_walks=1, can_lead=True)
    problem = Problem(nights, [lise])
    flow = roster_by_flow(problem, problem.nights, problem.volunteers, feasible_pairs(problem))
    assert violations(problem, flow.assignments, flow.leaders) == []
    solution = solve(problem, time_limit_s=5)
    assert solution.leaders == {(1, 0)} and len(solution.assignments) == 2
    assert violations(problem, solution.assignments, solution.leaders) == []


def test_partners_come_together_when_one_of_them_may_only_lead():
    nights = [night(1, need=2, leader=False), night(2, day=FRIDAY + timedelta(weeks=1), need=2)]
    lise = person(1, {1, 2}, max_new_walks=0, can_lead=True, partner_id=2)
    per = person(2, {1, 2}, partner_id=1)
    problem = Problem(nights, [lise, per])
    flow = roster_by_flow(problem, problem.nights, problem.volunteers, feasible_pairs(problem))
    assert flow.assignments == {(1, 2), (2, 2)} and flow.leaders == {(1, 2)}
    solution = solve(problem, time_limit_s=5)
    assert solution.assignments == {(1, 2), (2, 2)} and solution.leaders == {(1, 2)}


def test_a_night_left_without_a_leader_says_the_leader_has_all_the_nights_they_offered():
    nights = [night(1, need=0), night(2, day=FRIDAY + timedelta(weeks=1), need=0)]
    lise = person(1, {1, 2}, nights=1, can_lead=True)
    solution = solve(Problem(nights, [lise], locks={(1, 1): True}), time_limit_s=5)
    [short] = solution.short
    assert (short.night_id, short.reasons, short.held) == (2, ("leaders_at_their_most",), {"leaders_at_their_most": 1})


def test_a_night_left_without_a_leader_says_the_leader_walks_another_night_that_weekend():
    saturday = FRIDAY + timedelta(days=1)
    nights = [night(1, need=0), night(2, day=saturday, need=0)]
    lise = person(1, {1, 2}, nights=2, can_lead=True)  # two nights, but not both of a weekend
    solution = solve(Problem(nights, [lise], locks={(1, 1): True}), time_limit_s=5)
    [short] = solution.short
    assert (short.night_id, short.reasons) == (2, ("leaders_on_that_weekend",))


def test_each_leader_kept_from_a_night_is_counted_by_what_keeps_them():
    saturday, next_friday = FRIDAY + timedelta(days=1), FRIDAY + timedelta(weeks=1)
    nights = [night(1, need=0), night(2, day=saturday, need=0), night(3, day=next_friday, need=0)]
    lise = person(1, {2, 3}, nights=1, can_lead=True)  # her one night is the next Friday
    leif = person(2, {1, 2}, nights=2, can_lead=True)  # leads the Friday, so not the Saturday
    solution = solve(Problem(nights, [lise, leif], locks={(1, 3): True, (2, 1): True}), time_limit_s=5)
    [short] = solution.short
    assert short.night_id == 2
    assert short.reasons == ("leaders_at_their_most", "leaders_on_that_weekend")
    assert short.held == {"leaders_at_their_most": 1, "leaders_on_that_weekend": 1}


def test_walkers_kept_from_a_short_night_by_their_own_most_are_said_to_be():
    nights = [night(1, leader=False, need=2), night(2, day=FRIDAY + timedelta(weeks=1), leader=False, need=2)]
    people = [person(i, {1, 2}, nights=1) for i in (1, 2, 3)]
    solution = solve(Problem(nights, people), time_limit_s=5)
    [short] = solution.short
    assert short.walkers_missing == 1
    assert short.reasons == ("volunteers_at_their_most",) and short.held == {"volunteers_at_their_most": 2}


def test_people_on_the_nights_they_offered_are_no_unmet_wish():
    weekends = [night(i, day=FRIDAY + timedelta(weeks=i), need=1, free=1, leader=False) for i in range(2)]
    both = person(1, {0, 1}, nights=2, experienced=True)
    assert costs.tally(Problem(weekends, [both]), {(1, 0), (1, 1)}, set()) == {}
    saturday = night(2, day=FRIDAY + timedelta(days=1), need=1, free=1, leader=False)
    whole_weekend = person(1, {0, 2}, nights=2, same_weekend_ok=True, experienced=True)
    assert costs.tally(Problem([weekends[0], saturday], [whole_weekend]), {(1, 0), (1, 2)}, set()) == {}
