"""The report pages' work at scale: one send's report, a list's 90-day health and the
overview, on SQLite with 100,000 readers and four sends of 100,000 deliveries each
(the delivery log is the report's source, so its size is what matters).

Timed as the console runs them (``mailer.reports`` and ``mailer.web.overview``),
medians of repeats, beside a bare ``COUNT(*)`` of one send's deliveries.
"""

from __future__ import annotations

import datetime as dt
import statistics
import tempfile
import time
from collections.abc import Callable

from sqlalchemy import func, insert, select

from mailer.config import Settings
from mailer.db import make_engine, make_sessionmaker, migrate, utcnow
from mailer.delivery.models import Campaign, Delivery
from mailer.reports.campaign import campaign_report
from mailer.reports.health import list_health
from mailer.web.overview import overview_data
from subscribers.models import MailingList, Subscriber, Subscription

TARGET = 1.0  # seconds for the overview at 100,000


def _median(fn: Callable[[], object], repeats: int) -> float:
    times = []
    for _ in range(repeats):
        started = time.perf_counter()
        fn()
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def main(quick: bool) -> None:
    readers = 20_000 if quick else 100_000
    url = f"sqlite:///{tempfile.mkdtemp(prefix='mailer-bench-')}/reports.db"
    migrate(url)
    factory = make_sessionmaker(make_engine(url))
    now = utcnow()
    with factory() as s:
        ml = MailingList(slug="odei-weekly", name="ODEI Weekly", timezone="America/Chicago")
        s.add(ml)
        s.flush()
        s.execute(
            insert(Subscriber),
            [{"email": f"reader{i}@example.org", "name": ""} for i in range(readers)],
        )
        # Most readers joined long ago; a year's trickle joins inside the window.
        s.execute(
            insert(Subscription),
            [
                {
                    "subscriber_id": i + 1,
                    "list_id": ml.id,
                    "status": "confirmed",
                    "source": ("form", "import", "admin")[i % 3],
                    "confirmed_at": now - dt.timedelta(days=(i * 7) % 720),
                }
                for i in range(readers)
            ],
        )
        for week in range(4):
            started = now - dt.timedelta(days=7 * week + 1)
            c = Campaign(
                kind="digest",
                list_id=ml.id,
                edition_key=f"list-1:W{week}",
                subject=f"ODEI Weekly {week}",
                status="sent",
                started_at=started,
            )
            s.add(c)
            s.flush()
            s.execute(
                insert(Delivery),
                [
                    {
                        "campaign_id": c.id,
                        "subscriber_id": i + 1,
                        "email": f"reader{i}@example.org",
                        "status": "sent",
                        "sent_at": started,
                    }
                    for i in range(readers)
                ],
            )
        s.commit()
        list_id, campaign_id = ml.id, c.id
    settings = Settings(database_url=url, secret_key="bench", base_url="https://news.example.org")
    repeats = 3 if quick else 5
    with factory() as s:
        ml = s.get(MailingList, list_id)
        assert ml is not None
        bare = _median(
            lambda: s.scalar(
                select(func.count(Delivery.id)).where(Delivery.campaign_id == campaign_id)
            ),
            repeats,
        )
        report = _median(lambda: campaign_report(s, campaign_id), repeats)
        health = _median(lambda: list_health(s, ml), repeats)
        overview = _median(lambda: overview_data(s, settings), repeats)
    print(f"SQLite, {readers:,} readers, 4 sends of {readers:,} deliveries:")
    print(f"  bare COUNT(*) of one send's deliveries: {bare * 1000:,.1f} ms")
    print(f"  one send's report:                      {report * 1000:,.1f} ms")
    print(f"  the list's 90-day health (4 sends):     {health * 1000:,.1f} ms")
    print(f"  the overview (1 list, 4 sends):         {overview * 1000:,.1f} ms")
    print(f"target: overview < {TARGET:.1f} s: {'met' if overview < TARGET else 'NOT met'}")


if __name__ == "__main__":
    main(quick=False)
