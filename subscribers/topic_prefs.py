"""Topics and mode on the public pages: what the subscribe form and the preference
page show, and applying what the reader sent.

The rules are ``subscribers.topics``'; this module only turns form values
into choices. Only a reader's own lists are offered (a subscription that is
not unsubscribed), and only topics of that list are accepted.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from subscribers.models import MailingList, Subscription, SubscriptionStatus
from subscribers.topic_models import DeliveryMode
from subscribers.topics import choices_of, list_topics, set_choices


@dataclass(frozen=True)
class TopicOption:
    topic_id: int
    name: str
    description: str
    chosen: bool


@dataclass(frozen=True)
class ListTopics:
    """One of the reader's lists, its topics (ticked where chosen) and the reader's mode."""

    list_id: int
    list_name: str
    topics: list[TopicOption]
    mode: str


def list_topic_options(session: Session, list_id: int) -> list[TopicOption]:
    """A list's topics, none ticked (the subscribe form)."""
    return [TopicOption(t.id, t.name, t.description, False) for t in list_topics(session, list_id)]


def reader_lists(session: Session, subscriber_id: int) -> list[ListTopics]:
    """The reader's lists (pending or confirmed), each with topics and mode to choose."""
    rows = session.execute(
        select(Subscription, MailingList)
        .join(MailingList, MailingList.id == Subscription.list_id)
        .where(
            Subscription.subscriber_id == subscriber_id,
            Subscription.status != SubscriptionStatus.UNSUBSCRIBED,
        )
        .order_by(MailingList.name)
    ).all()
    found = []
    for sub, ml in rows:
        chosen = choices_of(session, sub.id)
        options = [
            TopicOption(t.id, t.name, t.description, t.id in chosen.topics)
            for t in list_topics(session, ml.id)
        ]
        found.append(ListTopics(ml.id, ml.name, options, str(chosen.mode)))
    return found


def save_reader_lists(
    session: Session,
    subscriber_id: int,
    topics: Mapping[int, set[int]],
    modes: Mapping[int, str],
    *,
    source: str = "preferences",
) -> None:
    """Apply the page: per list id, the ticked topic ids and the mode.

    Lists the reader is not on, unknown topics and unknown modes are ignored
    (a form can be tampered with; it never reaches another list).
    """
    subs = session.scalars(
        select(Subscription).where(
            Subscription.subscriber_id == subscriber_id,
            Subscription.status != SubscriptionStatus.UNSUBSCRIBED,
        )
    ).all()
    for sub in subs:
        known = {t.id for t in list_topics(session, sub.list_id)}
        wanted = topics.get(sub.list_id, set()) & known if known else None
        mode = modes.get(sub.list_id)
        if mode not in (DeliveryMode.DIGEST, DeliveryMode.INSTANT):
            mode = None
        set_choices(session, sub, topics=wanted, mode=mode, source=source)
