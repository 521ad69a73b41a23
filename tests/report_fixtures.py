"""A list with 90 days of history for the report pages: readers who joined from the form,
imports and the admin over the weeks, a few who left, two sends with their delivery log,
bounce and complaint records, and counted clicks; a failing source and a blocked edition."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy.orm import Session

from mailer.content.models import Source
from mailer.db import utcnow
from mailer.delivery.models import Campaign, Delivery
from mailer.feedback.clicks import Click
from subscribers.models import BounceRecord, MailingList, Subscriber, Subscription
from subscribers.service import unsubscribe

SOURCES = ("form", "import", "admin", "api")


@dataclass
class Seeded:
    list_id: int
    campaign_id: int
    older_id: int
    blocked_id: int


def seed_reports(s: Session, readers: int = 60) -> Seeded:
    now = utcnow()
    ml = MailingList(
        slug="odei-weekly",
        name="ODEI Weekly",
        track_clicks=True,
        timezone="America/Chicago",
    )
    s.add(ml)
    s.flush()
    people = []
    for i in range(readers):
        joined = now - dt.timedelta(days=(i * 89) // readers + 1)
        person = Subscriber(email=f"reader{i}@wustl.example", name=f"Reader {i}")
        s.add(person)
        s.flush()
        s.add(
            Subscription(
                subscriber_id=person.id,
                list_id=ml.id,
                status="confirmed",
                source=SOURCES[i % len(SOURCES)],
                created_at=joined,
                confirmed_at=joined,
            )
        )
        people.append(person)
    s.flush()
    ids = []
    for n, (key, days_ago, subject) in enumerate(
        (
            ("list-1:2027-W09", 20, "ODEI Weekly: Black History Month closes"),
            ("list-1:2027-W10", 6, '=HYPERLINK("http://evil.example") Women’s History Month'),
        )
    ):
        started = now - dt.timedelta(days=days_ago)
        c = Campaign(
            kind="digest",
            list_id=ml.id,
            edition_key=key,
            subject=subject,
            status="sent",
            started_at=started,
            finished_at=started + dt.timedelta(minutes=3),
        )
        s.add(c)
        s.flush()
        for i, person in enumerate(people):
            status, sent_at = "sent", started + dt.timedelta(seconds=i)
            if n == 1 and i == 0:
                status, sent_at = "failed", None
            s.add(
                Delivery(
                    campaign_id=c.id,
                    subscriber_id=person.id,
                    email=person.email,
                    status=status,
                    sent_at=sent_at,
                )
            )
        s.flush()
        ids.append(c.id)
    latest = s.query(Delivery).filter(Delivery.campaign_id == ids[1]).order_by(Delivery.id).all()
    # Two hard bounces and one complaint on the latest send; a click on each of two links.
    for d in latest[1:3]:
        d.status = "bounced"
        s.add(BounceRecord(address=d.email, kind="hard", status_code="5.1.1", delivery_id=d.id))
    s.add(BounceRecord(address=latest[3].email, kind="complaint", delivery_id=latest[3].id))
    for d, url in (
        (latest[4], "https://diversity.wustl.edu/womens-history-month"),
        (latest[4], "https://diversity.wustl.edu/womens-history-month"),
        (latest[5], "https://diversity.wustl.edu/womens-history-month"),
        (latest[5], "https://diversity.wustl.edu/events/grand-rounds"),
    ):
        s.add(
            Click(
                campaign_id=ids[1],
                url=url,
                delivery_id=d.id,
                subscriber_id=d.subscriber_id,
                clicked_at=now - dt.timedelta(days=5),
            )
        )
    unsubscribe(s, people[6].id, ml.id, via="one-click")
    blocked = Campaign(
        kind="digest",
        list_id=ml.id,
        edition_key="list-1:2027-W11",
        subject="ODEI Weekly: next week",
        status="blocked",
        status_reason="2 errors",
    )
    s.add(blocked)
    s.add(
        Source(
            kind="rss",
            name="School of Medicine news",
            url="https://medicine.wustl.example/feed",
            last_status="failing",
            last_error="HTTP 503 from medicine.wustl.example",
        )
    )
    s.commit()
    return Seeded(ml.id, ids[1], ids[0], blocked.id)
