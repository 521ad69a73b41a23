"""The Subscribers console at 1,000,000 subscribers on PostgreSQL (target: every page under 200 ms).

Loads a million subscribers (realistic addresses over a few big and many small
domains, three lists, mixed states, sources and join dates) with COPY, builds the
indexes migration 0004_people makes (pg_trgm GIN on ``email_key`` and
``lower(name)``), then requests the pages through the real Flask app (test client,
logged in as an admin) and prints the median of several requests each: the first
page, a deep page, substring, domain and filtered searches, one person's page and
its edit form. `--quick` loads 100,000.

Uses its own database, ``<MAILER_BENCH_POSTGRES_URL>_console`` (emptied first).
"""

from __future__ import annotations

import datetime as dt
import json
import random
import re
import statistics
import time
from typing import Any

from sqlalchemy import text

from bench import _setup
from mailer.db import make_engine, normalise_url

FIRST = [
    "Ana",
    "Kofi",
    "Amara",
    "Lee",
    "Priya",
    "Mateo",
    "Aisha",
    "Wei",
    "Noah",
    "Zoe",
    "Jakayla",
    "Kwame",
    "Li",
    "Maria",
    "Omar",
    "Fatima",
    "Diego",
    "Sofia",
    "Yusuf",
    "Grace",
    "Hana",
    "Ravi",
    "Chen",
    "Olivia",
    "Samuel",
    "Nia",
    "Tariq",
    "Elena",
    "Jamal",
    "Mei",
]
LAST = [
    "Ruiz",
    "Mensah",
    "Diallo",
    "Jordan",
    "Patel",
    "Garcia",
    "Khan",
    "Chen",
    "Smith",
    "Okafor",
    "Nguyen",
    "Brown",
    "Osei",
    "Kim",
    "Gonzalez",
    "Williams",
    "Haddad",
    "Johnson",
    "Folarin",
    "Ahmed",
    "Lopez",
    "Davis",
    "Martin",
    "Clark",
    "Lewis",
    "Walker",
    "Young",
    "Allen",
    "Wright",
    "Scott",
    "Torres",
    "Hill",
    "Green",
    "Adams",
    "Baker",
    "Nelson",
    "Carter",
    "Mitchell",
    "Perez",
    "Roberts",
    "Turner",
    "Phillips",
    "Campbell",
    "Parker",
    "Evans",
    "Edwards",
    "Collins",
    "Stewart",
    "Sanchez",
    "Morris",
]
BIG_DOMAINS = [
    ("gmail.com", 0.30),
    ("wustl.edu", 0.22),
    ("yahoo.com", 0.08),
    ("outlook.com", 0.07),
    ("bjc.org", 0.06),
    ("hotmail.com", 0.04),
    ("icloud.com", 0.03),
]
SMALL_DOMAINS = [f"dept{n}.example.org" for n in range(3000)]
SOURCES = ["form", "import", "api", "admin"]
REPEATS = 7
TARGET_MS = 200.0


def console_url() -> str:
    plain = _setup.POSTGRES_URL.replace("postgresql+psycopg://", "postgresql://")
    base, _, name = plain.rpartition("/")
    return f"{base}/{name.split('?', 1)[0]}_console"


def _fresh_database(url: str) -> str:
    import psycopg

    base, _, name = url.rpartition("/")
    with psycopg.connect(f"{base}/postgres", autocommit=True, connect_timeout=5) as conn:
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone():
            conn.execute(f'CREATE DATABASE "{name}"')
    engine = make_engine(normalise_url(url))
    with engine.begin() as conn:
        conn.execute(text("DROP SCHEMA public CASCADE"))
        conn.execute(text("CREATE SCHEMA public"))
    engine.dispose()
    return normalise_url(url)


def _domain(rnd: random.Random) -> str:
    x = rnd.random()
    for name, share in BIG_DOMAINS:
        if x < share:
            return name
        x -= share
    return rnd.choice(SMALL_DOMAINS)


def load(url: str, count: int) -> None:
    """COPY ``count`` subscribers and their subscriptions into the migrated database."""
    import psycopg

    rnd = random.Random(1313)
    start = dt.datetime(2021, 1, 1, tzinfo=dt.UTC)
    span = (dt.datetime(2026, 11, 30, tzinfo=dt.UTC) - start).total_seconds()
    plain = url.replace("postgresql+psycopg://", "postgresql://")
    with psycopg.connect(plain) as conn:
        conn.execute(
            "INSERT INTO mailing_lists (id, slug, name, description, public, double_opt_in,"
            " from_name, from_email, reply_to, timezone, digest_weekday, digest_time,"
            " digest_enabled, archive, digest_title, created_at) VALUES"
            " (1, 'odei-weekly', 'ODEI Weekly', '', true, true, '', '', '', 'America/Chicago',"
            "  0, '07:00', true, true, '', now()),"
            " (2, 'grand-rounds', 'Diversity Grand Rounds', '', true, true, '', '', '',"
            "  'America/Chicago', 2, '08:00', true, true, '', now()),"
            " (3, 'staff-news', 'Staff News', '', false, false, '', '', '', 'America/Chicago',"
            "  4, '09:00', true, false, '', now())"
        )
        # Bulk load as a real one would: trigram indexes built once, after the rows.
        conn.execute("DROP INDEX ix_subscribers_email_trgm")
        conn.execute("DROP INDEX ix_subscribers_name_trgm")
        subs: list[tuple[Any, ...]] = []
        with conn.cursor().copy(
            "COPY subscribers (id, email, email_key, name, attributes, status, created_at)"
            " FROM STDIN"
        ) as copy:
            for i in range(1, count + 1):
                first, last = rnd.choice(FIRST), rnd.choice(LAST)
                email = f"{first.lower()}.{last.lower()}{i}@{_domain(rnd)}"
                joined = start + dt.timedelta(seconds=span * i / count)
                copy.write_row(
                    (i, email, email, f"{first} {last}", "{}", "active", joined.isoformat())
                )
                x = rnd.random()
                weekly = "confirmed" if x < 0.85 else "pending" if x < 0.95 else "unsubscribed"
                subs.append((i, 1, weekly, rnd.choice(SOURCES), joined.isoformat()))
                if rnd.random() < 0.3:
                    subs.append((i, 2, "confirmed", rnd.choice(SOURCES), joined.isoformat()))
                if rnd.random() < 0.05:
                    subs.append((i, 3, "confirmed", "admin", joined.isoformat()))
        with conn.cursor().copy(
            "COPY subscriptions (subscriber_id, list_id, status, source, created_at, consent_ip)"
            " FROM STDIN"
        ) as copy:
            for row in subs:
                copy.write_row((*row, ""))
        conn.execute("SELECT setval('subscribers_id_seq', %s)", (count,))
        conn.execute(
            "CREATE INDEX ix_subscribers_email_trgm ON subscribers"
            " USING gin (email_key gin_trgm_ops)"
        )
        conn.execute(
            "CREATE INDEX ix_subscribers_name_trgm ON subscribers"
            " USING gin (lower(name) gin_trgm_ops)"
        )
        conn.commit()
    with psycopg.connect(plain, autocommit=True) as conn:
        conn.execute("VACUUM ANALYZE subscribers")
        conn.execute("VACUUM ANALYZE subscriptions")


def _client(url: str) -> Any:
    from mailer import auth
    from mailer.db import make_sessionmaker
    from mailer.web import create_app

    factory = make_sessionmaker(make_engine(url))
    with factory() as s:
        auth.create_user(s, "ada.admin@example.org", "bench-password-1", "admin", "Ada")
        s.commit()
    app = create_app(_setup.settings(url, base_url="http://localhost"))
    client = app.test_client()
    page = client.get("/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page) or re.search(
        r'name="csrf_token" value="([^"]+)"', page
    )
    assert token is not None
    r = client.post(
        "/login",
        data={
            "csrf_token": token.group(1),
            "email": "ada.admin@example.org",
            "password": "bench-password-1",
        },
    )
    assert r.status_code == 302, r.status_code
    return client


def _time(client: Any, path: str) -> tuple[float, str]:
    client.get(path)  # warm: the first request plans and caches
    times = []
    body = ""
    for _ in range(REPEATS):
        t0 = time.perf_counter()
        r = client.get(path)
        times.append((time.perf_counter() - t0) * 1000)
        assert r.status_code == 200, (path, r.status_code)
        body = r.get_data(as_text=True)
    return statistics.median(times), body


def _total(body: str) -> str:
    m = re.search(r'data-field="total">\s*([^<]*?)\s*(?:\(counting|\.)', body)
    return m.group(1) if m else "?"


def main(quick: bool) -> None:
    count = 100_000 if quick else 1_000_000
    try:
        url = _fresh_database(console_url())
    except Exception as exc:
        print(f"skipped: PostgreSQL not reachable at {console_url()} ({exc})")
        return
    _setup.prepare(url)
    t0 = time.perf_counter()
    load(url, count)
    print(
        f"loaded {count:,} subscribers with COPY and built the indexes"
        f" in {time.perf_counter() - t0:.1f} s"
    )
    client = _client(url)
    person = count // 2
    pages = [
        ("first page", "/admin/subscribers/"),
        ("page deep in the table", f"/admin/subscribers/?after={count * 3 // 4}"),
        ("previous page", f"/admin/subscribers/?before={count // 3}"),
        ("substring: smith", "/admin/subscribers/?q=smith"),
        ("substring, rare: okafor12345", "/admin/subscribers/?q=okafor12345"),
        ("name: Kwame Osei", "/admin/subscribers/?q=kwame+osei"),
        ("domain: @gmail.com", "/admin/subscribers/?q=%40gmail.com"),
        ("domain, small: @dept17.example.org", "/admin/subscribers/?q=%40dept17.example.org"),
        (
            "filtered: smith on weekly, pending",
            "/admin/subscribers/?q=smith&list=odei-weekly&status=pending",
        ),
        (
            "filtered: grand rounds, source api, joined 2024",
            "/admin/subscribers/?list=grand-rounds&source=api&joined_from=2024-01-01"
            "&joined_to=2024-12-31",
        ),
        ("filtered: staff news, @wustl.edu", "/admin/subscribers/?list=staff-news&q=%40wustl.edu"),
        ("one subscriber", f"/admin/subscribers/{person}"),
        ("edit one subscriber", f"/admin/subscribers/{person}/edit"),
    ]
    results = []
    print(f"{'page':52} {'median ms':>10}  total shown")
    for label, path in pages:
        ms, body = _time(client, path)
        results.append((label, ms))
        shown = (
            _total(body)
            if "/edit" not in path and not path.rstrip("/").split("/")[-1].isdigit()
            else ""
        )
        print(f"{label:52} {ms:10.1f}  {shown}", flush=True)
    worst = max(results, key=lambda r: r[1])
    verdict = "under" if worst[1] < TARGET_MS else "OVER"
    print(
        f"slowest: {worst[0]} at {worst[1]:.1f} ms, {verdict} the {TARGET_MS:.0f} ms target "
        f"({count:,} subscribers, median of {REPEATS})"
    )
    print(json.dumps({label: round(ms, 1) for label, ms in results}))
