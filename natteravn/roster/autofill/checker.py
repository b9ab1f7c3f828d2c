"""An independent check of the hard rules, written without the solver's model, so a bug in
one is caught by the other."""

from __future__ import annotations

from collections import Counter, defaultdict

from natteravn.roster.autofill.problem import Problem


def violations(problem: Problem, assignments: set[tuple[int, int]], leaders: set[tuple[int, int]]) -> list[str]:
    nights = {n.id: n for n in problem.nights}
    volunteers = {v.id: v for v in problem.volunteers}
    found: list[str] = []
    per_night = Counter(night_id for _, night_id in assignments)
    for night_id, count in per_night.items():
        if night_id not in nights:
            found.append(f"night {night_id} is not in the problem")
        elif count > nights[night_id].free_places:
            found.append(f"night {night_id} gets {count} people for {nights[night_id].free_places} places")
    per_person: dict[int, list[int]] = defaultdict(list)
    for volunteer_id, night_id in assignments:
        per_person[volunteer_id].append(night_id)
        volunteer = volunteers.get(volunteer_id)
        if volunteer is None:
            found.append(f"person {volunteer_id} is not a volunteer")
            continue
        if night_id not in volunteer.available:
            found.append(f"person {volunteer_id} is not available for night {night_id}")
        if problem.locks.get((volunteer_id, night_id)) is False:
            found.append(f"person {volunteer_id} was locked out of night {night_id}")
        if volunteer.partner_id is not None and (volunteer.partner_id, night_id) not in assignments:
            found.append(f"person {volunteer_id} walks night {night_id} without their partner")
    for volunteer_id, night_ids in per_person.items():
        volunteer = volunteers.get(volunteer_id)
        if volunteer is None:
            continue
        if len(night_ids) > volunteer.max_new_nights:
            found.append(f"person {volunteer_id} gets {len(night_ids)} nights, more than {volunteer.max_new_nights}")
        walked = [n for n in night_ids if (volunteer_id, n) not in leaders]
        if len(walked) > volunteer.most_new_walks:
            found.append(f"person {volunteer_id} walks {len(walked)} nights, more than {volunteer.most_new_walks}")
        days = Counter(nights[n].day for n in night_ids if n in nights)
        doubled = [d for d, c in days.items() if c > 1 or d in volunteer.busy_days]
        if doubled:
            found.append(f"person {volunteer_id} gets two nights on {doubled[0]}")
        if not volunteer.same_weekend_ok:
            weekends = Counter(nights[n].weekend for n in night_ids if n in nights)
            taken = [w for w, c in weekends.items() if c > 1 or w in volunteer.busy_weekends]
            if taken:
                found.append(f"person {volunteer_id} gets two nights in weekend {taken[0]}")
    for night_id, count in Counter(night_id for _, night_id in leaders).items():
        if count > 1 or (night_id in nights and not nights[night_id].needs_leader):
            found.append(f"night {night_id} gets a leader it does not need")
    for volunteer_id, night_id in leaders:
        if (volunteer_id, night_id) not in assignments:
            found.append(f"person {volunteer_id} leads night {night_id} without walking it")
        elif not volunteers[volunteer_id].can_lead:
            found.append(f"person {volunteer_id} leads night {night_id} but cannot lead")
    return found
