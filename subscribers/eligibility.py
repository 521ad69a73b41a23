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

from collections.abc import Sequence
from typing import Any

from sqlalchemy import ColumnElement, Select, any_, exists, select

from subscribers.models import (
    Subscriber,
    SubscriberStatus,
    Subscription,
    SubscriptionStatus,
    Suppression,
)


def not_suppressed(email_column: Any = Subscriber.email_key) -> Any:
    """A WHERE clause: the address key in ``email_column`` is not on the suppression list.

    Suppressions are stored by key (``subscribers.addresses.email_key``), so a
    suppression of one spelling covers every spelling of the address.
    """
    return ~exists().where(Suppression.address == email_column)


def sendable_subscriptions(
    list_id: int, among: Sequence[int] | ColumnElement[Any] | None = None
) -> Select[int, str, str]:
    """Subscribers (id, email, name) of ``list_id`` who may receive its mail now.

    ``among`` narrows it to these subscribers (the claimed batch of a send),
    found by their ids: a list, or on PostgreSQL one array parameter (matched
    with ``= ANY``: one placeholder instead of one per id, so the statement is
    the same text every batch and is prepared once). The list is then matched
    without its index (``list_id + 0``): SQLite, which keeps no statistics unless told to, would
    otherwise walk every subscription of the list for each batch, making a
    send O(n^2).
    """
    list_match = (
        Subscription.list_id == list_id
        if among is None
        else ((Subscription.list_id + 0) == list_id)
    )
    query = (
        select(Subscriber.id, Subscriber.email, Subscriber.name)
        .join(Subscription, Subscription.subscriber_id == Subscriber.id)
        .where(
            list_match,
            Subscription.status == SubscriptionStatus.CONFIRMED,
            Subscriber.status == SubscriberStatus.ACTIVE,
            not_suppressed(Subscriber.email_key),
        )
    )
    if among is not None:
        if isinstance(among, ColumnElement):
            query = query.where(
                Subscriber.id == any_(among), Subscription.subscriber_id == any_(among)
            )
        else:
            ids = list(among)
            query = query.where(Subscriber.id.in_(ids), Subscription.subscriber_id.in_(ids))
    return query
