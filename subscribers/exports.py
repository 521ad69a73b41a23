"""CSV export of a list: the same columns the import reads, so a round trip is lossless.

Cells are spreadsheet-safe (``subscribers.csvsafe``); the import removes the guard again.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import IO

from sqlalchemy import select
from sqlalchemy.orm import Session

from subscribers.csvsafe import SafeWriter
from subscribers.models import MailingList, Subscriber, Subscription
from subscribers.topics import exported_choices

FIXED = ["email", "name", "status", "source", "subscribed_at", "confirmed_at", "unsubscribed_at"]
#: The reader's choices on the list (subscribers.topics): topic slugs, mode, and when
#: and how they last changed. Export-only, like status: an import never sets consent.
CHOICES = ["topics", "mode", "choices_changed_at", "choices_source"]


def _iso(value: object) -> str:
    return value.isoformat() if value is not None else ""  # type: ignore[attr-defined]


def export_csv(
    session: Session,
    mailing_list: MailingList,
    out: IO[str],
    *,
    statuses: Iterable[str] | None = None,
    batch: int = 5000,
) -> int:
    """Write the list's subscribers to ``out`` (opened with ``newline=""``); returns rows.

    Attribute keys become extra columns (sorted). Every cell is guarded against
    spreadsheet formulas. Rows are read in pages by
    key, so a large list is never held in memory twice.
    """
    base = (
        select(
            Subscriber.id,
            Subscriber.email,
            Subscriber.name,
            Subscriber.attributes,
            Subscription.status,
            Subscription.source,
            Subscription.created_at,
            Subscription.confirmed_at,
            Subscription.unsubscribed_at,
        )
        .join(Subscription, Subscription.subscriber_id == Subscriber.id)
        .where(Subscription.list_id == mailing_list.id)
    )
    if statuses is not None:
        base = base.where(Subscription.status.in_(list(statuses)))
    keys: set[str] = set()
    for (attrs,) in session.execute(base.with_only_columns(Subscriber.attributes)).all():
        keys.update((attrs or {}).keys())
    extra = sorted(keys - set(FIXED) - set(CHOICES))
    writer = SafeWriter(out)
    writer.writerow(FIXED + CHOICES + extra)
    written = 0
    last_id = 0
    while True:
        rows = session.execute(
            base.where(Subscriber.id > last_id).order_by(Subscriber.id).limit(batch)
        ).all()
        if not rows:
            return written
        choices = exported_choices(session, mailing_list.id, [row.id for row in rows])
        for row in rows:
            attrs = row.attributes or {}
            topics, mode, changed_at, how = choices.get(row.id, ("", "digest", None, ""))
            writer.writerow(
                [
                    row.email,
                    row.name,
                    row.status,
                    row.source,
                    _iso(row.created_at),
                    _iso(row.confirmed_at),
                    _iso(row.unsubscribed_at),
                    topics,
                    mode,
                    _iso(changed_at),
                    how,
                    *(str(attrs.get(k, "")) for k in extra),
                ]
            )
        written += len(rows)
        last_id = rows[-1].id
