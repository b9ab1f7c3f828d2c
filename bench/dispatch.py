"""SMS dispatch throughput: 10,000 due messages sent by one, then two scheduler processes through the
real `twilio` client to the local Twilio-speaking server of the test suite.

    python bench/dispatch.py [--messages 10000]

PostgreSQL when NATTERAVN_BENCH_DATABASE_URL is set (a private database is made and dropped on that
server), else SQLite in a temporary directory. Each process runs the scheduler's own dispatch job.

Last line: key=value figures. `rate` (messages per second), `duplicates` (messages Twilio received
more than once; must be 0) and `max_delay_s` (how long the last message waited past its due time,
counted from when the schedulers were up) are for the two-process run; `_1proc` for one process.
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import sys
import time
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import delete, func, insert, select

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from own_database import own_database  # noqa: E402

from natteravn import create_app  # noqa: E402
from natteravn.db import make_engine  # noqa: E402
from natteravn.models import Base  # noqa: E402
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
        **twilio_config,
    }


def dispatcher(config: dict, start) -> None:
    """One scheduler process: the dispatch job, run until the outbox has nothing due."""
    from natteravn.scheduler import context_from, dispatch_sms

    app = create_app(config)
    start.wait()
    dispatch_sms(context_from(app))
    app.extensions["natteravn.engine"].dispose()


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
        context = multiprocessing.get_context("spawn")
        start = context.Barrier(processes + 1)
        workers = [context.Process(target=dispatcher, args=(config, start)) for _ in range(processes)]
        for worker in workers:
            worker.start()
        start.wait()
        running = datetime.now(UTC)  # the schedulers are up: from here on, waiting is dispatch's doing
        began = time.perf_counter()
        for worker in workers:
            worker.join()
        seconds = time.perf_counter() - began
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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=10_000)
    args = parser.parse_args()
    kind = "postgresql" if os.environ.get("NATTERAVN_BENCH_DATABASE_URL") else "sqlite"
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
