"""The global send rate: token buckets in the database, shared by every worker.

A limit that each worker enforced on its own would multiply with the number
of workers. Here every window (``rate_per_second``, ``rate_per_hour``) is one
row of ``rate_buckets``; before a batch, a worker takes tokens from all rows
in one short transaction (``SELECT ... FOR UPDATE`` on PostgreSQL, the
``BEGIN IMMEDIATE`` write lock on SQLite), so two workers can never spend
the same token, wherever they run.

The rule, stated once: a bucket refills continuously at its rate and holds
at most a small burst (one second's worth for the per-second limit, one
minute's worth for the per-hour limit), so over any second, resp. hour, no
more than the limit plus that burst is sent, and the long-run average never
exceeds the limit. A worker that gets fewer tokens than its batch sends a
smaller batch; one that gets none waits until the next token is due.
"""

from __future__ import annotations

import datetime as dt
import math
import threading
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from mailer.config import Settings
from mailer.db import insert_for, session_scope, utcnow
from mailer.delivery.models import RateBucket


@dataclass(frozen=True, slots=True)
class Limit:
    name: str
    per_second: float  # refill rate
    burst: float  # most tokens a bucket holds


def limits_from(settings: Settings) -> list[Limit]:
    """The configured windows; an empty list means "no limit"."""
    limits = []
    if settings.rate_per_second > 0:
        rate = float(settings.rate_per_second)
        limits.append(Limit("second", rate, max(1.0, rate)))
    if settings.rate_per_hour > 0:
        rate = settings.rate_per_hour / 3600.0
        limits.append(Limit("hour", rate, max(1.0, settings.rate_per_hour / 60.0)))
    return limits


def take(
    session: Session, limits: list[Limit], wanted: int, now: dt.datetime | None = None
) -> tuple[int, float]:
    """Take up to ``wanted`` tokens from every bucket at once.

    Returns ``(granted, wait)``: when nothing could be granted, ``wait`` is
    the seconds until the next token is due. Runs inside the caller's
    transaction; commit it promptly, it holds the buckets' row locks.
    """
    if not limits or wanted <= 0:
        return wanted, 0.0
    now = now or utcnow()
    session.execute(
        insert_for(session)(RateBucket)
        .values([{"name": lim.name, "tokens": lim.burst, "updated_at": now} for lim in limits])
        .on_conflict_do_nothing(index_elements=["name"])
    )
    names = [lim.name for lim in limits]
    query = select(RateBucket).where(RateBucket.name.in_(names)).order_by(RateBucket.name)
    if session.get_bind().dialect.name == "postgresql":
        query = query.with_for_update()
    rows = {row.name: row for row in session.scalars(query)}
    available = []
    for lim in limits:
        row = rows[lim.name]
        # A clock behind the last writer's refills nothing rather than going back in time.
        elapsed = max(0.0, (now - row.updated_at).total_seconds())
        row.tokens = min(lim.burst, row.tokens + elapsed * lim.per_second)
        row.updated_at = max(row.updated_at, now)
        available.append(row.tokens)
    granted = max(0, min(wanted, math.floor(min(available) + 1e-9)))
    if granted == 0:
        wait = max((1.0 - rows[lim.name].tokens) / lim.per_second for lim in limits)
        return 0, max(wait, 0.001)
    for lim in limits:
        rows[lim.name].tokens -= granted
    session.flush()
    return granted, 0.0


def give_back(session: Session, limits: list[Limit], count: int) -> None:
    """Return tokens a worker took but did not use (it claimed fewer rows)."""
    if not limits or count <= 0:
        return
    for lim in limits:
        row = session.get(RateBucket, lim.name, with_for_update=True)
        if row is not None:
            row.tokens = min(lim.burst, row.tokens + count)


class RateLimiter:
    """What a worker holds: asks for tokens before each batch, waits when there are none."""

    def __init__(self, session_factory: sessionmaker[Session], settings: Settings) -> None:
        self.session_factory = session_factory
        self.limits = limits_from(settings)

    @property
    def enabled(self) -> bool:
        return bool(self.limits)

    def acquire(self, wanted: int, stop: threading.Event, max_wait: float = 5.0) -> int:
        """Tokens for up to ``wanted`` messages; 0 if ``max_wait`` passed or ``stop`` was set.

        Waiting is bounded so the caller re-reads the campaign's status (a
        pause must still take effect within one batch while it is throttled).
        """
        if not self.limits:
            return wanted
        waited = 0.0
        while not stop.is_set():
            with session_scope(self.session_factory) as session:
                granted, wait = take(session, self.limits, wanted)
            if granted:
                return granted
            if waited >= max_wait:
                return 0
            pause = min(wait, max_wait - waited, 1.0)
            stop.wait(pause)
            waited += pause
        return 0

    def release(self, count: int) -> None:
        if self.limits and count > 0:
            with session_scope(self.session_factory) as session:
                give_back(session, self.limits, count)
