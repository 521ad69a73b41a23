"""The global rate limit: token buckets in the database, shared by every worker."""

from __future__ import annotations

import datetime as dt
import threading
import time
from collections.abc import Sequence

from sqlalchemy.orm import Session, sessionmaker

from mailer.config import Settings
from mailer.db import utcnow
from mailer.delivery import campaigns, ratelimit
from mailer.delivery.backends.base import Outcome, OutgoingMessage, SendResult
from mailer.delivery.worker import Worker
from tests.delivery_fixtures import statuses
from tests.helpers import make_campaign, make_list, make_subscribers


def test_buckets_grant_what_the_window_allows_and_refill_over_time(session: Session) -> None:
    limits = ratelimit.limits_from(Settings(rate_per_second=10, rate_per_hour=3600))
    assert [(lim.name, lim.per_second, lim.burst) for lim in limits] == [
        ("second", 10.0, 10.0),
        ("hour", 1.0, 60.0),
    ]
    t0 = utcnow()
    assert ratelimit.take(session, limits, 25, now=t0) == (10, 0.0)
    granted, wait = ratelimit.take(session, limits, 25, now=t0)
    assert granted == 0 and 0.09 <= wait <= 0.11  # the next token is 1/10 s away
    assert ratelimit.take(session, limits, 25, now=t0 + dt.timedelta(seconds=0.5))[0] == 5
    # The hour bucket (60 burst, 1/s) is now the tighter one: 45 left after 15 taken.
    later = t0 + dt.timedelta(seconds=10)
    assert ratelimit.take(session, limits, 500, now=later)[0] == 10
    session.commit()
    ratelimit.give_back(session, limits, 4)
    assert ratelimit.take(session, limits, 500, now=later)[0] == 4
    assert ratelimit.limits_from(Settings()) == []
    assert ratelimit.take(session, [], 500) == (500, 0.0)


class TimedBackend:
    """Accepts everything and notes when each message went out."""

    max_batch = 500

    def __init__(self, log: list[float], lock: threading.Lock) -> None:
        self.log = log
        self.lock = lock

    def open(self) -> None:
        pass

    def send(self, messages: Sequence[OutgoingMessage]) -> list[SendResult]:
        with self.lock:
            self.log.extend(time.monotonic() for _ in messages)
        return [SendResult(m.delivery_id, Outcome.SENT) for m in messages]

    def close(self) -> None:
        pass


def test_two_workers_together_keep_to_the_global_rate(
    session_factory: sessionmaker[Session], settings: Settings
) -> None:
    rate, count = 20, 70
    with session_factory() as session:
        ml = make_list(session)
        make_subscribers(session, ml, count)
        c = make_campaign(session, ml)
        campaigns.start(session, c)
        session.commit()
        cid = c.id
    s = settings.replace(rate_per_second=rate)
    log: list[float] = []
    lock = threading.Lock()
    workers = [
        Worker(session_factory, s, TimedBackend(log, lock), name=f"w{i}:0:0") for i in range(2)
    ]
    started = time.monotonic()
    threads = [threading.Thread(target=w.run, kwargs={"once": True}) for w in workers]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    elapsed = time.monotonic() - started
    assert len(log) == count
    with session_factory() as session:
        assert statuses(session, cid) == {"sent": count}
    # One second's burst, then the rate: (70 - 20) / 20 = 2.5 s at the least. A limit kept
    # per worker would let the two send 40/s and finish in (70 - 40) / 40 = 0.75 s.
    assert elapsed >= (count - rate) / rate * 0.95
    # Any one second holds at most the burst plus a second's refill (tokens are granted in
    # the database; the backend sees them a few milliseconds later, hence a little slack).
    stamps = sorted(log)
    for i, t in enumerate(stamps):
        in_window = sum(1 for u in stamps[i:] if u < t + 1.0)
        assert in_window <= 2 * rate + rate // 4, f"{in_window} messages within one second"
