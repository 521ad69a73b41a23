"""One active scheduler per database: the lock, its lease, and takeover by a standby."""

from __future__ import annotations

import datetime as dt
import time

import time_machine
from sqlalchemy import text
from sqlalchemy.engine import Engine

from mailer.db import make_engine
from mailer.scheduling.lock import AdvisoryLock, LeaseLock, scheduler_lock


def test_one_holder_at_a_time_and_the_standby_takes_over(engine: Engine, db_url: str) -> None:
    other_engine = make_engine(db_url)
    try:
        active = scheduler_lock(engine, ttl=30, holder="host-a:1")
        standby = scheduler_lock(other_engine, ttl=30, holder="host-b:2")
        expected = AdvisoryLock if engine.dialect.name == "postgresql" else LeaseLock
        assert isinstance(active, expected)
        assert active.acquire()
        assert not standby.acquire()
        assert active.renew()
        assert "host-a:1" in standby.current_holder()
        active.release()
        assert standby.acquire()
        assert not active.acquire()
        assert not active.renew()  # it gave the lock up: it must not run jobs
        standby.release()
        assert standby.current_holder() == ""
    finally:
        other_engine.dispose()


def test_an_abandoned_lease_expires_and_its_holder_learns_it_lost(engine: Engine) -> None:
    """A lease (SQLite's lock) whose holder stopped renewing frees after its ttl."""
    start = dt.datetime(2027, 3, 15, 12, tzinfo=dt.UTC)
    dead = LeaseLock(engine, holder="host-a:1", ttl=30)
    heir = LeaseLock(engine, holder="host-b:2", ttl=30)
    with time_machine.travel(start, tick=False):
        assert dead.acquire()
    with time_machine.travel(start + dt.timedelta(seconds=29), tick=False):
        assert not heir.acquire()
    with time_machine.travel(start + dt.timedelta(seconds=31), tick=False):
        assert heir.acquire()
        assert not dead.renew()
        assert heir.current_holder() == "host-b:2"


def test_postgres_frees_the_lock_when_the_holders_connection_dies(
    engine: Engine, db_url: str
) -> None:
    if engine.dialect.name != "postgresql":
        # SQLite has no server to notice a dead holder; the lease expiry above covers it.
        assert isinstance(scheduler_lock(engine), LeaseLock)
        return
    other_engine = make_engine(db_url)
    try:
        holder = AdvisoryLock(engine, holder="host-a:1")
        standby = AdvisoryLock(other_engine, holder="host-b:2")
        assert holder.acquire()
        assert holder._conn is not None
        pid = holder._conn.execute(text("SELECT pg_backend_pid()")).scalar()
        with other_engine.connect() as conn:
            conn.execute(text("SELECT pg_terminate_backend(:p)"), {"p": pid})
        # The server ends that backend asynchronously; its lock is free within moments.
        deadline = time.monotonic() + 5
        while not standby.acquire() and time.monotonic() < deadline:
            time.sleep(0.05)
        assert standby._conn is not None, "the dead holder's lock was not freed within 5 s"
        assert not holder.renew()
        standby.release()
    finally:
        other_engine.dispose()
