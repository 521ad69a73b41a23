"""Who may be mailed: the one place that says so.

``sendable_subscriptions(list_id)`` is the rule "a confirmed subscription of an
active subscriber whose address is not suppressed". The delivery engine's
enqueue (``INSERT ... SELECT`` from this select) and its claim-time re-check
(``subscriber_id IN (this select's ids)``) both use it, so an unsubscribe, a
bounce or a complaint recorded between enqueue and send still stops the
message before the next batch. Change the rule here and nowhere else.

Forgotten people are stored as ``sha256:<hex>`` suppressions; their subscriber
rows are deleted by ``forget``, and every way back in (subscribe, import,
admin add) checks the hash, so the plain-address test below is enough here.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Select, exists, select

from subscribers.models import (
    Subscriber,
    SubscriberStatus,
    Subscription,
    SubscriptionStatus,
    Suppression,
)


def not_suppressed(email_column: Any = Subscriber.email) -> Any:
    """A WHERE clause: the address in ``email_column`` is not on the suppression list."""
    return ~exists().where(Suppression.address == email_column)


def sendable_subscriptions(list_id: int) -> Select:
    """Subscribers (id, email, name) of ``list_id`` who may receive its mail now."""
    return (
        select(Subscriber.id, Subscriber.email, Subscriber.name)
        .join(Subscription, Subscription.subscriber_id == Subscriber.id)
        .where(
            Subscription.list_id == list_id,
            Subscription.status == SubscriptionStatus.CONFIRMED,
            Subscriber.status == SubscriberStatus.ACTIVE,
            not_suppressed(Subscriber.email),
        )
    )


# The delivery engine's first cut named it this way; both names are the same rule.
sendable_subscribers = sendable_subscriptions
