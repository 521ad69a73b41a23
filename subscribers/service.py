"""Consent: subscribe, confirm, unsubscribe, preferences, admin adds and forgetting.

Every way a person joins or leaves a list goes through these functions, so
the rules live once: double opt-in needs a confirmed click, an unsubscribe
holds until the person (not an import) asks again, a suppressed address gets
nothing. Nothing here sends mail (``subscribers`` imports only ``mailer.db``):
the functions say what must be sent and the caller (web, CLI) sends it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from mailer.db import audit, utcnow
from subscribers.addresses import email_key, normalise_email

# Part of this module's API (callers use ``service.forget``); it lives in its own module.
from subscribers.erasure import forget
from subscribers.models import (
    MailingList,
    Subscriber,
    SubscriberStatus,
    Subscription,
    SubscriptionSource,
    SubscriptionStatus,
    SuppressionReason,
)
from subscribers.names import clean_name
from subscribers.suppression import (
    is_suppressed,
    suppress,
    suppression_for,
    unsuppress,
)
from subscribers.tokens import TokenError, TokenSigner

__all__ = [
    "ConsentRefused",
    "SubscribeResult",
    "add_subscriber",
    "confirm",
    "forget",
    "is_suppressed",
    "subscribe",
    "suppress",
    "unsubscribe",
    "unsubscribe_all",
    "unsuppress",
    "update_preferences",
]

#: A stranger may ask for the confirmation message again, but not more often than this.
RESEND_INTERVAL = dt.timedelta(hours=1)


class ConsentRefused(ValueError):
    """The address unsubscribed or is suppressed; an explicit, audited override is needed."""


@dataclass
class SubscribeResult:
    """What ``subscribe`` did. The web page says the same thing whatever these are."""

    subscriber: Subscriber | None
    subscription: Subscription | None
    send_confirmation: bool = False
    send_welcome: bool = False


def _find_subscriber(session: Session, email: str) -> Subscriber | None:
    """The person with this address, whatever its case (``email_key``)."""
    return session.scalar(select(Subscriber).where(Subscriber.email_key == email_key(email)))


def _find_subscription(session: Session, subscriber_id: int, list_id: int) -> Subscription | None:
    return session.scalar(
        select(Subscription).where(
            Subscription.subscriber_id == subscriber_id, Subscription.list_id == list_id
        )
    )


def _get_or_create_subscriber(session: Session, email: str, name: str) -> Subscriber:
    name = clean_name(name)
    subscriber = _find_subscriber(session, email)
    if subscriber is None:
        subscriber = Subscriber(email=email, name=name, attributes={})
        session.add(subscriber)
        session.flush()
    elif name and not subscriber.name:
        subscriber.name = name
    return subscriber


def subscribe(
    session: Session,
    mailing_list: MailingList,
    email: str,
    *,
    name: str = "",
    source: str = SubscriptionSource.FORM,
    consent_ip: str = "",
    attributes: dict[str, str] | None = None,
    now: dt.datetime | None = None,
) -> SubscribeResult:
    """A person asks to join a list (form, API).

    Double opt-in lists get a pending subscription and a confirmation to send
    (again at most once per ``RESEND_INTERVAL``); single opt-in lists confirm
    at once and want a welcome. A suppressed or blocklisted address gets
    nothing, silently, so the answer never tells a stranger who is on a list.
    An address that unsubscribed from everything may come back only through
    a confirmation, even on a single opt-in list. Raises ``InvalidAddress``.
    """
    now = now or utcnow()
    address = normalise_email(email)
    blocker = suppression_for(session, address)
    if blocker is not None and blocker.reason != SuppressionReason.UNSUBSCRIBE_ALL:
        return SubscribeResult(None, None)
    needs_confirmation = mailing_list.double_opt_in or blocker is not None
    subscriber = _get_or_create_subscriber(session, address, name)
    if subscriber.status != SubscriberStatus.ACTIVE:
        return SubscribeResult(subscriber, None)
    if attributes:
        subscriber.attributes = {**(subscriber.attributes or {}), **attributes}
    sub = _find_subscription(session, subscriber.id, mailing_list.id)
    if sub is not None and sub.status == SubscriptionStatus.CONFIRMED:
        return SubscribeResult(subscriber, sub)
    if sub is None:
        sub = Subscription(
            subscriber_id=subscriber.id,
            list_id=mailing_list.id,
            status=SubscriptionStatus.PENDING,
            source=source,
            created_at=now,
        )
        session.add(sub)
    elif sub.status == SubscriptionStatus.UNSUBSCRIBED:
        # A new, explicit request from the person: consent starts over.
        sub.status = SubscriptionStatus.PENDING
        sub.source = source
        sub.unsubscribed_at = None
        sub.confirmation_sent_at = None
    if consent_ip:
        sub.consent_ip = consent_ip
    if needs_confirmation:
        last = sub.confirmation_sent_at
        if last is not None and now - last < RESEND_INTERVAL:
            session.flush()
            return SubscribeResult(subscriber, sub)
        sub.confirmation_sent_at = now
        session.flush()
        return SubscribeResult(subscriber, sub, send_confirmation=True)
    _mark_confirmed(subscriber, sub, now)
    session.flush()
    return SubscribeResult(subscriber, sub, send_welcome=True)


def _mark_confirmed(subscriber: Subscriber, sub: Subscription, now: dt.datetime) -> None:
    sub.status = SubscriptionStatus.CONFIRMED
    sub.confirmed_at = now
    sub.unsubscribed_at = None
    if subscriber.confirmed_at is None:
        subscriber.confirmed_at = now


def confirm(
    session: Session,
    token: str,
    signer: TokenSigner,
    max_age: int,
    *,
    on_confirmed: Callable[[Subscription], None] | None = None,
    now: dt.datetime | None = None,
) -> Subscription:
    """Confirm a pending subscription from the signed link in the confirmation message.

    ``on_confirmed`` is called once, on the first confirmation (send the
    welcome there). A second click is harmless; a link to a subscription the
    person has since left does not re-subscribe them. Raises ``TokenError``
    for anything wrong with the link, saying nothing more.
    """
    data = signer.read("confirm", token, max_age=max_age)
    if data.list_id is None:
        raise TokenError("this link is not valid")
    sub = _find_subscription(session, data.subscriber_id, data.list_id)
    if sub is None or sub.status == SubscriptionStatus.UNSUBSCRIBED:
        raise TokenError("this link is not valid")
    subscriber = sub.subscriber
    if subscriber.status != SubscriberStatus.ACTIVE:
        raise TokenError("this link is not valid")
    if sub.status == SubscriptionStatus.CONFIRMED:
        return sub
    blocker = suppression_for(session, subscriber.email)
    if blocker is not None and blocker.reason != SuppressionReason.UNSUBSCRIBE_ALL:
        raise TokenError("this link is not valid")
    if blocker is not None:
        # The person opted back in with a fresh, confirmed request.
        unsuppress(session, subscriber.email, actor=subscriber.email, note="confirmed again")
    _mark_confirmed(subscriber, sub, now or utcnow())
    session.flush()
    audit(session, "subscriber", "subscription.confirm", f"subscription:{sub.id}")
    if on_confirmed is not None:
        on_confirmed(sub)
    return sub


def unsubscribe(
    session: Session, subscriber_id: int, list_id: int, *, via: str, now: dt.datetime | None = None
) -> bool:
    """Leave one list at once; True if something changed. ``via``: one-click, page, mailto, ...

    One UPDATE, committed by the caller: the send engine re-checks
    eligibility at claim time, so no further batch reaches this person.
    """
    result = session.execute(
        update(Subscription)
        .where(
            Subscription.subscriber_id == subscriber_id,
            Subscription.list_id == list_id,
            Subscription.status != SubscriptionStatus.UNSUBSCRIBED,
        )
        .values(status=SubscriptionStatus.UNSUBSCRIBED, unsubscribed_at=now or utcnow())
        .execution_options(synchronize_session="fetch")
    )
    changed = bool(getattr(result, "rowcount", 0))
    if changed:
        audit(
            session,
            "subscriber",
            "unsubscribe",
            f"subscriber:{subscriber_id}",
            via,
            list_id=list_id,
        )
    return changed


def unsubscribe_all(
    session: Session,
    subscriber_id: int,
    *,
    via: str,
    reason: str = SuppressionReason.UNSUBSCRIBE_ALL,
    now: dt.datetime | None = None,
) -> int:
    """Leave every list and suppress the address; returns how many lists were left."""
    subscriber = session.get(Subscriber, subscriber_id)
    if subscriber is None:
        return 0
    result = session.execute(
        update(Subscription)
        .where(
            Subscription.subscriber_id == subscriber_id,
            Subscription.status != SubscriptionStatus.UNSUBSCRIBED,
        )
        .values(status=SubscriptionStatus.UNSUBSCRIBED, unsubscribed_at=now or utcnow())
        .execution_options(synchronize_session="fetch")
    )
    suppress(session, subscriber.email, reason, note=f"via {via}", actor="subscriber")
    audit(session, "subscriber", "unsubscribe_all", f"subscriber:{subscriber_id}", via)
    return int(getattr(result, "rowcount", 0) or 0)


def update_preferences(
    session: Session,
    subscriber_id: int,
    list_ids: set[int],
    name: str | None,
    *,
    now: dt.datetime | None = None,
) -> None:
    """Apply the preference page: the ticked public lists, and the name.

    The page is reached through a signed link sent to the inbox, which proves
    the address, so a ticked list is confirmed at once. Private lists are not
    shown and are left as they are. Ticking any list lifts an earlier
    "unsubscribe from everything" (but no bounce or complaint suppression).
    """
    now = now or utcnow()
    subscriber = session.get(Subscriber, subscriber_id)
    if subscriber is None:
        raise TokenError("this link is not valid")
    if name is not None:
        subscriber.name = clean_name(name)
    public = session.scalars(select(MailingList).where(MailingList.public.is_(True))).all()
    wanted = {ml.id for ml in public if ml.id in list_ids}
    blocker = suppression_for(session, subscriber.email)
    # A bounce or complaint suppression is not lifted by ticking a box: the
    # reader may keep their lists (they get no mail) but joins nothing new.
    can_join = blocker is None or blocker.reason == SuppressionReason.UNSUBSCRIBE_ALL
    if wanted and blocker is not None and can_join:
        unsuppress(session, subscriber.email, actor=subscriber.email, note="preferences")
    for ml in public:
        sub = _find_subscription(session, subscriber.id, ml.id)
        if ml.id in wanted:
            if not can_join:
                continue
            if sub is None:
                sub = Subscription(
                    subscriber_id=subscriber.id,
                    list_id=ml.id,
                    source=SubscriptionSource.FORM,
                    created_at=now,
                )
                session.add(sub)
            if sub.status != SubscriptionStatus.CONFIRMED:
                _mark_confirmed(subscriber, sub, now)
        elif sub is not None and sub.status != SubscriptionStatus.UNSUBSCRIBED:
            sub.status = SubscriptionStatus.UNSUBSCRIBED
            sub.unsubscribed_at = now
    session.flush()
    audit(session, "subscriber", "preferences", f"subscriber:{subscriber_id}", lists=sorted(wanted))


def add_subscriber(
    session: Session,
    mailing_list: MailingList,
    email: str,
    *,
    name: str = "",
    confirmed: bool = False,
    source: str = SubscriptionSource.ADMIN,
    override_reason: str | None = None,
    actor: str = "admin",
) -> Subscriber:
    """An admin adds a person to a list; calling it again changes nothing.

    Refuses (``ConsentRefused``) an address that unsubscribed from this list or
    is suppressed, unless ``override_reason`` is given; the override is audited.
    """
    address = normalise_email(email)
    blocker = suppression_for(session, address)
    subscriber = _find_subscriber(session, address)
    sub = _find_subscription(session, subscriber.id, mailing_list.id) if subscriber else None
    left = sub is not None and sub.status == SubscriptionStatus.UNSUBSCRIBED
    if (blocker is not None or left) and not override_reason:
        why = f"is suppressed ({blocker.reason})" if blocker else "unsubscribed from this list"
        raise ConsentRefused(
            f"{address} {why}; give an override reason to add it anyway (this is audited)"
        )
    if blocker is not None or left:
        unsuppress(session, address, actor=actor, note=override_reason or "")
        audit(
            session,
            actor,
            "consent.override",
            address,
            override_reason or "",
            list=mailing_list.slug,
        )
    name = clean_name(name)
    subscriber = _get_or_create_subscriber(session, address, name)
    if name and subscriber.name != name:
        subscriber.name = name
    if sub is None:
        sub = Subscription(
            subscriber_id=subscriber.id,
            list_id=mailing_list.id,
            status=SubscriptionStatus.PENDING,
            source=source,
        )
        session.add(sub)
    if left:
        sub.status = SubscriptionStatus.PENDING
        sub.unsubscribed_at = None
    if confirmed and sub.status != SubscriptionStatus.CONFIRMED:
        _mark_confirmed(subscriber, sub, utcnow())
    session.flush()
    return subscriber
