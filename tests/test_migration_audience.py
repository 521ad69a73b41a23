"""Migration 0003_audience on a database that already holds case-variant duplicates.

The schema is built at the revision just before it, filled the way the old, case-sensitive
code filled it, and upgraded to head: on SQLite, and on PostgreSQL in a
schema of its own (so the shared, migrated test schema is left alone).
"""

from __future__ import annotations

import datetime as dt
import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from alembic import command
from alembic.script import ScriptDirectory
from sqlalchemy.exc import IntegrityError

from mailer.db import UTCDateTime, alembic_config, make_engine, migrate, normalise_url
from mailer.delivery.models import Campaign, Delivery
from mailer.models import AuditLog
from subscribers.models import MailingList, Subscription, Suppression

POSTGRES_URL = os.environ.get("MAILER_TEST_POSTGRES_URL", "")
SCHEMA = "mig0003_audience"
# The revision this migration upgrades from: other migrations may come before it.
BEFORE = str(
    ScriptDirectory.from_config(alembic_config("sqlite://"))
    .get_revision("0003_audience")
    .down_revision
)

OLD_SUBSCRIBERS = sa.table(
    "subscribers",
    sa.column("id", sa.Integer),
    sa.column("email", sa.String),
    sa.column("name", sa.String),
    sa.column("attributes", sa.JSON),
    sa.column("status", sa.String),
    sa.column("created_at", UTCDateTime()),
    sa.column("confirmed_at", UTCDateTime()),
)
OLD_BOUNCES = sa.table(
    "bounce_records",
    sa.column("address", sa.String),
    sa.column("kind", sa.String),
    sa.column("status_code", sa.String),
    sa.column("diagnostic", sa.Text),
    sa.column("source", sa.String),
    sa.column("received_at", UTCDateTime()),
)


def at(year: int) -> dt.datetime:
    return dt.datetime(year, 3, 1, tzinfo=dt.UTC)


@pytest.fixture(params=["sqlite", "postgresql"])
def old_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path}/old.db"
        return
    if not POSTGRES_URL:
        pytest.skip("PostgreSQL not configured: set MAILER_TEST_POSTGRES_URL to run these")
    base = normalise_url(POSTGRES_URL)
    admin = make_engine(base)
    with admin.begin() as conn:
        conn.execute(sa.text(f"DROP SCHEMA IF EXISTS {SCHEMA} CASCADE"))
        conn.execute(sa.text(f"CREATE SCHEMA {SCHEMA}"))
    yield f"{base}?options=-csearch_path%3D{SCHEMA}"
    with admin.begin() as conn:
        conn.execute(sa.text(f"DROP SCHEMA IF EXISTS {SCHEMA} CASCADE"))
    admin.dispose()


def old_table(conn: sa.Connection, model: Any) -> sa.Table:
    """The model's table cut down to the columns the old schema has.

    Later migrations add columns (with Python-side defaults) that an insert through
    the model would name, and the database at the old revision does not have.
    """
    present = {c["name"] for c in sa.inspect(conn).get_columns(model.__tablename__)}
    columns = [c._copy() for c in model.__table__.columns if c.name in present]
    return sa.Table(model.__tablename__, sa.MetaData(), *columns)


def _fill(conn: sa.Connection) -> dict[str, Any]:
    """What the old code let in: three spellings of Grace, each with its own history."""
    ids = {}
    lists, subscriptions, campaigns, deliveries, suppressions = (
        old_table(conn, m) for m in (MailingList, Subscription, Campaign, Delivery, Suppression)
    )
    for slug in ("weekly", "events", "rounds"):
        ids[slug] = conn.execute(
            sa.insert(lists).values(slug=slug, name=slug.title()).returning(lists.c.id)
        ).scalar_one()
    people = [
        ("Grace.Hopper@example.org", "Grace Hopper", {"division": "Medicine"}, 2020),
        ("grace.hopper@example.org", "", {"phone": "555"}, 2021),
        ("GRACE.HOPPER@example.org", "G. Hopper", {}, 2022),
        ("ada@example.org", "Ada\r\nLovelace", {}, 2020),
    ]
    for email, name, attrs, year in people:
        ids[email] = conn.execute(
            sa.insert(OLD_SUBSCRIBERS)
            .values(
                email=email,
                name=name,
                attributes=attrs,
                status="active",
                created_at=at(year),
                confirmed_at=at(year),
            )
            .returning(OLD_SUBSCRIBERS.c.id)
        ).scalar_one()
    first, second, third = (
        ids["Grace.Hopper@example.org"],
        ids["grace.hopper@example.org"],
        ids["GRACE.HOPPER@example.org"],
    )
    subs = [
        (first, "weekly", "confirmed"),
        (second, "weekly", "unsubscribed"),  # left from this spelling: must hold
        (third, "events", "pending"),
        (first, "rounds", "confirmed"),
        (third, "rounds", "confirmed"),
        (ids["ada@example.org"], "weekly", "confirmed"),
    ]
    for subscriber_id, slug, status in subs:
        conn.execute(
            sa.insert(subscriptions).values(
                subscriber_id=subscriber_id,
                list_id=ids[slug],
                status=status,
                created_at=at(2022),
                unsubscribed_at=at(2023) if status == "unsubscribed" else None,
            )
        )
    one, two = (
        conn.execute(
            sa.insert(campaigns)
            .values(kind="digest", list_id=ids["weekly"], edition_key=key)
            .returning(campaigns.c.id)
        ).scalar_one()
        for key in ("weekly:2024-W01", "weekly:2024-W02")
    )
    for campaign, subscriber_id, email, name, status in [
        (one, second, "grace.hopper@example.org", "", "sent"),
        (two, first, "Grace.Hopper@example.org", "Grace Hopper", "sent"),
        (two, third, "GRACE.HOPPER@example.org", "G. Hopper", "sent"),
        (two, ids["ada@example.org"], "ada@example.org", "Ada\r\nLovelace", "queued"),
    ]:
        conn.execute(
            sa.insert(deliveries).values(
                campaign_id=campaign,
                subscriber_id=subscriber_id,
                email=email,
                name=name,
                status=status,
            )
        )
    conn.execute(
        sa.insert(suppressions),
        [
            {"address": "GRACE.HOPPER@EXAMPLE.ORG", "reason": "manual", "note": "asked by phone"},
            {"address": "grace.hopper@example.org", "reason": "hard_bounce", "note": "5.1.1"},
        ],
    )
    conn.execute(
        sa.insert(OLD_BOUNCES).values(
            address="Grace.Hopper@example.org",
            kind="hard",
            status_code="5.1.1",
            diagnostic="",
            source="maildir",
            received_at=at(2024),
        )
    )
    return ids


def test_migration_merges_case_variants_keeping_the_strictest_consent(
    old_url: str, capfd: pytest.CaptureFixture[str]
) -> None:
    migrate(old_url, BEFORE)
    engine = make_engine(old_url)
    with engine.begin() as conn:
        ids = _fill(conn)
    capfd.readouterr()
    migrate(old_url, "head")
    printed = capfd.readouterr().err
    keeper = ids["Grace.Hopper@example.org"]
    assert "kept Grace.Hopper@example.org" in printed
    assert "grace.hopper@example.org" in printed and "GRACE.HOPPER@example.org" in printed
    with engine.connect() as conn:
        rows = conn.execute(
            sa.text("SELECT id, email, email_key, name, attributes FROM subscribers ORDER BY id")
        ).all()
        assert [(r.id, r.email, r.email_key) for r in rows] == [
            (keeper, "Grace.Hopper@example.org", "grace.hopper@example.org"),
            (ids["ada@example.org"], "ada@example.org", "ada@example.org"),
        ]
        assert rows[0].name == "Grace Hopper" and rows[1].name == "Ada Lovelace"
        attributes = rows[0].attributes  # JSONB on PostgreSQL, JSON text on SQLite
        attributes = attributes if isinstance(attributes, dict) else json.loads(attributes)
        assert attributes == {"division": "Medicine", "phone": "555"}
        states: dict[str, str] = dict(
            conn.execute(
                sa.text(
                    "SELECT l.slug, s.status FROM subscriptions s JOIN mailing_lists l "
                    "ON l.id = s.list_id WHERE s.subscriber_id = :k"
                ),
                {"k": keeper},
            ).all()
        )
        assert states == {"weekly": "unsubscribed", "events": "pending", "rounds": "confirmed"}
        deliveries = conn.execute(
            sa.text("SELECT subscriber_id, name FROM deliveries ORDER BY id")
        ).all()
        assert [d.subscriber_id for d in deliveries] == [keeper, keeper, ids["ada@example.org"]]
        assert deliveries[-1].name == "Ada Lovelace"
        suppressions = conn.execute(sa.text("SELECT address, reason, note FROM suppressions")).all()
        assert [(s.address, s.reason) for s in suppressions] == [
            ("grace.hopper@example.org", "hard_bounce")
        ]
        assert "asked by phone" in suppressions[0].note and "5.1.1" in suppressions[0].note
        bounce = conn.execute(sa.text("SELECT address, verified FROM bounce_records")).one()
        assert (bounce.address, bool(bounce.verified)) == ("grace.hopper@example.org", True)
        actions = [
            r.action
            for r in conn.execute(sa.select(AuditLog.action, AuditLog.target).order_by(AuditLog.id))
        ]
        assert actions == ["subscriber.merge", "suppression.merge", "audience.merge_report"]
        merge = conn.execute(sa.select(AuditLog).where(AuditLog.action == "subscriber.merge")).one()
        assert merge.target == f"subscriber:{keeper}"
        assert {m["email"] for m in merge.detail["merged"]} == {
            "grace.hopper@example.org",
            "GRACE.HOPPER@example.org",
        }
    # From now on the database itself refuses a second spelling.
    with pytest.raises(IntegrityError), engine.begin() as conn:
        conn.execute(
            sa.text(
                "INSERT INTO subscribers (email, email_key, name, attributes, status, created_at) "
                "VALUES ('GRACE.hopper@example.org', 'grace.hopper@example.org', '', '{}', "
                "'active', CURRENT_TIMESTAMP)"
            )
        )
    engine.dispose()


def test_downgrade_keeps_every_subscription(old_url: str) -> None:
    """Dropping the columns again must not rebuild (and so cascade-empty) the table."""
    migrate(old_url, BEFORE)
    engine = make_engine(old_url)
    with engine.begin() as conn:
        _fill(conn)
    migrate(old_url, "head")
    command.downgrade(alembic_config(old_url), BEFORE)
    with engine.connect() as conn:
        assert conn.execute(sa.text("SELECT count(*) FROM subscriptions")).scalar() == 4
        assert conn.execute(sa.text("SELECT count(*) FROM deliveries")).scalar() == 3
        columns = [c["name"] for c in sa.inspect(conn).get_columns("subscribers")]
        assert "email_key" not in columns
    engine.dispose()
