"""Turn feedback events into bounce records, suppressions and unsubscribes.

The one place where feedback changes the audience, through the functions of
``subscribers`` (so the unsubscribe and suppression rules stay in one place):
- hard bounce: suppress the address now;
- soft bounce: record; suppress after ``soft_bounce_limit`` within ``soft_bounce_days``;
- policy block: record only (the sender must act; the reader did nothing wrong);
- complaint: unsubscribe from every list and suppress;
- unsubscribe: leave the list the message came from (all lists if unknown).
The delivery is found by its id (VERP), else by Message-ID; its recorded
address wins over what a bounce says (a forwarded address is not ours).
Feedback that is not provably ours is recorded as unverified and does
nothing (see ``_resolve``).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from mailer.db import utcnow
from mailer.delivery.models import Campaign, Delivery, DeliveryStatus
from mailer.feedback.events import RAW_LIMIT, FeedbackEvent, Kind
from subscribers.addresses import email_key
from subscribers.models import BounceRecord, Subscriber, SuppressionReason
from subscribers.service import suppress, unsubscribe, unsubscribe_all


@dataclass
class ApplyReport:
    recorded: int = 0
    suppressed: int = 0
    unsubscribed: int = 0
    ignored: int = 0
    unverified: int = 0
    by_kind: dict[str, int] = field(default_factory=dict)


@dataclass
class _Target:
    """Whom an event is about, and whether it is provably ours (then it may act)."""

    delivery: Delivery | None
    address: str  # the address key (subscribers.addresses.email_key), "" if none
    verified: bool
    subscriber_id: int | None


def _named(session: Session, event: FeedbackEvent) -> str:
    """The key of the address the report names: the first of its spellings that is a subscriber.

    A DSN names the address we sent to (Original-Recipient) and the one the
    mail ended at (Final-Recipient, after forwarding); the subscriber's wins.
    """
    keys = [email_key(a) for a in (event.address, *event.also) if a]
    if len(keys) > 1:
        for key in keys:
            if session.scalar(select(Subscriber.id).where(Subscriber.email_key == key)):
                return key
    return keys[0] if keys else ""


def _resolve(session: Session, event: FeedbackEvent) -> _Target:
    """The authenticity rule (DESIGN.md section 9): feedback acts only when it is ours.

    Ours means: our VERP signature named the delivery (``delivery_id`` is only
    ever set from a checked signature, or by a provider's signed webhook); or a
    signed token named the subscriber (mailto unsubscribe, the original's
    List-Unsubscribe); or the quoted Message-ID is one we sent *to the address
    the report names* (the delivery log knows). A provider's webhook whose
    signature checked out speaks for itself. Anything else is unverified.
    """
    delivery = session.get(Delivery, event.delivery_id) if event.delivery_id is not None else None
    named = _named(session, event)
    verified = delivery is not None or event.signed
    if delivery is None and event.message_id:
        by_id = session.scalar(
            select(Delivery).where(Delivery.message_id == event.message_id).limit(1)
        )
        keys = {email_key(a) for a in (event.address, *event.also) if a}
        if by_id is not None and (not keys or email_key(by_id.email) in keys):
            delivery, verified = by_id, True
    subscriber_id = event.subscriber_id
    if subscriber_id is not None and session.get(Subscriber, subscriber_id) is not None:
        verified = True  # named by our signed token
    address = email_key(delivery.email) if delivery is not None else named
    if not address and subscriber_id is not None:
        subscriber = session.get(Subscriber, subscriber_id)
        address = subscriber.email_key if subscriber is not None else ""
    if subscriber_id is None and address:
        subscriber_id = session.scalar(select(Subscriber.id).where(Subscriber.email_key == address))
    return _Target(delivery, address, verified, subscriber_id)


def _soft_limit_reached(session: Session, address: str, settings: Any, now: dt.datetime) -> bool:
    since = now - dt.timedelta(days=settings.soft_bounce_days)
    count = session.scalar(
        select(func.count())
        .select_from(BounceRecord)
        .where(
            BounceRecord.address == address,
            BounceRecord.kind == Kind.SOFT,
            BounceRecord.verified.is_(True),  # forged soft bounces must not add up
            BounceRecord.received_at >= since,
        )
    )
    return (count or 0) >= settings.soft_bounce_limit


def apply_feedback(
    session: Session,
    events: Iterable[FeedbackEvent],
    settings: Any,
    *,
    now: dt.datetime | None = None,
) -> ApplyReport:
    """Record each event; act on those that are ours. The caller commits.

    An unverified event is recorded (``verified=False``, for admins to see with
    ``mailer bounces list --unverified``) and changes nothing. Only subscribers
    are ever suppressed by feedback: a bounce naming a stranger cannot block a
    person before they sign up.
    """
    report = ApplyReport()
    for event in events:
        at = event.received_at or now or utcnow()
        target = _resolve(session, event)
        if not target.address:
            report.ignored += 1
            continue
        report.by_kind[event.kind] = report.by_kind.get(event.kind, 0) + 1
        session.add(
            BounceRecord(
                address=target.address,
                kind=event.kind.value,
                status_code=event.status_code[:16],
                diagnostic=event.diagnostic,
                delivery_id=target.delivery.id if target.delivery is not None else None,
                source=event.source[:32],
                verified=target.verified,
                received_at=at,
                raw=event.raw[:RAW_LIMIT],
            )
        )
        session.flush()
        report.recorded += 1
        if not target.verified:
            report.unverified += 1
            continue
        if target.subscriber_id is None:
            continue  # not one of ours: nothing to suppress or unsubscribe
        _act(session, event, target, settings, at, report)
    return report


def _act(
    session: Session,
    event: FeedbackEvent,
    target: _Target,
    settings: Any,
    at: dt.datetime,
    report: ApplyReport,
) -> None:
    address, delivery = target.address, target.delivery
    note = f"{event.status_code} {event.diagnostic}".strip()[:500]
    if event.kind == Kind.HARD:
        suppress(session, address, SuppressionReason.HARD_BOUNCE, note, actor=event.source)
        report.suppressed += 1
    elif event.kind == Kind.SOFT and _soft_limit_reached(session, address, settings, at):
        suppress(session, address, SuppressionReason.SOFT_BOUNCE, note, actor=event.source)
        report.suppressed += 1
    elif event.kind == Kind.COMPLAINT:
        assert target.subscriber_id is not None
        report.unsubscribed += unsubscribe_all(
            session, target.subscriber_id, via=event.source, reason=SuppressionReason.COMPLAINT
        )
        suppress(session, address, SuppressionReason.COMPLAINT, note, actor=event.source)
        report.suppressed += 1
    elif event.kind == Kind.UNSUBSCRIBE:
        report.unsubscribed += _unsubscribe(session, event, target)
    if delivery is not None and event.kind in (Kind.HARD, Kind.SOFT, Kind.POLICY):
        session.execute(
            update(Delivery)
            .where(Delivery.id == delivery.id, Delivery.status == DeliveryStatus.SENT)
            .values(status=DeliveryStatus.BOUNCED, last_error=note)
        )


def _unsubscribe(session: Session, event: FeedbackEvent, target: _Target) -> int:
    subscriber_id = target.subscriber_id
    if subscriber_id is None:
        return 0
    list_id = event.list_id
    if list_id is None and target.delivery is not None:
        list_id = session.scalar(
            select(Campaign.list_id).where(Campaign.id == target.delivery.campaign_id)
        )
    if list_id is None:
        return unsubscribe_all(session, subscriber_id, via=event.source or "feedback")
    return int(unsubscribe(session, subscriber_id, list_id, via=event.source or "feedback"))
