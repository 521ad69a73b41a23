"""The whole send through the outbox, with the null backend, on SQLite and PostgreSQL.

Timed: ``campaigns.start`` (the one-statement enqueue) and a worker draining
the campaign (claim, build the complete MIME message, hand it to the null
backend, record), with the default batch size. Not timed: creating the
audience. PostgreSQL: MAILER_BENCH_POSTGRES_URL (default
postgresql://postgres@127.0.0.1/mailer_bench, created if missing).
"""

from __future__ import annotations

import os
import statistics
import time

from sqlalchemy import func, select

from bench import _setup
from mailer.db import session_scope
from mailer.delivery import campaigns
from mailer.delivery.models import Campaign, Delivery, DeliveryStatus
from mailer.delivery.worker import Worker

TARGET = 10_000


def send_once(url: str, count: int) -> tuple[float, float, float]:
    """(messages/s overall, enqueue seconds, drain seconds) for one fresh campaign."""
    factory = _setup.prepare(url)
    settings = _setup.settings(url)
    list_id = _setup.audience(factory, count)
    campaign_id = _setup.campaign(factory, list_id, settings)
    started = time.perf_counter()
    with session_scope(factory) as session:
        c = session.get(Campaign, campaign_id)
        assert c is not None
        campaigns.start(session, c, actor="bench")
    enqueued = time.perf_counter()
    stats = Worker(factory, settings).run(once=True, campaign_id=campaign_id)
    done = time.perf_counter()
    with session_scope(factory) as session:
        sent = session.scalar(
            select(func.count())
            .select_from(Delivery)
            .where(Delivery.campaign_id == campaign_id, Delivery.status == DeliveryStatus.SENT)
        )
    assert stats.sent == count == sent, (stats.sent, count, sent)
    factory.kw["bind"].dispose()
    return count / (done - started), enqueued - started, done - enqueued


def main(quick: bool) -> None:
    count = 2_000 if quick else 10_000
    repeats = 1 if quick else 3
    targets = [("SQLite", _setup.sqlite_url)]
    targets.append(("PostgreSQL", _setup.postgres_url))
    for label, make_url in targets:
        runs = []
        try:
            for _ in range(repeats):
                runs.append(send_once(make_url(), count))
        except Exception as exc:  # PostgreSQL not running: say so, keep the other figures
            print(f"{label}: not measured ({type(exc).__name__}: {str(exc).splitlines()[0]})")
            continue
        load = " ".join(f"{x:.2f}" for x in os.getloadavg())
        rate = statistics.median(r[0] for r in runs)
        enqueue = statistics.median(r[1] for r in runs)
        drain = statistics.median(r[2] for r in runs)
        verdict = "met" if rate >= TARGET else "NOT met"
        print(
            f"{label}: {count:,} recipients, {rate:,.0f} messages/s, median of {len(runs)} "
            f"({', '.join(f'{r[0]:,.0f}' for r in runs)}; enqueue {enqueue * 1000:.0f} ms, "
            f"drain {drain:.2f} s; target >= {TARGET:,}/s {verdict}; load average {load})"
        )


if __name__ == "__main__":
    main(quick=False)
