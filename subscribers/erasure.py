"""Erasure: forget a person, keeping only what stops them being added back.

A request to be forgotten removes the subscriber, their subscriptions, their
bounce records and the address in audit targets. Records that other parts
keep of them (a campaign's per-recipient send log) are anonymised by the
erasers those parts register, not deleted, so a campaign's counts still add
up. Only ``sha256:<hex>`` of the address stays, as a suppression, so a later
import or form cannot add them back by accident.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from mailer.db import AuditLog, audit
from subscribers.addresses import email_key, normalise_email
from subscribers.models import (
    BounceRecord,
    Subscriber,
    Subscription,
    Suppression,
    SuppressionReason,
)
from subscribers.suppression import address_hash

#: Anonymises what another part keeps of forgotten subscribers: (session, their ids,
#: the placeholder ``sha256:<hex>`` that stands for the address). ``subscribers`` knows
#: no other part; mailer.delivery registers its send log here.
Eraser = Callable[[Session, Sequence[int], str], None]
_erasers: list[Eraser] = []


def register_eraser(eraser: Eraser) -> Eraser:
    if eraser not in _erasers:
        _erasers.append(eraser)
    return eraser


def forget(session: Session, email: str, *, actor: str = "admin") -> bool:
    """Erase a person: their subscriber row, subscriptions, deliveries and bounce records.

    Only ``sha256:<hex>`` of the address stays, as a suppression, so that a
    later import or form cannot add them back by accident. True if we held
    anything about them.
    """
    address = normalise_email(email)
    key = email_key(address)
    hashed = address_hash(address)
    # Every spelling of the address is one key: a person asking to be forgotten means all.
    people = session.scalars(select(Subscriber).where(Subscriber.email_key == key)).all()
    found = bool(people)
    for eraser in _erasers:
        eraser(session, [p.id for p in people], hashed)
    for subscriber in people:
        # Core deletes (the subscriber's id on anonymised records becomes NULL).
        session.expunge(subscriber)
        session.execute(delete(Subscription).where(Subscription.subscriber_id == subscriber.id))
        session.execute(delete(Subscriber).where(Subscriber.id == subscriber.id))
    spellings = {address, key, *(p.email for p in people)}
    records = session.execute(delete(BounceRecord).where(BounceRecord.address.in_(spellings)))
    found = found or bool(getattr(records, "rowcount", 0))
    session.execute(delete(Suppression).where(Suppression.address.in_(spellings)))
    session.execute(update(AuditLog).where(AuditLog.target.in_(spellings)).values(target=hashed))
    if session.scalar(select(Suppression.id).where(Suppression.address == hashed)) is None:
        session.add(Suppression(address=hashed, reason=SuppressionReason.FORGOTTEN))
    session.flush()
    audit(session, actor, "subscriber.forget", hashed)
    return found
