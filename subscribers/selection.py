"""Acting on many subscribers at once: add to a list, unsubscribe from one, suppress, forget.

The people are either ticked ids or a whole search (``subscribers.search``),
walked by id in chunks so a search of half a million rows never sits in
memory. The consent rules are the single-person ones: a bulk add never
re-subscribes someone who left that list or is suppressed or blocklisted
(those are counted as skipped; one person at a time, with an override reason,
is the way back), a suppression keeps its first reason, forgetting is
``subscribers.erasure.forget``. Each action writes one audit entry naming the
selection and what changed; the caller commits.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from sqlalchemy import insert, select, update
from sqlalchemy.orm import Session

from mailer.db import audit, utcnow
from subscribers.erasure import forget
from subscribers.models import (
    MailingList,
    Subscriber,
    SubscriberStatus,
    Subscription,
    SubscriptionSource,
    SubscriptionStatus,
    Suppression,
    SuppressionReason,
)
from subscribers.search import Criteria, apply
from subscribers.suppression import address_hash

CHUNK = 1000
ACTIONS = ("add", "unsubscribe", "suppress", "forget")


@dataclass
class Outcome:
    changed: int = 0
    skipped: int = 0


def chunks_of_ids(ids: Iterable[int], size: int = CHUNK) -> Iterator[list[int]]:
    batch: list[int] = []
    for i in sorted(set(ids)):
        batch.append(i)
        if len(batch) == size:
            yield batch
            batch = []
    if batch:
        yield batch


def chunks_of_search(
    session: Session, criteria: Criteria, size: int = CHUNK
) -> Iterator[list[int]]:
    """The ids matching ``criteria``, ``size`` at a time, by id (keyset, never OFFSET)."""
    last = 0
    while True:
        ids = list(
            session.scalars(
                apply(select(Subscriber.id), criteria)
                .where(Subscriber.id > last)
                .order_by(Subscriber.id)
                .limit(size)
            )
        )
        if not ids:
            return
        yield ids
        last = ids[-1]


def _blocked(session: Session, ids: list[int]) -> set[int]:
    """Who may not be added: suppressed (plainly or as a forgotten hash) or blocklisted."""
    people = session.execute(
        select(Subscriber.id, Subscriber.email_key, Subscriber.status).where(Subscriber.id.in_(ids))
    ).all()
    keys = {key: pid for pid, key, _ in people}
    hashes = {address_hash(key): pid for pid, key, _ in people}
    found = set(
        session.scalars(
            select(Suppression.address).where(Suppression.address.in_([*keys, *hashes]))
        )
    )
    blocked = {pid for pid, _, status in people if status != SubscriberStatus.ACTIVE}
    blocked |= {pid for addr, pid in {**keys, **hashes}.items() if addr in found}
    return blocked


def add_to_list(
    session: Session, chunks: Iterable[list[int]], mailing_list: MailingList, *, confirmed: bool
) -> Outcome:
    """Subscribe each person to ``mailing_list`` (source "admin"); pending unless ``confirmed``.

    Already on the list: a pending one becomes confirmed when ``confirmed``;
    confirmed ones stay. Skipped: those who unsubscribed from it, suppressed
    or blocklisted addresses.
    """
    out = Outcome()
    now = utcnow()
    status = SubscriptionStatus.CONFIRMED if confirmed else SubscriptionStatus.PENDING
    for ids in chunks:
        existing = dict(
            session.execute(
                select(Subscription.subscriber_id, Subscription.status).where(
                    Subscription.list_id == mailing_list.id, Subscription.subscriber_id.in_(ids)
                )
            ).all()
        )
        blocked = _blocked(session, ids)
        new = [i for i in ids if i not in existing and i not in blocked]
        left = [i for i, s in existing.items() if s == SubscriptionStatus.UNSUBSCRIBED]
        out.skipped += len([i for i in ids if i in blocked and i not in existing]) + len(left)
        if new:
            session.execute(
                insert(Subscription),
                [
                    {
                        "subscriber_id": i,
                        "list_id": mailing_list.id,
                        "status": status,
                        "source": SubscriptionSource.ADMIN,
                        "created_at": now,
                        "confirmed_at": now if confirmed else None,
                    }
                    for i in new
                ],
            )
            out.changed += len(new)
        pending = [
            i for i, s in existing.items() if s == SubscriptionStatus.PENDING and i not in blocked
        ]
        if confirmed and pending:
            session.execute(
                update(Subscription)
                .where(
                    Subscription.list_id == mailing_list.id,
                    Subscription.subscriber_id.in_(pending),
                )
                .values(status=SubscriptionStatus.CONFIRMED, confirmed_at=now)
                .execution_options(synchronize_session=False)
            )
            out.changed += len(pending)
        if confirmed and (new or pending):
            session.execute(
                update(Subscriber)
                .where(Subscriber.id.in_([*new, *pending]), Subscriber.confirmed_at.is_(None))
                .values(confirmed_at=now)
                .execution_options(synchronize_session=False)
            )
    return out


def unsubscribe_from(
    session: Session, chunks: Iterable[list[int]], mailing_list: MailingList
) -> Outcome:
    """Unsubscribe each person from ``mailing_list`` (the send engine re-checks per batch)."""
    out = Outcome()
    now = utcnow()
    for ids in chunks:
        result = session.execute(
            update(Subscription)
            .where(
                Subscription.list_id == mailing_list.id,
                Subscription.subscriber_id.in_(ids),
                Subscription.status != SubscriptionStatus.UNSUBSCRIBED,
            )
            .values(status=SubscriptionStatus.UNSUBSCRIBED, unsubscribed_at=now)
            .execution_options(synchronize_session=False)
        )
        changed = int(getattr(result, "rowcount", 0) or 0)
        out.changed += changed
        out.skipped += len(ids) - changed
    return out


def suppress_all(session: Session, chunks: Iterable[list[int]], note: str) -> Outcome:
    """Suppress each address (reason "manual"); an address already suppressed keeps its reason."""
    out = Outcome()
    now = utcnow()
    for ids in chunks:
        keys = list(session.scalars(select(Subscriber.email_key).where(Subscriber.id.in_(ids))))
        have = set(
            session.scalars(select(Suppression.address).where(Suppression.address.in_(keys)))
        )
        new = [k for k in keys if k not in have]
        if new:
            session.execute(
                insert(Suppression),
                [
                    {
                        "address": k,
                        "reason": SuppressionReason.MANUAL,
                        "note": note,
                        "created_at": now,
                    }
                    for k in new
                ],
            )
        out.changed += len(new)
        out.skipped += len(ids) - len(new)
    return out


def forget_all(session: Session, chunks: Iterable[list[int]], *, actor: str) -> Outcome:
    """Forget each person (``erasure.forget``: only a hash of the address stays)."""
    out = Outcome()
    for ids in chunks:
        emails = list(session.scalars(select(Subscriber.email).where(Subscriber.id.in_(ids))))
        for email in emails:
            forget(session, email, actor=actor)
        out.changed += len(emails)
        out.skipped += len(ids) - len(emails)
    return out


def run(
    session: Session,
    action: str,
    *,
    ids: Iterable[int] | None = None,
    criteria: Criteria | None = None,
    mailing_list: MailingList | None = None,
    confirmed: bool = False,
    note: str = "",
    actor: str,
) -> Outcome:
    """Do ``action`` on the ticked ``ids`` or on everyone ``criteria`` matches; audited once.

    Raises ValueError for an unknown action or a list action without a list.
    """
    if action not in ACTIONS:
        raise ValueError(f"action: choose one of {', '.join(ACTIONS)}")
    if action in {"add", "unsubscribe"} and mailing_list is None:
        raise ValueError("list: choose the list to add to or unsubscribe from")
    if (ids is None) == (criteria is None):
        raise ValueError("selection: tick subscribers or act on the whole search")
    chosen = list(ids) if ids is not None else None
    chunks = (
        chunks_of_ids(chosen)
        if chosen is not None
        else chunks_of_search(session, criteria or Criteria())
    )
    if action == "add":
        assert mailing_list is not None
        out = add_to_list(session, chunks, mailing_list, confirmed=confirmed)
    elif action == "unsubscribe":
        assert mailing_list is not None
        out = unsubscribe_from(session, chunks, mailing_list)
    elif action == "suppress":
        out = suppress_all(session, chunks, note)
    else:
        out = forget_all(session, chunks, actor=actor)
    detail: dict[str, Any] = {"changed": out.changed, "skipped": out.skipped}
    if chosen is not None:
        detail["ids"] = sorted(chosen)[:1000]
        detail["selected"] = len(chosen)
    else:
        detail["search"] = (criteria or Criteria()).describe()
    if mailing_list is not None and action in {"add", "unsubscribe"}:
        detail["list"] = mailing_list.slug
    if action == "add":
        detail["confirmed"] = confirmed
    audit(session, actor, f"subscribers.bulk.{action}", "subscribers", note, **detail)
    return out
