"""Worker liveness: a dead worker's rows come back, a live slow worker's rows stay."""

from __future__ import annotations

import datetime as dt
import socket
import subprocess
import sys
import time

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from mailer.db import Lock, utcnow
from mailer.delivery import lease, outbox
from mailer.delivery.backends.base import Outcome, SendResult
from mailer.delivery.models import Delivery
from mailer.delivery.sqlstore import SqlOutboxStore
from tests.delivery_fixtures import statuses
from tests.helpers import started_campaign

HOUR = dt.timedelta(hours=1)


def _started(session: Session, count: int = 4) -> int:
    return started_campaign(session, count)


def test_rows_of_a_live_worker_on_another_machine_stay_until_its_lease_expires(
    session: Session,
) -> None:
    cid = _started(session)
    other = "mail-2.example.org:4242:1"
    lease.renew(session, other, HOUR)
    outbox.claim(session, cid, 3, other)
    session.commit()
    assert outbox.recover_orphans(session).requeued == 0
    session.commit()
    assert statuses(session, cid) == {"sending": 3, "queued": 1}
    # Its lease lapses (the machine died or lost the database for longer than the lease).
    lease.renew(session, other, dt.timedelta(seconds=30), now=utcnow() - HOUR)
    session.commit()
    assert outbox.recover_orphans(session).requeued == 3
    session.commit()
    assert statuses(session, cid) == {"queued": 4}


def test_only_the_lease_decides_never_a_pid_on_this_host(session: Session) -> None:
    """A worker in another PID namespace on this host (a container with host networking)
    names a pid that does not exist here, or is another process: its rows stay while
    its lease lives, and come back once the lease has expired."""
    cid = _started(session)
    gone = subprocess.Popen([sys.executable, "-c", "pass"])
    gone.wait()  # a pid that no longer exists in this namespace
    holder = f"{socket.gethostname()}:{gone.pid}:{lease.instance_id().rsplit(':', 1)[1]}"
    lease.renew(session, holder, HOUR)
    outbox.claim(session, cid, 2, holder)
    session.commit()
    assert outbox.recover_orphans(session).requeued == 0
    session.commit()
    assert statuses(session, cid) == {"sending": 2, "queued": 2}
    lease.renew(session, holder, dt.timedelta(seconds=1), now=utcnow() - HOUR)
    session.commit()
    assert outbox.recover_orphans(session).requeued == 2
    session.commit()
    assert statuses(session, cid) == {"queued": 4}


def test_instance_ids_are_unique_in_one_process() -> None:
    assert len({lease.instance_id() for _ in range(100)}) == 100


def test_a_worker_whose_rows_were_taken_over_cannot_overwrite_them(session: Session) -> None:
    cid = _started(session, 2)
    first = outbox.claim(session, cid, 2, "old-host:1:1")
    session.commit()
    assert outbox.recover_orphans(session).requeued == 2  # no lease: presumed dead
    second = outbox.claim(session, cid, 2, "new-host:2:1")
    session.commit()
    ids = [c.delivery_id for c in first]
    assert ids == [c.delivery_id for c in second]
    late = [SendResult(i, Outcome.PERMANENT, "550 late answer") for i in ids]
    tries = {i: 1 for i in ids}
    assert outbox.record_batch(session, cid, late, {}, tries, 5, worker="old-host:1:1")[:2] == (
        0,
        0,
    )
    session.commit()
    assert statuses(session, cid) == {"sending": 2}  # the stale answer changed nothing
    ok = [SendResult(i, Outcome.SENT) for i in ids]
    assert outbox.record_batch(session, cid, ok, {}, tries, 5, worker="new-host:2:1")[:2] == (2, 0)
    session.commit()
    assert statuses(session, cid) == {"sent": 2}
    assert all(d.sent_at for d in session.scalars(select(Delivery)))


def test_heartbeat_keeps_the_lease_alive_and_drops_it_on_exit(
    session_factory: sessionmaker[Session],
) -> None:
    name = "mail-3.example.org:7:1"
    with lease.Heartbeat(SqlOutboxStore(session_factory), name, dt.timedelta(seconds=0.6)):
        time.sleep(1.0)  # longer than the lease: only renewals keep it alive
        with session_factory() as session:
            live = session.scalars(lease.live_holders(utcnow())).all()
        assert name in live
    with session_factory() as session:
        assert session.scalar(select(Lock).where(Lock.holder == name)) is None
