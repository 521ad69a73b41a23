"""Worker liveness: who may still be sending the rows marked ``sending``.

Every running worker holds a lease, a row ``worker:<id>`` in the ``locks``
table whose ``holder`` is the worker's name (``host:pid:thread``), renewed by
a heartbeat thread every third of its time to live. The recovery rule, in
one sentence: **a row left ``sending`` is requeued only when the worker
named on it holds no live lease** -- its lease expired (a dead or cut-off
machine, after at most one lease time) or it ran on this very host and its
process no longer exists (a killed worker, found at once). A live worker,
however slow its server, keeps renewing its lease and keeps its rows.

A worker whose lease did lapse (the database was unreachable for longer than
the lease) may find its rows taken over when it comes back; ``record`` only
writes rows still ``sending`` under its own name, so the bookkeeping stays
right and the cost is at most that batch sent twice.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
import os
import socket
import threading

from sqlalchemy import delete, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session, sessionmaker

from mailer.db import Lock, session_scope, utcnow

log = logging.getLogger(__name__)

PREFIX = "worker:"
#: How long a lease lasts without renewal; the heartbeat renews it every third of this.
DEFAULT_TTL = dt.timedelta(seconds=30)


def lock_name(worker: str) -> str:
    # Lock names are short keys; the full worker name is the holder.
    return PREFIX + hashlib.sha1(worker.encode()).hexdigest()[:24]


def renew(session: Session, worker: str, ttl: dt.timedelta, now: dt.datetime | None = None) -> None:
    """Create or extend ``worker``'s lease (an upsert: one statement, no race)."""
    now = now or utcnow()
    insert = postgresql.insert if session.get_bind().dialect.name == "postgresql" else sqlite.insert
    stmt = insert(Lock).values(
        name=lock_name(worker), holder=worker[:200], acquired_at=now, expires_at=now + ttl
    )
    session.execute(
        stmt.on_conflict_do_update(
            index_elements=["name"], set_={"expires_at": stmt.excluded.expires_at}
        )
    )


def drop(session: Session, worker: str) -> None:
    session.execute(delete(Lock).where(Lock.name == lock_name(worker)))


def _process_gone(worker: str) -> bool:
    """True when ``worker`` ran on this host and its process no longer exists."""
    parts = worker.split(":")
    if len(parts) < 2 or parts[0] != socket.gethostname() or not parts[1].isdigit():
        return False
    pid = int(parts[1])
    if pid == os.getpid():
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    except PermissionError:  # alive, owned by someone else
        return False
    return False


def expire_dead_local(session: Session, now: dt.datetime | None = None) -> list[str]:
    """End the leases of this host's workers whose process is gone; returns their names."""
    now = now or utcnow()
    host = socket.gethostname() + ":"
    rows = session.execute(
        select(Lock.name, Lock.holder).where(
            Lock.name.startswith(PREFIX), Lock.holder.startswith(host), Lock.expires_at > now
        )
    ).all()
    dead = [holder for name, holder in rows if _process_gone(holder)]
    if dead:
        session.execute(
            update(Lock)
            .where(Lock.name.in_([lock_name(h) for h in dead]))
            .values(expires_at=now)
            .execution_options(synchronize_session=False)
        )
    return dead


def live_holders(now: dt.datetime) -> select:  # type: ignore[valid-type]
    """Names of workers holding a live lease (a subquery for the recovery rule)."""
    return select(Lock.holder).where(Lock.name.startswith(PREFIX), Lock.expires_at > now)


class Heartbeat:
    """Keeps one worker's lease alive from a daemon thread while the worker runs."""

    def __init__(
        self, session_factory: sessionmaker[Session], worker: str, ttl: dt.timedelta = DEFAULT_TTL
    ) -> None:
        self.session_factory = session_factory
        self.worker = worker
        self.ttl = ttl
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def beat(self) -> None:
        with session_scope(self.session_factory) as session:
            renew(session, self.worker, self.ttl)

    def __enter__(self) -> Heartbeat:
        self.beat()
        self._thread = threading.Thread(target=self._run, name="lease-heartbeat", daemon=True)
        self._thread.start()
        return self

    def _run(self) -> None:
        interval = self.ttl.total_seconds() / 3
        while not self._stop.wait(interval):
            try:
                self.beat()
            except Exception:  # a database hiccup: try again next beat, the lease has slack
                log.warning("could not renew the lease of %s", self.worker, exc_info=True)

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=10)
        try:
            with session_scope(self.session_factory) as session:
                drop(session, self.worker)
        except Exception:
            log.warning("could not drop the lease of %s", self.worker, exc_info=True)
