"""The outbox on SQLite and PostgreSQL: enqueue once, claim safely, record every fate."""

from __future__ import annotations

import datetime as dt
import mailbox
from pathlib import Path

from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from mailer.config import Settings
from mailer.db import utcnow
from mailer.delivery import campaigns, outbox
from mailer.delivery.backends.base import Outcome, SendResult
from mailer.delivery.models import Campaign, CampaignStatus, Delivery, DeliveryStatus
from mailer.delivery.worker import Worker
from subscribers.models import Subscription, SubscriptionStatus, Suppression
from tests.helpers import make_campaign, make_list, make_subscribers


def _statuses(session: Session, campaign_id: int) -> dict[str, int]:
    return dict(
        session.execute(
            select(Delivery.status, func.count())
            .where(Delivery.campaign_id == campaign_id)
            .group_by(Delivery.status)
        ).all()
    )


def test_enqueue_takes_only_confirmed_unsuppressed_and_never_twice(session: Session) -> None:
    ml = make_list(session)
    confirmed = make_subscribers(session, ml, 5)
    make_subscribers(session, ml, 2, status=SubscriptionStatus.PENDING, prefix="pending")
    make_subscribers(session, ml, 1, status=SubscriptionStatus.UNSUBSCRIBED, prefix="gone")
    session.add(Suppression(address=confirmed[0].email, reason="hard_bounce"))
    other = make_list(session, "other")
    make_subscribers(session, other, 3, prefix="other")
    c = make_campaign(session, ml)
    assert outbox.enqueue(session, c) == 4
    assert outbox.enqueue(session, c) == 0
    session.commit()
    assert c.total_count == 4
    emails = set(session.scalars(select(Delivery.email).where(Delivery.campaign_id == c.id)))
    assert emails == {p.email for p in confirmed[1:]}


def test_claim_skips_people_who_left_after_enqueue(session: Session) -> None:
    ml = make_list(session)
    people = make_subscribers(session, ml, 4)
    c = make_campaign(session, ml)
    campaigns.start(session, c)
    session.commit()
    sub = session.scalar(select(Subscription).where(Subscription.subscriber_id == people[1].id))
    assert sub is not None
    sub.status = SubscriptionStatus.UNSUBSCRIBED
    session.add(Suppression(address=people[2].email, reason="complaint"))
    session.commit()
    claimed = outbox.claim(session, c.id, 10, "w1")
    session.commit()
    assert [x.subscriber_id for x in claimed] == [people[0].id, people[3].id]
    assert _statuses(session, c.id) == {"sending": 2, "skipped": 2}


def test_record_retries_transient_and_fails_permanent(session: Session) -> None:
    ml = make_list(session)
    make_subscribers(session, ml, 4)
    c = make_campaign(session, ml)
    campaigns.start(session, c)
    claimed = outbox.claim(session, c.id, 10, "w1")
    ids = [x.delivery_id for x in claimed]
    results = [
        SendResult(ids[0], Outcome.SENT),
        SendResult(ids[1], Outcome.TRANSIENT, "421 try later", retry_after=120),
        SendResult(ids[2], Outcome.PERMANENT, "550 5.7.1 rejected"),
        SendResult(ids[3], Outcome.HARD_BOUNCE, "550 5.1.1 no such user"),
    ]
    now = utcnow()
    sent, failed, _ = outbox.record_batch(
        session, c.id, results, {ids[0]: "<m@x>"}, {i: 1 for i in ids}, 5, now=now
    )
    session.commit()
    assert (sent, failed) == (1, 2)
    retry = session.get(Delivery, ids[1])
    assert retry is not None and retry.status == DeliveryStatus.QUEUED
    assert retry.next_attempt_at is not None
    assert retry.next_attempt_at >= now + dt.timedelta(seconds=120)
    bounced = session.get(Delivery, ids[3])
    assert bounced is not None and bounced.status == DeliveryStatus.BOUNCED
    assert session.scalar(select(Suppression).where(Suppression.address == bounced.email))
    session.refresh(c)
    assert (c.sent_count, c.failed_count) == (1, 2)


def test_stale_sending_rows_are_requeued(session: Session) -> None:
    ml = make_list(session)
    make_subscribers(session, ml, 3)
    c = make_campaign(session, ml)
    campaigns.start(session, c)
    outbox.claim(session, c.id, 2, "dead-worker", now=utcnow() - dt.timedelta(hours=1))
    session.commit()
    assert outbox.recover_orphans(session).requeued == 2
    session.commit()
    assert _statuses(session, c.id) == {"queued": 3}


def test_worker_delivers_everyone_once_and_finishes(
    session_factory: sessionmaker[Session], settings: Settings, outbox: Path
) -> None:
    with session_factory() as session:
        ml = make_list(session)
        make_subscribers(session, ml, 23)
        c = make_campaign(session, ml)
        campaigns.start(session, c)
        session.commit()
        cid = c.id
    stats = Worker(session_factory, settings.replace(batch_size=5)).run(once=True)
    assert stats.sent == 23 and stats.batches == 5
    with session_factory() as session:
        c2 = session.get(Campaign, cid)
        assert c2 is not None and c2.status == CampaignStatus.SENT and c2.sent_count == 23
    box = mailbox.Maildir(outbox, create=False)
    assert sorted(m["To"] for m in box) == sorted(
        f"Reader {i} <reader{i}@example.org>" for i in range(23)
    )


def test_paused_campaign_stops_within_a_batch(
    session_factory: sessionmaker[Session], settings: Settings
) -> None:
    with session_factory() as session:
        ml = make_list(session)
        make_subscribers(session, ml, 10)
        c = make_campaign(session, ml)
        campaigns.start(session, c)
        session.commit()
        cid = c.id
    worker = Worker(session_factory, settings.replace(batch_size=3))

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
        camp = session.get(Campaign, cid)
        assert camp is not None
        campaigns.resume(session, camp)
        session.commit()
    assert Worker(session_factory, settings).run(once=True).sent == 7


def test_a_batch_of_people_who_all_left_does_not_end_the_send(
    session_factory: sessionmaker[Session], settings: Settings, outbox: Path
) -> None:
    with session_factory() as session:
        ml = make_list(session)
        people = make_subscribers(session, ml, 3)
        c = make_campaign(session, ml)
        campaigns.start(session, c)
        session.commit()
        session.add(Suppression(address=people[0].email, reason="complaint"))
        session.commit()
        cid = c.id
    stats = Worker(session_factory, settings.replace(batch_size=1)).run(once=True)
    assert stats.sent == 2
    with session_factory() as session:
        assert _statuses(session, cid) == {"skipped": 1, "sent": 2}
        camp = session.get(Campaign, cid)
        assert camp is not None and camp.status == CampaignStatus.SENT
