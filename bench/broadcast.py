"""Planning messages to many at once: a stormy weekend's nights called off region-wide, and a message
to everyone in the region.

    NATTERAVN_BENCH_DATABASE_URL=postgresql+psycopg://… python bench/broadcast.py [--runs 5]

PostgreSQL, required (a private database is made there and dropped afterwards). Seeds a region of
three municipalities with 600 volunteers and a published term; on the weekend measured, two routes
per municipality walk Friday and Saturday: 12 nights of 6 people, some of them on both nights.
Times, through the services the coordinator's pages call, (1) calling off those 12 nights with one
message per person and (2) a message to the whole region's 600 people, each with its commit, and
checks what was planned. Each run starts from a fresh copy of the data.

Last line: key=value figures; `seconds` is the median of the runs for both together (target: under
2 s), `messages` how many messages they planned.
"""

from __future__ import annotations

import argparse
import statistics
import sys
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from pathlib import Path
from time import perf_counter

from sqlalchemy import func, insert, select, text

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from own_database import own_database, require_postgresql  # noqa: E402

from natteravn import create_app  # noqa: E402
from natteravn.accounts.models import Person, Role, RoleKind  # noqa: E402
from natteravn.accounts.service import answered_first_questions  # noqa: E402
from natteravn.clock import night_span  # noqa: E402
from natteravn.models import Base  # noqa: E402
from natteravn.places.models import Municipality, Region, Route  # noqa: E402
from natteravn.roster import broadcasts  # noqa: E402
from natteravn.roster import service as roster  # noqa: E402
from natteravn.shifts.models import Shift, Signup, SignupRole, SignupState, Term  # noqa: E402
from natteravn.sms.models import Purpose, SmsMessage  # noqa: E402

MUNICIPALITIES = ("Grue", "Åsnes", "Våler")
PEOPLE = 600
PER_NIGHT = 6
#: Of each route's six walkers, this many walk both Friday and Saturday: they get one message, not two.
BOTH_NIGHTS = 2
NOW = datetime(2026, 11, 25, 9, 0, tzinfo=UTC)  # a Wednesday
FRIDAY = date(2026, 11, 27)
PRICE = Decimal("0.45")  # NOK a segment


def populate(session) -> tuple[int, int]:
    """The region, its people and the weekend's nights; returns the region's and the coordinator's ids."""
    region = Region(name="Solør", slug="solor")
    municipalities = [Municipality(region=region, name=name) for name in MUNICIPALITIES]
    routes = [
        Route(municipality=m, name=f"{m.name} {where}", meeting_point="Stasjonen")
        for m in municipalities
        for where in ("sentrum", "nord")
    ]
    term = Term(
        region=region,
        name="Høst 2026",
        starts_on=date(2026, 8, 1),
        ends_on=date(2026, 12, 31),
        signup_opens_at=NOW - timedelta(days=60),
        published_at=NOW - timedelta(days=60),
    )
    session.add_all([region, *municipalities, *routes, term])
    session.flush()
    session.execute(
        insert(Person),
        [
            dict(
                phone=f"+474{n:07d}",
                name=f"Walker {n}",
                locale=("nb", "nn", "en")[n % 3],
                municipality_id=municipalities[n % 3].id,
                created_at=NOW,
                **answered_first_questions(NOW),
            )
            for n in range(PEOPLE)
        ],
    )
    people = list(session.scalars(text("SELECT id FROM person ORDER BY id")))
    session.add(Role(person_id=people[0], kind=RoleKind.COORDINATOR, region_id=region.id))
    walkers = iter(people[1:])
    signups = []
    for route in routes:
        friday_people = [next(walkers) for _ in range(PER_NIGHT)]
        saturday_people = friday_people[:BOTH_NIGHTS] + [next(walkers) for _ in range(PER_NIGHT - BOTH_NIGHTS)]
        for day, on_it in ((FRIDAY, friday_people), (FRIDAY + timedelta(days=1), saturday_people)):
            starts_at, ends_at = night_span(day, time(22, 0), time(1, 0))
            night = Shift(
                term=term,
                route=route,
                starts_at=starts_at,
                ends_at=ends_at,
                min_walkers=3,
                max_walkers=PER_NIGHT,
                needs_leader=True,
                note="",
                cancel_reason="",
            )
            session.add(night)
            session.flush()
            signups += [
                dict(
                    shift_id=night.id,
                    person_id=person_id,
                    role=SignupRole.LEADER if index == 0 else SignupRole.WALKER,
                    state=SignupState.SIGNED_UP,
                    created_at=NOW,
                )
                for index, person_id in enumerate(on_it)
            ]
    session.execute(insert(Signup), signups)
    return region.id, people[0]


def run_once(app, region_id: int, coordinator_id: int) -> tuple[float, float, int]:
    """Call off the weekend, then write to the region; returns both times and the messages planned."""
    sessions = app.extensions["natteravn.sessions"]
    with sessions() as session:
        coordinator = session.get(Person, coordinator_id)
        scope = coordinator.coordinator_scope
        started = perf_counter()
        nights = broadcasts.weekend_nights(session, scope, FRIDAY, None, NOW)
        notices = roster.cancel_nights(session, nights, "Storm – vi tar det igjen", NOW, coordinator)
        session.commit()
        cancelled = perf_counter() - started
        assert len(nights) == 2 * len(MUNICIPALITIES) * 2, len(nights)
        people_on = len(MUNICIPALITIES) * 2 * (2 * PER_NIGHT - BOTH_NIGHTS)
        assert len(notices) == people_on, (len(notices), people_on)

        started = perf_counter()
        target = broadcasts.Target(broadcasts.Kind.REGION, region_id)
        audience = broadcasts.audience(session, scope, target, NOW)
        assert audience is not None
        reach = broadcasts.send_message(
            session, audience, "Alle vakter i helgen er avlyst på grunn av storm.", "bench", NOW, coordinator, PRICE
        )
        session.commit()
        broadcast = perf_counter() - started
        assert reach.people == PEOPLE, reach.people
        planned = session.scalar(
            select(func.count())
            .select_from(SmsMessage)
            .where(SmsMessage.purpose.in_((Purpose.SHIFT_CANCELLED, Purpose.BROADCAST)))
        )
    return cancelled, broadcast, planned or 0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    require_postgresql("bench/broadcast.py")
    timings = []
    for _run in range(args.runs):
        with own_database("postgres") as url:
            app = create_app({"TESTING": True, "DATABASE_URL": url, "SECRET_KEY": "bench", "CLOCK": lambda: NOW})
            Base.metadata.create_all(app.extensions["natteravn.engine"])
            with app.extensions["natteravn.sessions"]() as session, session.begin():
                region_id, coordinator_id = populate(session)
            cancelled, broadcast, messages = run_once(app, region_id, coordinator_id)
            app.extensions["natteravn.engine"].dispose()
        timings.append((cancelled, broadcast))
        print(f"cancel {cancelled:.3f} s, broadcast {broadcast:.3f} s, {messages} messages planned")
    total = statistics.median(cancelled + broadcast for cancelled, broadcast in timings)
    cancel = statistics.median(cancelled for cancelled, _broadcast in timings)
    broadcast = statistics.median(broadcast for _cancelled, broadcast in timings)
    print(
        f"messages={messages} seconds={total:.3f} cancel_seconds={cancel:.3f} "
        f"broadcast_seconds={broadcast:.3f} runs={args.runs}"
    )


if __name__ == "__main__":
    main()
