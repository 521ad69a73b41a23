"""One active scheduler per database: a lock taken before any job runs.

APScheduler 3 cannot share a job store between processes (duplicate or lost
runs follow), so only the holder of this lock runs jobs; any other
``mailer scheduler`` waits as a standby and takes over when the lock frees.

- PostgreSQL: a session-level ``pg_try_advisory_lock`` on a connection held
  for the scheduler's life. The server frees it the moment that connection
  dies, so a killed scheduler never blocks its successor.
- SQLite (one machine): a lease row in ``locks`` with an expiry, renewed
  well before it lapses; a holder that dies stops renewing and the lease
  expires after ``ttl`` seconds.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import socket
from typing import Protocol

from sqlalchemy import delete, select, text
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.orm import Session

from mailer.db import Lock, utcnow

log = logging.getLogger(__name__)

LOCK_NAME = "mailer.scheduler"
#: The advisory lock key: "mail" + "schd" as two 32-bit halves, fixed so every
#: installation sharing one PostgreSQL database agrees on it.
ADVISORY_KEY = 0x6D61696C_73636864
#: Advisory locks are per database, but ``pg_locks`` lists the whole server: a look-up
#: that leaves this filter out names another deployment's scheduler as ours.
THIS_DATABASE = "(SELECT oid FROM pg_database WHERE datname = current_database())"


def default_holder() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


class SchedulerLock(Protocol):
    holder: str

    def acquire(self) -> bool:
        """Take the lock if free; True when this process now holds it."""

    def renew(self) -> bool:
        """Keep holding it; False when it has been lost (stop running jobs)."""

    def release(self) -> None:
        """Give it up so a standby can take over at once."""

    def current_holder(self) -> str:
        """Who holds it now, for messages ("" when unknown or free)."""


class AdvisoryLock:
    """PostgreSQL session-level advisory lock on a dedicated connection."""

    def __init__(self, engine: Engine, holder: str | None = None) -> None:
        self.engine = engine
        self.holder = holder or default_holder()
        self._conn: Connection | None = None

    def acquire(self) -> bool:
        if self._conn is not None:
            return self.renew()
        conn = self.engine.connect().execution_options(isolation_level="AUTOCOMMIT")
        try:
            got = bool(
                conn.execute(text("SELECT pg_try_advisory_lock(:k)"), {"k": ADVISORY_KEY}).scalar()
            )
        except Exception:
            conn.close()
            raise
        if not got:
            conn.close()
            return False
        # Name the connection so `pg_stat_activity` (and a standby) can say who holds it.
        conn.execute(text("SELECT set_config('application_name', :n, false)"), {"n": self._label})
        self._conn = conn
        return True

    @property
    def _label(self) -> str:
        return f"mailer scheduler {self.holder}"[:63]

    def renew(self) -> bool:
        if self._conn is None:
            return False
        try:
            held = self._conn.execute(
                text(
                    "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' "
                    "AND pid = pg_backend_pid() AND granted "
                    f"AND database = {THIS_DATABASE} "
                    "AND ((classid::bigint << 32) | objid::bigint) = :k"
                ),
                {"k": ADVISORY_KEY},
            ).scalar()
        except Exception as exc:  # the connection died: the server has freed the lock
            log.error("scheduler lock connection lost: %s", exc)
            self._drop()
            return False
        return bool(held)

    def release(self) -> None:
        if self._conn is None:
            return
        try:
            self._conn.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": ADVISORY_KEY})
        except Exception as exc:
            log.warning("could not release scheduler lock cleanly: %s", exc)
        self._drop()

    def _drop(self) -> None:
        if self._conn is not None:
            try:
                self._conn.close()
            except Exception:
                self._conn.invalidate()
            self._conn = None

    def current_holder(self) -> str:
        with self.engine.connect() as conn:
            row = conn.execute(
                text(
                    "SELECT a.application_name FROM pg_locks l "
                    "JOIN pg_stat_activity a ON a.pid = l.pid "
                    "WHERE l.locktype = 'advisory' AND l.granted "
                    f"AND l.database = {THIS_DATABASE} "
                    "AND ((l.classid::bigint << 32) | l.objid::bigint) = :k"
                ),
                {"k": ADVISORY_KEY},
            ).first()
        return str(row[0]) if row else ""


class LeaseLock:
    """A lease row in ``locks`` (SQLite, or any database without advisory locks)."""

    def __init__(self, engine: Engine, holder: str | None = None, ttl: float = 30.0) -> None:
        self.engine = engine
        self.holder = holder or default_holder()
        self.ttl = dt.timedelta(seconds=ttl)
        self._held = False

    def acquire(self) -> bool:
        now = utcnow()
        with Session(self.engine) as session, session.begin():
            row = session.get(Lock, LOCK_NAME)
            if row is None:
                session.add(
                    Lock(
                        name=LOCK_NAME,
                        holder=self.holder,
                        acquired_at=now,
                        expires_at=now + self.ttl,
                    )
                )
            elif row.holder == self.holder or row.expires_at <= now:
                if row.holder != self.holder:
                    log.warning("taking over the scheduler lease that %s let expire", row.holder)
                    row.acquired_at = now
                row.holder = self.holder
                row.expires_at = now + self.ttl
            else:
                return False
        self._held = True
        return True

    def renew(self) -> bool:
        if not self._held:
            return False
        now = utcnow()
        with Session(self.engine) as session, session.begin():
            row = session.get(Lock, LOCK_NAME)
            if row is None or row.holder != self.holder:
                self._held = False
                return False
            row.expires_at = now + self.ttl
        return True

    def release(self) -> None:
        if not self._held:
            return
        with Session(self.engine) as session, session.begin():
            session.execute(delete(Lock).where(Lock.name == LOCK_NAME, Lock.holder == self.holder))
        self._held = False

    def current_holder(self) -> str:
        with Session(self.engine) as session:
            row = session.scalar(select(Lock).where(Lock.name == LOCK_NAME))
            if row is None or row.expires_at <= utcnow():
                return ""
            return row.holder


def scheduler_lock(engine: Engine, ttl: float = 30.0, holder: str | None = None) -> SchedulerLock:
    """The right lock for this database."""
    if engine.dialect.name == "postgresql":
        return AdvisoryLock(engine, holder)
    return LeaseLock(engine, holder, ttl)
