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
from mailer.feedback.events import FeedbackEvent, Kind
from subscribers.addresses import InvalidAddress, normalise_email
from subscribers.models import BounceRecord, Subscriber, SuppressionReason
from subscribers.service import suppress, unsubscribe, unsubscribe_all


@dataclass
class ApplyReport:
    recorded: int = 0
    suppressed: int = 0
    unsubscribed: int = 0
    ignored: int = 0
    by_kind: dict[str, int] = field(default_factory=dict)


def _resolve(session: Session, event: FeedbackEvent) -> tuple[Delivery | None, str]:
    delivery = None
    if event.delivery_id is not None:
        delivery = session.get(Delivery, event.delivery_id)
    if delivery is None and event.message_id:
        delivery = session.scalar(
            select(Delivery).where(Delivery.message_id == event.message_id).limit(1)
        )
    address = delivery.email if delivery is not None else event.address
    if not address and event.subscriber_id is not None:
        subscriber = session.get(Subscriber, event.subscriber_id)
        address = subscriber.email if subscriber is not None else ""
    try:
        return delivery, normalise_email(address) if address else ""
    except InvalidAddress:
        return delivery, ""


def _subscriber_id(session: Session, event: FeedbackEvent, address: str) -> int | None:
    if event.subscriber_id is not None:
        return event.subscriber_id
    return session.scalar(select(Subscriber.id).where(Subscriber.email == address))


def _soft_limit_reached(session: Session, address: str, settings: Any, now: dt.datetime) -> bool:
    since = now - dt.timedelta(days=settings.soft_bounce_days)
    count = session.scalar(
        select(func.count())
        .select_from(BounceRecord)
        .where(
            BounceRecord.address == address,
            BounceRecord.kind == Kind.SOFT,
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
    """Record and act on each event; the caller commits (then moves the message aside)."""
    report = ApplyReport()
    for event in events:
        at = event.received_at or now or utcnow()
        delivery, address = _resolve(session, event)
        if not address:
            report.ignored += 1
            continue
        report.by_kind[event.kind] = report.by_kind.get(event.kind, 0) + 1
        session.add(
            BounceRecord(
                address=address,
                kind=event.kind.value,
                status_code=event.status_code[:16],
                diagnostic=event.diagnostic,
                delivery_id=delivery.id if delivery is not None else None,
                source=event.source[:32],
                received_at=at,
            )
        )
        session.flush()
        report.recorded += 1
        note = f"{event.status_code} {event.diagnostic}".strip()[:500]
        if event.kind == Kind.HARD:
            suppress(session, address, SuppressionReason.HARD_BOUNCE, note, actor=event.source)
            report.suppressed += 1
        elif event.kind == Kind.SOFT and _soft_limit_reached(session, address, settings, at):
            suppress(session, address, SuppressionReason.SOFT_BOUNCE, note, actor=event.source)
            report.suppressed += 1
        elif event.kind == Kind.COMPLAINT:
            subscriber_id = _subscriber_id(session, event, address)
            if subscriber_id is not None:
                report.unsubscribed += unsubscribe_all(
                    session, subscriber_id, via=event.source, reason=SuppressionReason.COMPLAINT
                )
            suppress(session, address, SuppressionReason.COMPLAINT, note, actor=event.source)
            report.suppressed += 1
        elif event.kind == Kind.UNSUBSCRIBE:
            report.unsubscribed += _unsubscribe(session, event, delivery, address)
        if delivery is not None and event.kind in (Kind.HARD, Kind.SOFT, Kind.POLICY):
            session.execute(
                update(Delivery)
                .where(Delivery.id == delivery.id, Delivery.status == DeliveryStatus.SENT)
                .values(status=DeliveryStatus.BOUNCED, last_error=note)
            )
    return report


def _unsubscribe(
    session: Session, event: FeedbackEvent, delivery: Delivery | None, address: str
) -> int:
    subscriber_id = _subscriber_id(session, event, address)
    if subscriber_id is None:
        return 0
    list_id = event.list_id
    if list_id is None and delivery is not None:
        list_id = session.scalar(
            select(Campaign.list_id).where(Campaign.id == delivery.campaign_id)
        )
    if list_id is None:
        return unsubscribe_all(session, subscriber_id, via=event.source or "feedback")
    return int(unsubscribe(session, subscriber_id, list_id, via=event.source or "feedback"))
