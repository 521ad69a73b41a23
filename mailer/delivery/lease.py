"""Worker liveness: who may still be sending the rows marked ``sending``.

Every running worker holds a lease, a row ``worker:<id>`` in the ``locks``
table whose ``holder`` is the worker's instance id (``host:pid:<random>``),
renewed by a heartbeat thread every third of its time to live. The rule, in
one sentence: **a worker is dead only when its lease has expired**; only then
are the rows marked ``sending`` under its id recovered.

Nothing is guessed from the host name or the process id in the instance id:
containers that share a host name (host networking, Kubernetes hostNetwork)
each have their own PID namespace, where another worker's pid looks dead, or
is a different process, or is the very same number. The random part makes
every instance id unique; host and pid are there for people reading logs.

A worker whose lease did lapse (the database was unreachable for longer than
the lease) may find its rows taken over when it comes back; ``record`` only
writes rows still ``sending`` under its own id, so the bookkeeping stays
right and the cost is at most that batch sent twice.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
import os
import secrets
import socket
import threading
from typing import Protocol

from sqlalchemy import Select, delete, select
from sqlalchemy.orm import Session

from mailer.db import Lock, insert_for, utcnow
from mailer.delivery import blips

log = logging.getLogger(__name__)

PREFIX = "worker:"
#: How long a lease lasts without renewal (MAILER_LEASE_SECONDS); renewed every third.
DEFAULT_TTL = dt.timedelta(seconds=30)


def instance_id() -> str:
    """A new worker's id: unique by its random part; host and pid only help people."""
    return f"{socket.gethostname()}:{os.getpid()}:{secrets.token_hex(6)}"


def lock_name(worker: str) -> str:
    # Lock names are short keys; the full instance id is the holder.
    return PREFIX + hashlib.sha1(worker.encode()).hexdigest()[:24]


def renew(session: Session, worker: str, ttl: dt.timedelta, now: dt.datetime | None = None) -> None:
    """Create or extend ``worker``'s lease (an upsert: one statement, no race)."""
    now = now or utcnow()
    stmt = insert_for(session)(Lock).values(
        name=lock_name(worker), holder=worker[:200], acquired_at=now, expires_at=now + ttl
    )
    session.execute(
        stmt.on_conflict_do_update(
            index_elements=["name"], set_={"expires_at": stmt.excluded.expires_at}
        )
    )


def drop(session: Session, worker: str) -> None:
    session.execute(delete(Lock).where(Lock.name == lock_name(worker)))


def live_holders(now: dt.datetime) -> Select[str]:
    """Instance ids holding a live lease (a subquery for the recovery rule)."""
    return select(Lock.holder).where(Lock.name.startswith(PREFIX), Lock.expires_at > now)


class LeaseKeeper(Protocol):
    """Where leases live (the outbox store): renewed and dropped by the heartbeat."""

    def renew_lease(self, worker: str, ttl: dt.timedelta) -> None: ...

    def drop_lease(self, worker: str) -> None: ...


class Heartbeat:
    """Keeps one worker's lease alive from a daemon thread while the worker runs."""

    def __init__(
        self,
        store: LeaseKeeper,
        worker: str,
        ttl: dt.timedelta = DEFAULT_TTL,
        stop: threading.Event | None = None,
    ) -> None:
        self.store = store
        self.worker = worker
        self.ttl = ttl
        self.stopping = stop or threading.Event()  # the worker's: gives up retrying
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def __enter__(self) -> Heartbeat:
        # A database that is down as the worker starts is weather too: the first
        # lease is waited for (with backoff) like every later step.
        blips.retrying(
            lambda: self.store.renew_lease(self.worker, self.ttl),
            self.stopping,
            f"taking the lease of {self.worker}",
        )
        self._thread = threading.Thread(target=self._run, name="lease-heartbeat", daemon=True)
        self._thread.start()
        return self

    def _run(self) -> None:
        interval = self.ttl.total_seconds() / 3
        while not self._stop.wait(interval):
            try:
                self.store.renew_lease(self.worker, self.ttl)
            except Exception:  # a database blip: try again next beat, the lease has slack
                log.warning("could not renew the lease of %s", self.worker, exc_info=True)

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=10)
        try:
            self.store.drop_lease(self.worker)
        except Exception:
            log.warning("could not drop the lease of %s", self.worker, exc_info=True)
