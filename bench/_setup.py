"""Databases and audiences for the send benchmarks (set-based, so setup stays quick)."""

from __future__ import annotations

import functools
import os
import subprocess
import sys
import tempfile
from pathlib import Path

from sqlalchemy import insert, text
from sqlalchemy.orm import Session, sessionmaker

from mailer.config import Settings
from mailer.db import make_engine, make_sessionmaker, migrate, normalise_url
from mailer.delivery.models import Campaign, CampaignKind, CampaignStatus
from subscribers.models import MailingList, Subscriber, Subscription, SubscriptionStatus

POSTGRES_URL = os.environ.get(
    "MAILER_BENCH_POSTGRES_URL", "postgresql://postgres@127.0.0.1/mailer_bench"
)


@functools.cache
def command_env() -> dict[str, str]:
    """The environment for timing a ``mailer`` command as an installed package runs.

    pip compiles a package's bytecode when it installs it, and Python caches
    it for an editable install on first use; a shell that sets
    PYTHONDONTWRITEBYTECODE (as this sandbox does) would make every timed
    command compile each of our modules from source again (0.1-0.2 s of CPU
    on this machine). So the timed commands keep their bytecode in a cache
    of their own, filled here once, outside any timing.
    """
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    env["PYTHONPYCACHEPREFIX"] = str(Path(tempfile.gettempdir()) / "mailer-bench-pycache")
    root = Path(__file__).resolve().parents[1]
    subprocess.run(
        [sys.executable, "-m", "compileall", "-q", str(root / "mailer"), str(root / "subscribers")],
        env=env,
        check=True,
        stdout=subprocess.DEVNULL,
    )
    return env


def sqlite_url(folder: str | None = None) -> str:
    folder = folder or tempfile.mkdtemp(prefix="mailer-bench-")
    return f"sqlite:///{Path(folder) / 'bench.db'}"


def postgres_url() -> str:
    """The bench database, created on first use and emptied; raises if PostgreSQL is down."""
    import psycopg

    url = normalise_url(POSTGRES_URL)
    plain = POSTGRES_URL.replace("postgresql+psycopg://", "postgresql://")
    base, _, name = plain.rpartition("/")
    name = name.split("?", 1)[0]
    with psycopg.connect(f"{base}/postgres", autocommit=True, connect_timeout=5) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone()
        if not exists:
            conn.execute(f'CREATE DATABASE "{name}"')
    engine = make_engine(url)
    with engine.begin() as conn:
        conn.execute(text("DROP SCHEMA public CASCADE"))
        conn.execute(text("CREATE SCHEMA public"))
    engine.dispose()
    return url


def prepare(url: str) -> sessionmaker[Session]:
    migrate(url)
    return make_sessionmaker(make_engine(url))


def audience(factory: sessionmaker[Session], count: int, chunk: int = 10_000) -> int:
    """A list with ``count`` confirmed subscribers, inserted in chunks; returns the list id."""
    with factory() as session:
        ml = MailingList(slug="odei-weekly", name="ODEI Weekly")
        session.add(ml)
        session.flush()
        list_id = ml.id
        for start in range(0, count, chunk):
            rows = [
                {"email": f"reader{i}@example.org", "name": f"Reader {i}", "attributes": {}}
                for i in range(start, min(count, start + chunk))
            ]
            ids = session.scalars(insert(Subscriber).returning(Subscriber.id), rows).all()
            session.execute(
                insert(Subscription),
                [
                    {
                        "subscriber_id": sid,
                        "list_id": list_id,
                        "status": SubscriptionStatus.CONFIRMED,
                    }
                    for sid in ids
                ],
            )
        session.commit()
    if factory.kw["bind"].dialect.name == "postgresql":
        # What autovacuum does after an import; the send's queries are planned with it.
        with factory.kw["bind"].connect() as conn:
            conn.execute(text("ANALYZE subscribers"))
            conn.execute(text("ANALYZE subscriptions"))
            conn.commit()
    return list_id


def campaign(factory: sessionmaker[Session], list_id: int, settings: Settings) -> int:
    """A draft digest carrying the build benchmark's realistic ~60-80 KB edition."""
    from bench.bench_build import realistic_edition

    _, snapshot = realistic_edition()
    with factory() as session:
        c = Campaign(
            kind=CampaignKind.DIGEST,
            list_id=list_id,
            edition_key="odei-weekly:2027-W10",
            subject=snapshot.subject,
            preheader=snapshot.preheader,
            html=snapshot.html,
            text=snapshot.text,
            status=CampaignStatus.DRAFT,
        )
        session.add(c)
        session.commit()
        return c.id


def settings(url: str, **changes: object) -> Settings:
    return Settings(
        database_url=url,
        backend="null:",
        secret_key="bench-secret-key",
        base_url="https://news.example.org",
    ).replace(**changes)
