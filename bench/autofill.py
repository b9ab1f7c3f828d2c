"""Auto-fill on generated, realistic instances, against a first-come baseline.

    python bench/autofill.py --size region [--seconds 10]

Last line: key=value figures (seconds, gap, short, violations, …) for the chosen size.
"""

from __future__ import annotations

import argparse
import random
import resource
import time
from datetime import date, timedelta

from natteravn.clock import weekend_of
from natteravn.roster.autofill.baseline import first_come
from natteravn.roster.autofill.checker import violations
from natteravn.roster.autofill.problem import Night, Problem, Volunteer
from natteravn.roster.autofill.solver import explain_short, solve

SIZES = {
    # municipalities, routes, weekends, volunteers, default time limit
    "small": (1, 2, 20, 120, 10),
    "region": (3, 8, 26, 600, 10),
    "national": (60, 150, 26, 12_000, 120),
}


def generate(size: str, seed: int = 2026) -> Problem:
    municipalities, routes, weekends, people, _ = SIZES[size]
    rng = random.Random(seed)
    route_municipality = [r % municipalities for r in range(routes)]
    first_friday = date(2027, 1, 8)
    nights: list[Night] = []
    classes_of_weekend = {w: frozenset({rng.randrange(30)}) for w in range(weekends)}
    for w in range(weekends):
        for offset in (0, 1):
            day = first_friday + timedelta(weeks=w, days=offset)
            for municipality in route_municipality:
                nights.append(
                    Night(
                        id=len(nights) + 1,
                        municipality_id=municipality,
                        day=day,
                        weekend=weekend_of(day),
                        free_places=6,
                        walkers_needed=3,
                        needs_leader=True,
                        has_waitlist=rng.random() < 0.03,
                        class_ids=classes_of_weekend[w],
                    )
                )
    by_municipality: dict[int, list[Night]] = {}
    for night in nights:
        by_municipality.setdefault(night.municipality_id, []).append(night)
    volunteers: list[Volunteer] = []
    for person in range(1, people + 1):
        home = rng.randrange(municipalities)
        accepted = {home}
        if municipalities > 1 and rng.random() < 0.15:
            accepted.add((home + 1) % municipalities)
        weekdays = rng.choice([{4}, {5}, {4, 5}, {4, 5}])
        open_weekends = {w for w in range(weekends) if rng.random() < 0.5}
        available = frozenset(
            n.id
            for m in accepted
            for n in by_municipality.get(m, [])
            if n.day.weekday() in weekdays and (n.day - first_friday).days // 7 in open_weekends
        )
        volunteers.append(
            Volunteer(
                id=person,
                municipality_id=home,
                available=available,
                max_new_nights=rng.choice([1, 2, 2, 2, 3]),
                can_lead=rng.random() < 0.18,
                experienced=rng.random() < 0.4,
                class_ids=frozenset({rng.randrange(30)}) if rng.random() < 0.5 else frozenset(),
                same_weekend_ok=rng.random() < 0.1,
            )
        )
    # A few couples who walk together: same home, same availability.
    for a, b in zip(volunteers[::40], volunteers[1::40], strict=False):
        shared = a.available & b.available
        volunteers[a.id - 1] = Volunteer(**{**a.__dict__, "partner_id": b.id, "available": shared})
        volunteers[b.id - 1] = Volunteer(**{**b.__dict__, "partner_id": a.id, "available": shared})
    past = frozenset(frozenset(rng.sample(range(1, people + 1), 2)) for _ in range(people // 10))
    return Problem(nights=nights, volunteers=volunteers, past_pairs=past)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--size", choices=SIZES, default="region")
    parser.add_argument("--seconds", type=float, default=None)
    parser.add_argument("--seed", type=int, default=2026)
    args = parser.parse_args()
    limit = args.seconds or SIZES[args.size][4]

    problem = generate(args.size, args.seed)
    print(f"{args.size}: {len(problem.nights)} nights, {len(problem.volunteers)} volunteers, limit {limit:.0f} s")
    started = time.monotonic()
    solution = solve(problem, time_limit_s=limit)
    seconds = time.monotonic() - started
    memory_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    broken = violations(problem, solution.assignments, solution.leaders)
    print(f"cp-sat:   {seconds:.1f} s, objective {solution.objective}, bound {solution.bound}, gap {solution.gap:.6f}")
    filled, short = len(solution.assignments), len(solution.short)
    print(f"          {filled} places filled, {short} nights short, {len(broken)} violations")
    print(f"          cost by kind: {solution.breakdown}")

    base_assignments, base_leaders = first_come(problem)
    base_short = explain_short(problem, base_assignments, base_leaders)
    base_broken = violations(problem, base_assignments, base_leaders)
    filled, short = len(base_assignments), len(base_short)
    print(f"baseline: {filled} places filled, {short} nights short, {len(base_broken)} violations")
    print(
        f"size={args.size} seconds={seconds:.2f} memory_mb={memory_mb:.0f} objective={solution.objective} "
        f"bound={solution.bound} gap={solution.gap:.6f} optimal={int(solution.optimal)} short={len(solution.short)} "
        f"violations={len(broken)} baseline_short={len(base_short)} baseline_violations={len(base_broken)}"
    )


if __name__ == "__main__":
    main()
