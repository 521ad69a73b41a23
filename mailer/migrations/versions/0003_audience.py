"""audience: one person per address whatever its case; unverified feedback kept apart

Adds ``subscribers.email_key`` (``subscribers.addresses.email_key``: the whole
address lower-cased) with a unique index, and merges the case variants that
the old, case-sensitive unique address let in (that constraint stays: once
keys are unique it can never fire, and it indexes exact-address lookups):

- the earliest record (by ``created_at``, then id) is kept, with the address
  as that person first typed it;
- subscriptions are united; where both had the same list, the strictest
  consent state wins (unsubscribed, then pending, then confirmed), so an
  unsubscribe is never undone by a merge;
- a blocklisted variant makes the person blocklisted; names and attributes
  of the kept record win, the others fill gaps; deliveries move to the kept
  record (a campaign both received keeps the kept record's row);
- every suppression is kept: suppressions of case variants become one row
  under the key, with the strictest reason and every note;
- one audit entry per merge (``subscriber.merge``, ``suppression.merge``) and
  a summary entry (``audience.merge_report``); the report is printed as well.

Stored names with line breaks or other control characters are made one line
(``subscribers.names.clean_name``): such a name made its reader unmailable.
Bounce records get ``verified`` (existing ones were acted on: true).

Revision ID: 0003_audience
Revises: 0002_delivery
Create Date: 2026-12-02
"""

import datetime as dt
import sys
from collections import defaultdict
from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

import mailer.db
from subscribers.addresses import email_key
from subscribers.names import clean_name

revision: str = "0003_audience"
down_revision: str | None = "0003_console"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ACTOR = "migration 0003_audience"
JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")
# Strictest first: the state that must survive a merge.
SUBSCRIPTION_ORDER = {"unsubscribed": 0, "pending": 1, "confirmed": 2}
SUPPRESSION_ORDER = {
    "forgotten": 0,
    "complaint": 1,
    "hard_bounce": 2,
    "manual": 3,
    "soft_bounce": 4,
    "unsubscribe_all": 5,
}

subscribers = sa.table(
    "subscribers",
    sa.column("id", sa.Integer),
    sa.column("email", sa.String),
    sa.column("email_key", sa.String),
    sa.column("name", sa.String),
    sa.column("attributes", JSON),
    sa.column("status", sa.String),
    sa.column("created_at", mailer.db.UTCDateTime()),
    sa.column("confirmed_at", mailer.db.UTCDateTime()),
)
subscriptions = sa.table(
    "subscriptions",
    sa.column("id", sa.Integer),
    sa.column("subscriber_id", sa.Integer),
    sa.column("list_id", sa.Integer),
    sa.column("status", sa.String),
    sa.column("created_at", mailer.db.UTCDateTime()),
    sa.column("confirmed_at", mailer.db.UTCDateTime()),
    sa.column("unsubscribed_at", mailer.db.UTCDateTime()),
    sa.column("consent_ip", sa.String),
)
deliveries = sa.table(
    "deliveries",
    sa.column("id", sa.Integer),
    sa.column("campaign_id", sa.Integer),
    sa.column("subscriber_id", sa.Integer),
    sa.column("name", sa.String),
    sa.column("status", sa.String),
)
suppressions = sa.table(
    "suppressions",
    sa.column("id", sa.Integer),
    sa.column("address", sa.String),
    sa.column("reason", sa.String),
    sa.column("note", sa.Text),
    sa.column("created_at", mailer.db.UTCDateTime()),
)
bounce_records = sa.table("bounce_records", sa.column("address", sa.String))
audit_log = sa.table(
    "audit_log",
    sa.column("at", mailer.db.UTCDateTime()),
    sa.column("actor", sa.String),
    sa.column("action", sa.String),
    sa.column("target", sa.String),
    sa.column("detail", JSON),
    sa.column("note", sa.Text),
)


def _audit(conn: sa.Connection, action: str, target: str, note: str, **detail: Any) -> None:
    conn.execute(
        audit_log.insert().values(
            at=dt.datetime.now(dt.UTC),
            actor=ACTOR,
            action=action,
            target=target[:200],
            detail=detail,
            note=note,
        )
    )


def _earliest(*values: Any) -> Any:
    present = [v for v in values if v is not None]
    return min(present) if present else None


def _latest(*values: Any) -> Any:
    present = [v for v in values if v is not None]
    return max(present) if present else None


def _merge_subscriptions(conn: sa.Connection, keeper: int, other: int) -> dict[str, str]:
    """Move ``other``'s subscriptions to ``keeper``; the strictest state wins per list."""
    cols = subscriptions.c
    rows = conn.execute(sa.select(subscriptions).where(cols.subscriber_id.in_([keeper, other])))
    mine: dict[int, Any] = {}
    theirs: list[Any] = []
    for row in rows:
        if row.subscriber_id == keeper:
            mine[row.list_id] = row
        else:
            theirs.append(row)
    states: dict[str, str] = {}
    for row in theirs:
        kept = mine.get(row.list_id)
        if kept is None:
            conn.execute(
                subscriptions.update().where(cols.id == row.id).values(subscriber_id=keeper)
            )
            states[str(row.list_id)] = row.status
            continue
        status = min(kept.status, row.status, key=lambda s: SUBSCRIPTION_ORDER.get(s, 0))
        conn.execute(
            subscriptions.update()
            .where(cols.id == kept.id)
            .values(
                status=status,
                created_at=_earliest(kept.created_at, row.created_at),
                confirmed_at=_earliest(kept.confirmed_at, row.confirmed_at),
                unsubscribed_at=(
                    _latest(kept.unsubscribed_at, row.unsubscribed_at)
                    if status == "unsubscribed"
                    else None
                ),
                consent_ip=kept.consent_ip or row.consent_ip,
            )
        )
        conn.execute(subscriptions.delete().where(cols.id == row.id))
        states[str(row.list_id)] = f"{kept.status} + {row.status} -> {status}"
    return states


def _merge_deliveries(conn: sa.Connection, keeper: int, other: int) -> tuple[int, int]:
    """(moved, dropped): a campaign both records received keeps the kept record's row."""
    cols = deliveries.c
    taken = sa.select(cols.campaign_id).where(cols.subscriber_id == keeper)
    moved = conn.execute(
        deliveries.update()
        .where(cols.subscriber_id == other, cols.campaign_id.not_in(taken.scalar_subquery()))
        .values(subscriber_id=keeper)
    ).rowcount
    dropped = conn.execute(deliveries.delete().where(cols.subscriber_id == other)).rowcount
    return int(moved or 0), int(dropped or 0)


def _merge_people(conn: sa.Connection) -> list[str]:
    """Merge subscribers whose addresses differ only in case; set every key. Report lines."""
    cols = subscribers.c
    people = conn.execute(sa.select(subscribers).order_by(cols.created_at, cols.id)).all()
    groups: dict[str, list[Any]] = defaultdict(list)
    for person in people:
        groups[email_key(person.email)].append(person)
    report = []
    plain: list[dict[str, Any]] = []  # people with no variant: one executemany at the end
    for key, group in groups.items():
        keeper, others = group[0], group[1:]
        name = clean_name(keeper.name)
        attributes = dict(keeper.attributes or {})
        status = keeper.status
        confirmed_at = keeper.confirmed_at
        merged = []
        for other in others:
            lists = _merge_subscriptions(conn, keeper.id, other.id)
            moved, dropped = _merge_deliveries(conn, keeper.id, other.id)
            name = name or clean_name(other.name)
            attributes = {**(other.attributes or {}), **attributes}
            if other.status != "active":
                status = other.status
            confirmed_at = _earliest(confirmed_at, other.confirmed_at)
            conn.execute(subscribers.delete().where(cols.id == other.id))
            merged.append(
                {
                    "id": other.id,
                    "email": other.email,
                    "lists": lists,
                    "deliveries_moved": moved,
                    "deliveries_dropped": dropped,
                }
            )
        values: dict[str, Any] = {"email_key": key, "name": name[:200]}
        if merged:
            values.update(attributes=attributes, status=status, confirmed_at=confirmed_at)
            _audit(
                conn,
                "subscriber.merge",
                f"subscriber:{keeper.id}",
                "case variants of one address merged into the earliest record",
                kept={"id": keeper.id, "email": keeper.email},
                merged=merged,
            )
            spellings = ", ".join(f"{m['email']} (#{m['id']})" for m in merged)
            report.append(f"kept {keeper.email} (#{keeper.id}); merged {spellings}")
            conn.execute(subscribers.update().where(cols.id == keeper.id).values(**values))
        else:
            plain.append({"_id": keeper.id, "_key": key, "_name": values["name"]})
    if plain:
        conn.execute(
            subscribers.update()
            .where(cols.id == sa.bindparam("_id"))
            .values(email_key=sa.bindparam("_key"), name=sa.bindparam("_name")),
            plain,
        )
    return report


def _merge_suppressions(conn: sa.Connection) -> list[str]:
    """One suppression per key; the strictest reason stays and every note is kept."""
    cols = suppressions.c
    rows = conn.execute(sa.select(suppressions).order_by(cols.created_at, cols.id)).all()
    groups: dict[str, list[Any]] = defaultdict(list)
    for row in rows:
        key = row.address if row.address.startswith("sha256:") else email_key(row.address)
        groups[key].append(row)
    report = []
    for key, group in groups.items():
        keep = min(group, key=lambda r: SUPPRESSION_ORDER.get(r.reason, 9))
        others = [r for r in group if r.id != keep.id]
        if others:
            notes = [keep.note] + [f"{r.address}: {r.reason} {r.note}".strip() for r in others]
            conn.execute(suppressions.delete().where(cols.id.in_([r.id for r in others])))
            conn.execute(
                suppressions.update()
                .where(cols.id == keep.id)
                .values(note="; ".join(n for n in notes if n))
            )
            _audit(
                conn,
                "suppression.merge",
                key,
                "suppressions of case variants merged",
                kept={"address": keep.address, "reason": keep.reason},
                merged=[{"address": r.address, "reason": r.reason} for r in others],
            )
            report.append(f"suppression {key}: {len(group)} rows -> 1 ({keep.reason})")
        if keep.address != key:
            conn.execute(suppressions.update().where(cols.id == keep.id).values(address=key))
    return report


def _rekey_bounce_records(conn: sa.Connection) -> None:
    cols = bounce_records.c
    for (address,) in conn.execute(sa.select(cols.address).distinct()).all():
        key = email_key(address)
        if key != address:
            conn.execute(bounce_records.update().where(cols.address == address).values(address=key))


def _clean_queued_names(conn: sa.Connection) -> int:
    """Names snapshotted into deliveries not yet sent, made one line like their subscribers'."""
    cols = deliveries.c
    fixed = 0
    rows = conn.execute(
        sa.select(cols.id, cols.name).where(cols.status.in_(["queued", "sending"]))
    ).all()
    for row in rows:
        name = clean_name(row.name)
        if name != row.name:
            conn.execute(deliveries.update().where(cols.id == row.id).values(name=name))
            fixed += 1
    return fixed


def upgrade() -> None:
    # Plain ADD COLUMN and CREATE INDEX only: a batch "recreate" of subscribers on SQLite
    # would DROP the table, and with foreign keys on that cascades to every subscription
    # and delivery. The key starts as '' and is filled in below.
    op.add_column(
        "subscribers",
        sa.Column("email_key", sa.String(length=320), nullable=False, server_default=""),
    )
    op.add_column(
        "bounce_records",
        sa.Column("verified", sa.Boolean(), nullable=False, server_default=sa.true()),
    )
    conn = op.get_bind()
    people = _merge_people(conn)
    kept = _merge_suppressions(conn)
    _rekey_bounce_records(conn)
    names = _clean_queued_names(conn)
    if people or kept:
        _audit(
            conn,
            "audience.merge_report",
            "subscribers",
            f"{len(people)} people merged, {len(kept)} suppressions merged",
            people=people,
            suppressions=kept,
        )
    for line in [*people, *kept]:
        print(f"0003_audience: {line}", file=sys.stderr)
    if people or kept or names:  # a fresh database has nothing to report
        print(
            f"0003_audience: merged {len(people)} case-variant people and {len(kept)} "
            f"suppressions; {names} queued names made one line",
            file=sys.stderr,
        )
    op.create_index("ix_subscribers_email_key", "subscribers", ["email_key"], unique=True)
    if conn.dialect.name == "postgresql":
        op.alter_column("subscribers", "email_key", server_default=None)


def downgrade() -> None:
    """Drop the new columns (merged people stay merged: the merge cannot be undone).

    Plain ``ALTER TABLE ... DROP COLUMN`` (SQLite 3.35+), never a batch recreate, for
    the same reason as in ``upgrade``.
    """
    op.drop_index("ix_subscribers_email_key", table_name="subscribers")
    op.execute("ALTER TABLE subscribers DROP COLUMN email_key")
    op.execute("ALTER TABLE bounce_records DROP COLUMN verified")
