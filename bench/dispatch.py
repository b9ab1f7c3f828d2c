"""SMS dispatch throughput: 10,000 due messages sent by one, then two scheduler processes through the
real `twilio` client to the local Twilio-speaking server of the test suite.

    python bench/dispatch.py [--messages 10000]
    python bench/dispatch.py --size national [--rate 150]

PostgreSQL when NATTERAVN_BENCH_DATABASE_URL is set (a private database is made and dropped on that
server), else SQLite in a temporary directory. Each process runs the scheduler's own dispatch job.

Last line: key=value figures. `rate` (messages per second), `duplicates` (messages Twilio received
more than once; must be 0) and `max_delay_s` (how long the last message waited past its due time,
counted from when the schedulers were up) are for the two-process run; `_1proc` for one process.
These runs send unpaced (`SMS_RATE_PER_SECOND=0`): they measure how fast dispatch can go.

`--size national` is a Friday of the whole country: 50 regions of 7 municipalities with 20 routes
each, one night per route on the coming Friday with a group leader and four walkers: 7,000 nights,
35,000 places, 35,000 people. Each region's term is published through the app's own `publish`
(`plan_s`: all fifty together), which plans every reminder of the week. The messages due before
Friday noon (the summaries, the reminders two days before) are then marked sent, and two scheduler
processes send the day's reminders at `--rate` SMS a second (`SMS_RATE_PER_SECOND`), their clocks
set to Friday 12:00 in Oslo, when every region's day reminder is due by default: all 35,000 due at
the same moment, the worst case and also the real one. `max_late_s`: how long after its due time
the last reminder reached Twilio; `max_per_s`: the most Twilio received in one second of its clock.
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import sys
import time
from collections import Counter
from datetime import UTC, date, datetime, timedelta
from datetime import time as wall_time
from pathlib import Path

from sqlalchemy import delete, func, insert, select, update
from sqlalchemy.orm import Session

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from own_database import own_database  # noqa: E402

from natteravn import create_app  # noqa: E402
from natteravn.accounts.models import Person  # noqa: E402
from natteravn.clock import at_local, local  # noqa: E402
from natteravn.db import make_engine  # noqa: E402
from natteravn.links import Links  # noqa: E402
from natteravn.models import Base  # noqa: E402
from natteravn.places.models import Municipality, Region, Route  # noqa: E402
from natteravn.roster.terms import publish  # noqa: E402
from natteravn.shifts.models import Shift, Signup, SignupRole, SignupState, Term  # noqa: E402
from natteravn.sms.models import MessageState, Purpose, SmsMessage  # noqa: E402
from natteravn.sms.segments import count_segments  # noqa: E402
from tests.twilio_server import TwilioServer  # noqa: E402


def settings(url: str, twilio_config: dict) -> dict:
    return {
        "TESTING": True,
        "SECRET_KEY": "bench",
        "DATABASE_URL": url,
        "BASE_URL": "http://natteravn.bench",
        # No quiet hours: the bench may run at night, and measures sending, not waiting for morning.
        "SMS_QUIET_FROM": "00:00",
        "SMS_QUIET_UNTIL": "00:00",
        "SMS_RATE_PER_SECOND": 0,
        **twilio_config,
    }


def dispatcher(config: dict, start) -> None:
    """One scheduler process: the dispatch job, run until the outbox has nothing due. A `CLOCK`
    in the config (the national run's) is started once every process is up."""
    from natteravn.scheduler import context_from, dispatch_sms

    app = create_app(config)
    start.wait()
    if "CLOCK" in config:
        config["CLOCK"].start()
    dispatch_sms(context_from(app))
    app.extensions["natteravn.engine"].dispose()


def dispatch_together(config: dict, processes: int) -> tuple[datetime, float]:
    """`processes` scheduler processes let loose at once: the moment they were all up (from then
    on, waiting is dispatch's doing) and the seconds until the last one was done."""
    context = multiprocessing.get_context("spawn")
    start = context.Barrier(processes + 1)
    workers = [context.Process(target=dispatcher, args=(config, start)) for _ in range(processes)]
    for worker in workers:
        worker.start()
    start.wait()
    running = datetime.now(UTC)
    began = time.perf_counter()
    for worker in workers:
        worker.join()
    return running, time.perf_counter() - began


def plan_due(engine, count: int, due: datetime) -> None:
    with engine.begin() as connection:
        connection.execute(delete(SmsMessage))
        rows = []
        for number in range(count):
            body = f"Påminnelse {number}: Flisa sentrum fredag kl 22:00, oppmøte Flisa skysstasjon."
            encoding, segments = count_segments(body)
            rows.append(
                {
                    "to": f"+4790{number:06d}",
                    "body": body,
                    "purpose": Purpose.REMINDER_DAY,
                    "due_at": due,
                    "urgent": False,
                    "state": MessageState.PENDING,
                    "attempts": 0,
                    "last_error": "",
                    "segments": segments,
                    "encoding": encoding,
                    "created_at": due,
                }
            )
        connection.execute(insert(SmsMessage), rows)


def run(url: str, engine, processes: int, count: int) -> dict[str, float]:
    with TwilioServer() as twilio:
        config = settings(url, twilio.config())
        due = datetime.now(UTC)
        plan_due(engine, count, due)
        running, seconds = dispatch_together(config, processes)
        received = twilio.messages
    with engine.connect() as connection:
        sent = connection.scalar(select(func.count()).where(SmsMessage.state == MessageState.SENT))
    copies = Counter(m.body for m in received)
    last = max((m.received for m in received), default=due)
    return {
        "sent": sent,
        "received": len(received),
        "duplicates": sum(n - 1 for n in copies.values()),
        "rate": len(copies) / seconds,
        "max_delay_s": (last - max(due, running)).total_seconds(),
    }


# --- A national Friday. ---

REGIONS, MUNICIPALITIES, ROUTES, WALKERS = 50, 7, 20, 4  # and a group leader per night


class FridayClock:
    """The scheduler's clock in the national run: the wall clock, moved so that it shows Friday
    noon when the processes start sending, and runs on in real seconds from there."""

    def __init__(self, noon: datetime):
        self.noon = noon
        self.offset = timedelta(0)

    def start(self) -> None:
        self.offset = self.noon - datetime.now(UTC)

    def __call__(self) -> datetime:
        return datetime.now(UTC) + self.offset


def coming_friday(today: date) -> date:
    return today + timedelta(days=(4 - today.weekday()) % 7 or 7)


def seed_country(engine, friday: date, now: datetime) -> None:
    """Regions, municipalities, routes, one night per route on `friday`, and its five people, in bulk."""
    starts = at_local(friday, wall_time(22, 0))
    regions, municipalities, routes, terms, shifts, people, signups = [], [], [], [], [], [], []
    people.append({"id": 1, "phone": "+4740000000", "name": "Nasjonal Koordinator", "created_at": now})
    for r in range(1, REGIONS + 1):
        regions.append({"id": r, "name": f"Region {r}", "slug": f"region-{r}"})
        terms.append(
            {
                "id": r,
                "region_id": r,
                "name": "Vår",
                "starts_on": friday - timedelta(days=30),
                "ends_on": friday + timedelta(days=30),
                "signup_opens_at": now - timedelta(days=30),
            }
        )
        for m in range(MUNICIPALITIES):
            municipality = (r - 1) * MUNICIPALITIES + m + 1
            municipalities.append({"id": municipality, "region_id": r, "name": f"Kommune {municipality}"})
            for n in range(ROUTES):
                route = (municipality - 1) * ROUTES + n + 1
                routes.append(
                    {"id": route, "municipality_id": municipality, "name": f"Rute {route}", "meeting_point": "Torget"}
                )
                shifts.append(
                    {
                        "id": route,
                        "term_id": r,
                        "route_id": route,
                        "starts_at": starts,
                        "ends_at": starts + timedelta(hours=3),
                    }
                )
                for place in range(WALKERS + 1):
                    person = len(people) + 1
                    people.append(
                        {
                            "id": person,
                            "phone": f"+479{person:07d}",
                            "name": f"Forelder {person}",
                            "municipality_id": municipality,
                            "created_at": now,
                            "approved_at": now,
                        }
                    )
                    signups.append(
                        {
                            "id": person,
                            "shift_id": route,
                            "person_id": person,
                            "role": SignupRole.LEADER if place == 0 else SignupRole.WALKER,
                            "state": SignupState.SIGNED_UP,
                            "created_at": now,
                        }
                    )
    with engine.begin() as connection:
        for model, rows in (
            (Region, regions),
            (Term, terms),
            (Municipality, municipalities),
            (Route, routes),
            (Shift, shifts),
            (Person, people),
            (Signup, signups),
        ):
            for start in range(0, len(rows), 5000):
                connection.execute(insert(model), rows[start : start + 5000])


def plan_country(engine, now: datetime) -> tuple[float, int]:
    """Every region publishes its term, each in its own transaction: seconds taken, messages planned."""
    links = Links("http://natteravn.bench", "bench")
    began = time.perf_counter()
    with Session(engine, expire_on_commit=False) as session:
        actor = session.get_one(Person, 1)
        for term in session.scalars(select(Term).order_by(Term.id)).all():
            publish(session, term, now, links, actor)
            session.commit()
    seconds = time.perf_counter() - began
    with engine.connect() as connection:
        return seconds, connection.scalar(select(func.count()).select_from(SmsMessage))


def sent_earlier_in_the_week(engine, noon: datetime) -> int:
    """What was due before Friday noon went out on its day; the day's reminders are left."""
    with engine.begin() as connection:
        connection.execute(
            update(SmsMessage)
            .where(SmsMessage.due_at < noon)
            .values(state=MessageState.SENT, sent_at=SmsMessage.due_at, attempts=1)
        )
        return connection.scalar(
            select(func.count()).where(SmsMessage.state == MessageState.PENDING, SmsMessage.due_at <= noon)
        )


def national(url: str, engine, rate: int) -> None:
    now = datetime.now(UTC)
    friday = coming_friday(local(now).date())
    noon = at_local(friday, wall_time(12, 0))
    monday = at_local(friday - timedelta(days=4), wall_time(10, 0))
    seed_country(engine, friday, now)
    plan_s, planned = plan_country(engine, monday)
    due = sent_earlier_in_the_week(engine, noon)
    print(f"planned {planned} messages in {plan_s:.1f} s; {due} reminders due at {noon.isoformat()}", flush=True)
    with TwilioServer() as twilio:
        config = {**settings(url, twilio.config()), "SMS_RATE_PER_SECOND": rate, "CLOCK": FridayClock(noon)}
        # Region's own quiet hours apply (21:00-08:00 by default): noon is outside them.
        del config["SMS_QUIET_FROM"], config["SMS_QUIET_UNTIL"]
        running, seconds = dispatch_together(config, 2)
        received = twilio.messages
    with engine.connect() as connection:
        sent = connection.scalar(
            select(func.count()).where(
                SmsMessage.purpose == Purpose.REMINDER_DAY, SmsMessage.state == MessageState.SENT
            )
        )
    copies = Counter((m.to, m.body) for m in received)
    per_second = Counter(int(m.received.timestamp()) for m in received)
    last = max((m.received for m in received), default=running)
    print(
        f"size=national messages={due} rate_limit={rate} rate={len(copies) / seconds:.1f} "
        f"duplicates={sum(n - 1 for n in copies.values())} max_late_s={(last - running).total_seconds():.1f} "
        f"unsent={due - sent} max_per_s={max(per_second.values(), default=0)} plan_s={plan_s:.1f} "
        f"planned={planned} regions={REGIONS} nights={REGIONS * MUNICIPALITIES * ROUTES}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=10_000)
    parser.add_argument("--size", choices=["national"], help="a national Friday instead of --messages")
    parser.add_argument("--rate", type=int, default=150, help="SMS_RATE_PER_SECOND of the national run")
    args = parser.parse_args()
    kind = "postgresql" if os.environ.get("NATTERAVN_BENCH_DATABASE_URL") else "sqlite"
    if args.size == "national":
        with own_database(kind) as url:
            engine = make_engine(url)
            Base.metadata.create_all(engine)
            print(f"database={kind} SMS_RATE_PER_SECOND={args.rate}", flush=True)
            national(url, engine, args.rate)
            engine.dispose()
        return
    with own_database(kind) as url:
        engine = make_engine(url)
        Base.metadata.create_all(engine)
        one = run(url, engine, 1, args.messages)
        print(f"1 process: {one}", flush=True)
        two = run(url, engine, 2, args.messages)
        print(f"2 processes: {two}", flush=True)
        engine.dispose()
    lost = args.messages - min(one["sent"], two["sent"])
    print(
        f"database={kind} messages={args.messages} rate={two['rate']:.1f} duplicates={two['duplicates']} "
        f"max_delay_s={two['max_delay_s']:.1f} rate_1proc={one['rate']:.1f} duplicates_1proc={one['duplicates']} "
        f"max_delay_s_1proc={one['max_delay_s']:.1f} unsent={lost}"
    )


if __name__ == "__main__":
    main()
