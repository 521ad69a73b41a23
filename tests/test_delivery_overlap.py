"""Recording one batch while the next is claimed (PostgreSQL) changes no outcome.

On PostgreSQL the worker writes a batch's results on a second connection
while it claims and builds the next batch, and reads the campaign's state
again before handing that batch over. These tests pin the outcomes on both
databases (SQLite records in line): a cancel or pause that lands after a
batch is recorded stops the next one, whose rows are skipped (cancel) or
back in the queue with their attempt given back (pause); counts and the
send log stay exact.
"""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from mailer.config import Settings
from mailer.delivery import campaigns
from mailer.delivery.models import Campaign, CampaignStatus, Delivery, DeliveryStatus
from mailer.delivery.worker import Worker
from tests.helpers import started_campaign


def _statuses(session: Session, campaign_id: int) -> dict[str, int]:
    return dict(
        session.execute(
            select(Delivery.status, func.count())
            .where(Delivery.campaign_id == campaign_id)
            .group_by(Delivery.status)
        ).all()
    )


def _started(session_factory: sessionmaker[Session], people: int) -> int:
    with session_factory() as session:
        return started_campaign(session, people)


def test_a_cancel_after_the_first_batch_skips_the_rest(
    session_factory: sessionmaker[Session], settings: Settings
) -> None:
    cid = _started(session_factory, 10)
    worker = Worker(session_factory, settings.replace(batch_size=3, backend="null:"))

    def cancel_after_first(campaign_id: int, sent: int, failed: int) -> None:
        with session_factory() as s:
            camp = s.get(Campaign, campaign_id)
            assert camp is not None
            if camp.status == CampaignStatus.SENDING:
                campaigns.cancel(s, camp, "test", "wrong list")
                s.commit()

    worker.progress = cancel_after_first
    assert worker.run(once=True).sent == 3
    with session_factory() as session:
        assert _statuses(session, cid) == {"sent": 3, "skipped": 7}
        camp = session.get(Campaign, cid)
        assert camp is not None
        assert camp.status == CampaignStatus.CANCELLED
        assert (camp.sent_count, camp.skipped_count) == (3, 7)


def test_a_pause_after_the_first_batch_gives_the_claimed_batch_back(
    session_factory: sessionmaker[Session], settings: Settings
) -> None:
    cid = _started(session_factory, 10)
    worker = Worker(session_factory, settings.replace(batch_size=3, backend="null:"))

    def pause_after_first(campaign_id: int, sent: int, failed: int) -> None:
        with session_factory() as s:
            camp = s.get(Campaign, campaign_id)
            assert camp is not None
            if camp.status == CampaignStatus.SENDING:
                campaigns.pause(s, camp, "operator")
                s.commit()

    worker.progress = pause_after_first
    assert worker.run(once=True).sent == 3
    with session_factory() as session:
        assert _statuses(session, cid) == {"sent": 3, "queued": 7}
        # Nobody but the sent had an attempt counted: the released batch got its back.
        attempts = session.scalars(
            select(Delivery.attempts).where(
                Delivery.campaign_id == cid, Delivery.status == DeliveryStatus.QUEUED
            )
        ).all()
        assert set(attempts) == {0}
        camp = session.get(Campaign, cid)
        assert camp is not None
        campaigns.resume(session, camp)
        session.commit()
    resumed = Worker(session_factory, settings.replace(batch_size=3, backend="null:"))
    assert resumed.run(once=True).sent == 7
    with session_factory() as session:
        assert _statuses(session, cid) == {"sent": 10}
        camp = session.get(Campaign, cid)
        assert camp is not None
        assert (camp.status, camp.sent_count) == (CampaignStatus.SENT, 10)


def test_every_batch_is_counted_once_when_the_send_ends(
    session_factory: sessionmaker[Session], settings: Settings
) -> None:
    cid = _started(session_factory, 23)
    batches: list[int] = []
    worker = Worker(session_factory, settings.replace(batch_size=5, backend="null:"))
    worker.progress = lambda campaign_id, sent, failed: batches.append(sent)
    stats = worker.run(once=True)
    assert (stats.sent, stats.batches, batches) == (23, 5, [5, 5, 5, 5, 3])
    with session_factory() as session:
        camp = session.get(Campaign, cid)
        assert camp is not None
        assert (camp.status, camp.sent_count, camp.failed_count) == (CampaignStatus.SENT, 23, 0)
        assert _statuses(session, cid) == {"sent": 23}


def test_while_a_worker_runs_a_waiting_sender_gets_the_gil_within_half_a_millisecond(
    session_factory: sessionmaker[Session], settings: Settings
) -> None:
    """The sender thread waits on SMTP replies while this thread builds; with Python's
    5 ms switch interval each reply then waited up to 5 ms for the GIL (issue 16)."""
    import sys

    from mailer.delivery.backends.base import Outcome, OutgoingMessage, SendResult

    seen: list[float] = []

    class Watching:
        name = "watching"
        max_batch = 1000

        def open(self) -> None:
            pass

        def close(self) -> None:
            pass

        def send(self, messages: list[OutgoingMessage]) -> list[SendResult]:
            seen.append(sys.getswitchinterval())
            return [SendResult(m.delivery_id, Outcome.SENT, "250 OK") for m in messages]

    before = sys.getswitchinterval()
    _started(session_factory, 6)
    worker = Worker(session_factory, settings.replace(batch_size=2), backend=Watching())
    assert worker.run(once=True).sent == 6
    assert seen and max(seen) <= 0.0005
    assert sys.getswitchinterval() == before  # given back when the worker stops
