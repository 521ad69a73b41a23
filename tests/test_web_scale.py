"""The subscriber pages stay fast at 100,000 subscribers: keyset pages on the primary key."""

from __future__ import annotations

import statistics
import time

import pytest
from sqlalchemy import insert, select, text
from sqlalchemy.orm import Session, sessionmaker
from web_helpers import WebClient

from mailer.db import utcnow
from mailer.web.pagination import keyset_page, subscriber_search
from subscribers.models import Subscriber

pytest_plugins = ["web_fixtures"]

N = 100_000
CHUNK = 10_000


@pytest.fixture
def crowd(session_factory: sessionmaker[Session]) -> int:
    """100,000 subscribers inserted in bulk (executemany, not ORM objects)."""
    now = utcnow()
    with session_factory() as s:
        for start in range(0, N, CHUNK):
            s.execute(
                insert(Subscriber),
                [
                    {
                        "email": f"person{i:06d}@wustl.example",
                        "name": f"Person {i:06d}",
                        "attributes": {},
                        "status": "active",
                        "created_at": now,
                    }
                    for i in range(start, start + CHUNK)
                ],
            )
        s.commit()
        if s.get_bind().dialect.name == "postgresql":
            s.execute(text("ANALYZE subscribers"))
            s.commit()
    return N


def _best_of(fn, runs: int = 3) -> float:  # type: ignore[no-untyped-def]
    times = []
    for _ in range(runs):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def test_subscriber_pages_at_100k(
    crowd: int, session_factory: sessionmaker[Session], admin_client: WebClient
) -> None:
    """One seeding per database: the plan, the query timings, then the admin page itself."""
    with session_factory() as s:
        dialect = s.get_bind().dialect
        query = select(Subscriber).where(Subscriber.id > 90_000).order_by(Subscriber.id).limit(51)
        sql = str(query.compile(dialect=dialect, compile_kwargs={"literal_binds": True}))
        if dialect.name == "sqlite":
            plan = " ".join(str(row[-1]) for row in s.execute(text("EXPLAIN QUERY PLAN " + sql)))
            assert "USING INTEGER PRIMARY KEY" in plan, plan
        else:
            plan = " ".join(row[0] for row in s.execute(text("EXPLAIN " + sql)))
            assert "Index Scan using subscribers_pkey" in plan, plan
        assert "SCAN subscribers" not in plan and "Seq Scan" not in plan

        timings = {
            "first page": _best_of(lambda: keyset_page(s, select(Subscriber), Subscriber.id)),
            "deep page": _best_of(
                lambda: keyset_page(s, select(Subscriber), Subscriber.id, after=99_000)
            ),
            "page back": _best_of(
                lambda: keyset_page(s, select(Subscriber), Subscriber.id, before=60_000)
            ),
            "prefix search": _best_of(
                lambda: keyset_page(
                    s, subscriber_search(select(Subscriber), "person0999"), Subscriber.id
                )
            ),
            "search, no match": _best_of(
                lambda: keyset_page(
                    s, subscriber_search(select(Subscriber), "nobody"), Subscriber.id
                )
            ),
        }
        page = keyset_page(s, select(Subscriber), Subscriber.id, after=99_000)
    assert len(page.rows) == 50 and page.rows[0].id == 99_001
    print({k: f"{v * 1000:.1f} ms" for k, v in timings.items()})
    # Seeks take about a millisecond; even a full scan for a search that matches
    # nobody must stay well under a second on a shared 2-core machine.
    for name in ("first page", "deep page", "page back", "prefix search"):
        assert timings[name] < 0.25, (name, timings)
    assert timings["search, no match"] < 1.5, timings

    admin_client.get("/admin/subscribers/?after=99900")  # warm up
    t0 = time.perf_counter()
    r = admin_client.get("/admin/subscribers/?after=99900")
    elapsed = time.perf_counter() - t0
    page = r.get_data(as_text=True)
    assert "person099900@wustl.example" in page and "person099949@wustl.example" in page
    assert 'href="/admin/subscribers/?after=99950"' in page
    assert elapsed < 1.0, elapsed
